using Payments.Core;
using Payments.Infrastructure.Webhooks;

namespace Payments.Infrastructure.Tests.Webhooks;

public class WebhookSignatureTests
{
    [Fact]
    public void TheSignatureReproducesTheApiContractVector() =>
        Assert.Equal(
            "t=1700000000,v1=c89214b5b5da833daed6f0b8c5bb6bd58cea9022bd80ccc78230f3942d632925",
            HttpWebhookSender.Signature([new Secret("whsec_test")], 1700000000, "{\"id\":\"evt_1\"}"));

    // stripe-dotnet's EventUtilityTest vector (event_test_signature.json, LF, trailing newline): same construction as ours.
    private const string StripePayload = "{\n  \"id\": \"evt_123\",\n  \"object\": \"event\",\n  \"account\": \"acct_123\",\n  \"api_version\": \"2017-05-25\",\n  \"created\": 1533204620,\n  \"data\": {\n    \"object\": {\n      \"id\": \"cus_123\",\n      \"object\": \"customer\",\n      \"created\": 123456789,\n      \"email\": \"test@stripe.com\",\n      \"livemode\": false,\n      \"metadata\": {}\n    }\n  },\n  \"livemode\": false,\n  \"pending_webhooks\": 1,\n  \"request\": {\n    \"id\": \"req_123\",\n    \"idempotency_key\": \"idempotency-key-123\"\n  },\n  \"type\": \"customer.created\"\n}\n";

    [Fact]
    public void TheSignatureReproducesStripesPublishedVector() =>
        Assert.Equal(
            "t=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7",
            HttpWebhookSender.Signature([new Secret("webhook_secret")], 1533204620, StripePayload));

    [Fact]
    public void DuringRotationEveryActiveSecretSignsOnce()
    {
        string header = HttpWebhookSender.Signature([new Secret("new"), new Secret("old")], 1700000000, "{}");
        Assert.Equal(3, header.Split(',').Length);
        Assert.Equal(2, header.Split(',').Count(p => p.StartsWith("v1=", StringComparison.Ordinal)));
    }
}
