using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core.Messaging;
using Payments.Core.Observability;
using Payments.Functions.Tests.Support;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.Observability;

/// <summary>One correlation id through a payment's life: the create request's trace id is stored with the
/// payment, carried in its queue messages, and continued by their consumers.</summary>
public sealed class CorrelationTests : IClassFixture<ApiFactory>, IDisposable
{
    private readonly ApiFactory _api;
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();

    public CorrelationTests(ApiFactory api)
    {
        _api = api;
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is PaymentsTelemetry.Name or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Creates a payment as a storefront inside its own trace, and returns the payment id.</summary>
    private async Task<string> CreateAsync(SignedClient client, ActivityTraceId traceId)
    {
        string orderNo = "corr-" + Guid.NewGuid().ToString("N")[..10];
        var request = client.Request(HttpMethod.Post, "/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":100,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Correlated"}""");
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var response = await client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
    }

    private async Task<HttpStatusCode> InvokeQueueFunctionAsync(string function, string body)
    {
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = body },
            ["Metadata"] = new JsonObject { ["DequeueCount"] = 1 },
        };
        var response = await _api.CreateClient().PostAsync("/" + function, new StringContent(payload.ToJsonString(), Encoding.UTF8, "application/json"));
        return response.StatusCode;
    }

    private Activity ConsumerSpan(string function, string paymentId) => _spans.Single(a =>
        a.Source.Name == PaymentsTelemetry.Name && a.DisplayName == $"{function} process" && (string?)a.GetTagItem(PaymentsTelemetry.PaymentIdTag) == paymentId);

    /// <summary>A channel account whose channel is unreachable: the create's outcome is then unknown, which
    /// still runs the whole consumer (channel call included) and commits its follow-ups.</summary>
    private async Task SaveUnreachableChannelAccountAsync()
    {
        using var merchant = RSA.Create(2048);
        using var platform = RSA.Create(2048);
        await new TableDirectories(_api.Clients, _api.Secrets, TimeProvider.System).SaveChannelAccountAsync(new ChannelAccountRecord(
            "ca_test", "wechatpay", "Unreachable", "sandbox", null, "http://127.0.0.1:9/",
            new Dictionary<string, string>
            {
                ["mchId"] = "1900000001",
                ["merchantSerialNo"] = "ABC123",
                ["merchantPrivateKeyPem"] = merchant.ExportPkcs8PrivateKeyPem(),
                ["apiV3Key"] = new string('k', 32),
                ["platformSerialNo"] = "DEF456",
                ["platformPublicKeyPem"] = platform.ExportSubjectPublicKeyInfoPem(),
            }), CancellationToken.None);
    }

    [Fact]
    public async Task TheQueueConsumerAndItsChannelCallCarryTheCreateRequestsCorrelationId()
    {
        await SaveUnreachableChannelAccountAsync();
        var client = await _api.NewAppAsync();
        var traceId = ActivityTraceId.CreateRandom();
        string paymentId = await CreateAsync(client, traceId);

        // The message the create produced, as the queue holds it.
        string body = (await QueuePeek.WaitForCountAsync(_api.Clients.Queue(Queues.ChannelRequests), m => m.Contains(paymentId, StringComparison.Ordinal), 1)).Single();
        var message = JsonNode.Parse(body)!;
        Assert.Equal(traceId.ToHexString(), message["correlationId"]!.GetValue<string>());
        Assert.True(ActivityContext.TryParse(message["traceParent"]!.GetValue<string>(), null, out var producer));
        Assert.Equal(traceId, producer.TraceId);

        Assert.Equal(HttpStatusCode.OK, await InvokeQueueFunctionAsync("ChannelRequests", body));

        var consumer = ConsumerSpan("ChannelRequests", paymentId);
        Assert.Equal(ActivityKind.Consumer, consumer.Kind);
        Assert.Equal(traceId, consumer.TraceId);
        Assert.Equal(producer.SpanId, consumer.ParentSpanId);
        Assert.Equal(traceId.ToHexString(), consumer.GetTagItem(PaymentsTelemetry.CorrelationTag));

        // The channel call is a child of the consumer, and so is the publish of the follow-ups it committed.
        Assert.Contains(_spans, a => a.Source.Name == "System.Net.Http" && a.ParentSpanId == consumer.SpanId && a.TraceId == traceId);
        await Eventually.TrueAsync(
            () => Task.FromResult(_spans.Any(a => a.DisplayName == $"{Queues.ChannelRequests} publish" && a.ParentSpanId == consumer.SpanId && a.TraceId == traceId)),
            TimeSpan.FromSeconds(10), "the follow-up publish span");
    }

    [Fact]
    public async Task AMessageFromAnotherTraceContinuesThePaymentsTraceAndLinksItsOwn()
    {
        var client = await _api.NewAppAsync();
        var traceId = ActivityTraceId.CreateRandom();
        string paymentId = await CreateAsync(client, traceId);

        // As a channel's callback request would produce it: its own trace, no correlation id.
        var callback = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        string body = $$"""{"paymentId":"{{paymentId}}","notificationId":"n-{{Guid.NewGuid():N}}","traceParent":"00-{{callback.TraceId}}-{{callback.SpanId}}-01"}""";

        Assert.Equal(HttpStatusCode.OK, await InvokeQueueFunctionAsync("ChannelNotifications", body));

        var consumer = ConsumerSpan("ChannelNotifications", paymentId);
        Assert.Equal(traceId, consumer.TraceId);
        Assert.Equal(traceId.ToHexString(), consumer.GetTagItem(PaymentsTelemetry.CorrelationTag));
        Assert.Contains(consumer.Links, l => l.Context.TraceId == callback.TraceId && l.Context.SpanId == callback.SpanId);
    }
}
