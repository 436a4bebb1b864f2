using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Payments.Functions.Catalog;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Catalog;

/// <summary>Payloads exactly as the Functions host sends them to a custom handler.</summary>
public class TriggerEndpointTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private async Task<(HttpStatusCode Status, JsonNode Answer)> PostAsync(string function, string payload)
    {
        var response = await api.CreateClient().PostAsync("/" + function, new StringContent(payload, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    [Fact]
    public async Task AQueueMessageEncodedTwiceWithCountsAsStringsIsHandled()
    {
        // The message body is a JSON string whose content is our JSON; metadata values are strings too.
        const string payload = """
        {"Data":{"message":"\"{\\\"kind\\\":\\\"Query\\\",\\\"paymentId\\\":\\\"pay_unknownpayment0000000000\\\",\\\"attempt\\\":1}\""},
         "Metadata":{"DequeueCount":"1","Id":"\"5f2b1c8e-0000-0000-0000-000000000000\"","InsertionTime":"\"2026-11-24T00:00:00+00:00\"",
                     "sys":{"MethodName":"ChannelRequests","UtcNow":"2026-11-24T00:00:01Z","RandGuid":"00000000-0000-0000-0000-000000000000"}}}
        """;
        var (status, answer) = await PostAsync("ChannelRequests", payload);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(answer["Outputs"]);
        Assert.NotNull(answer["Logs"]);
        Assert.True(answer.AsObject().ContainsKey("ReturnValue"));
    }

    [Fact]
    public async Task AQueueMessageAsAPlainObjectIsHandledToo()
    {
        const string payload = """{"Data":{"message":{"kind":"Query","paymentId":"pay_unknownpayment0000000000","attempt":1}},"Metadata":{"DequeueCount":1}}""";
        Assert.Equal(HttpStatusCode.OK, (await PostAsync("ChannelRequests", payload)).Status);
    }

    [Theory]
    [InlineData("""{"Data":{"message":"\"not json at all\""},"Metadata":{"DequeueCount":"3"}}""")]
    [InlineData("""{"Data":{"message":"{\"kind\":\"Nonsense\",\"paymentId\":\"pay_x\"}"},"Metadata":{}}""")]
    [InlineData("""{"Data":{},"Metadata":{}}""")]
    public async Task AMalformedMessageFailsTheInvocationSoTheHostRetriesIt(string payload)
    {
        var (status, answer) = await PostAsync("ChannelNotifications", payload);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.NotEmpty(answer["Logs"]!.AsArray());
    }

    [Fact]
    public async Task ATimerTickRunsTheTimerFunction()
    {
        const string payload = """
        {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2026-11-24T00:00:45+00:00","Next":"2026-11-24T00:01:45+00:00","LastUpdated":"2026-11-24T00:00:45+00:00"},"IsPastDue":false}},
         "Metadata":{"sys":{"MethodName":"Janitor","UtcNow":"2026-11-24T00:01:45.0000000Z","RandGuid":"8d3b4f7e-0000-0000-0000-000000000000"}}}
        """;
        var (status, answer) = await PostAsync("Janitor", payload);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, answer["ReturnValue"]!["examined"]!.GetValue<int>());

        var (sweepStatus, sweep) = await PostAsync("OutboxSweep", payload);
        Assert.Equal(HttpStatusCode.OK, sweepStatus);
        Assert.NotNull(sweep["ReturnValue"]!["published"]);
    }

    [Theory]
    [InlineData("\"\\\"{\\\\\\\"a\\\\\\\":1}\\\"\"", "{\"a\":1}")]
    [InlineData("\"{\\\"a\\\":1}\"", "{\"a\":1}")]
    [InlineData("{\"a\":1}", "{\"a\":1}")]
    public void MessageBodiesAreUnwrappedWhateverTheEncodingDepth(string node, string expected) =>
        Assert.Equal(expected, TriggerEndpoints.MessageBody(JsonNode.Parse(node)));

    [Theory]
    [InlineData("""{"DequeueCount":"4"}""", 4)]
    [InlineData("""{"DequeueCount":4}""", 4)]
    [InlineData("""{"DeliveryCount":"\"7\""}""", 7)]
    [InlineData("""{}""", 1)]
    public void DeliveryCountsAreReadFromNumbersOrStrings(string metadata, int expected) =>
        Assert.Equal(expected, TriggerEndpoints.DeliveryCount(JsonNode.Parse(metadata)));
}
