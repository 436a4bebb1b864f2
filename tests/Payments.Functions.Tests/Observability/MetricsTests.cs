using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core.Messaging;
using Payments.Core.Observability;
using Payments.Core.Payments;
using Payments.Functions.Catalog;
using Payments.Functions.Runtime;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Observability;

/// <summary>The Payments meter of one app instance (its own IMeterFactory), read with a MeterListener.</summary>
public sealed class MetricsTests : IClassFixture<ApiFactory>, IDisposable
{
    private readonly ApiFactory _api;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();

    public MetricsTests(ApiFactory api)
    {
        _api = api;
        var factory = api.Services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PaymentsTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            _measurements.Enqueue((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    private long Count(string instrument, params (string Key, string Value)[] tags) =>
        _measurements.Where(m => m.Instrument == instrument && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value))).Sum(m => m.Value);

    [Fact]
    public async Task ThePaymentStatusCounterCountsEachTransitionOnce()
    {
        var client = await _api.NewAppAsync();
        string orderNo = "metric-" + Guid.NewGuid().ToString("N")[..10];
        var created = await client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":100,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Counted"}""");
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        string paymentId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        Assert.Equal(1, Count("payments.transitions", ("payment.status", "created"), ("payment.channel", "wechatpay")));

        var committer = _api.Services.GetRequiredService<PaymentCommitter>();
        var now = DateTimeOffset.UtcNow;
        await committer.CommitAsync(paymentId, cur => new PaymentChange(cur, cur.Value.MarkPending(new NextAction("qr", "weixin://pay"), now).Payment), CancellationToken.None);
        Assert.Equal(1, Count("payments.transitions", ("payment.status", "pending"), ("payment.channel", "wechatpay")));

        // A write that leaves the status as it was is not a transition.
        await committer.CommitAsync(paymentId, cur => new PaymentChange(cur, cur.Value.RecordQuery(now)), CancellationToken.None);
        Assert.Equal(2, Count("payments.transitions"));
    }

    [Fact]
    public async Task ADeadLetterIsCounted()
    {
        var function = FunctionCatalog.Find("ChannelNotifications")!;
        var pump = ActivatorUtilities.CreateInstance<QueuePump>(_api.Services, function, new LocalRuntimeOptions { MaxDeliveryCount = 1 });
        var queue = _api.Clients.Queue(Queues.ChannelNotifications);
        await queue.SendMessageAsync("not json");
        QueueMessage message = (await queue.ReceiveMessagesAsync(1)).Value.Single();

        await pump.ProcessAsync(message, CancellationToken.None);

        Assert.Equal(1, Count("payments.queue.dead_letters", ("messaging.destination.name", Queues.ChannelNotifications)));
    }
}
