using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Messaging;
using Payments.Infrastructure.Messaging.ServiceBus;

namespace Payments.Infrastructure.Tests.Messaging.ServiceBus;

/// <summary>The publisher against a local HTTPS stand-in for the namespace: every request is checked as
/// the REST API documents it ("Send Message", "Send Message Batch").</summary>
public sealed class ServiceBusRestPublisherTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Now);
    private readonly CountingCredential _credential = new();
    private LocalServiceBus _bus = null!;

    public async Task InitializeAsync() => _bus = await LocalServiceBus.StartAsync();

    public async Task DisposeAsync() => await _bus.DisposeAsync();

    private static OutboxMessage Message(string id, string queue = Queues.ChannelRequests, DateTimeOffset? notBefore = null) =>
        new(id, queue, $$"""{"kind":"Query","paymentId":"pay_{{id}}","note":"ünïcode \"quoted\""}""", notBefore);

    private static JsonObject BrokerProperties(SeenRequest request) => JsonNode.Parse(request.Headers["BrokerProperties"])!.AsObject();

    [Fact]
    public async Task AMessageIsPostedToItsQueueWithItsIdItsBodyAndABearerToken()
    {
        var message = Message("m1");
        await _bus.Publisher(_credential, _time).PublishAsync(message, default);

        var request = Assert.Single(_bus.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/channel-requests/messages", request.Path);
        Assert.Equal("", request.Query);
        Assert.Equal("Bearer token-1", request.Headers["Authorization"]);
        Assert.Equal("application/json", request.Headers["Content-Type"]);
        Assert.Equal(Encoding.UTF8.GetBytes(message.Body), request.Body);
        var properties = BrokerProperties(request);
        Assert.Equal("m1", properties["MessageId"]!.GetValue<string>());
        Assert.False(properties.ContainsKey("ScheduledEnqueueTimeUtc"));
        Assert.Equal([ServiceBusRestPublisher.Scope], _credential.Scopes);
    }

    [Fact]
    public async Task AFutureNotBeforeIsSentAsAnRfc1123ScheduleRoundedUpToTheSecond()
    {
        var publisher = _bus.Publisher(_credential, _time);
        await publisher.PublishAsync(Message("later", Queues.MerchantNotifications, Now.AddSeconds(90.25)), default);
        await publisher.PublishAsync(Message("past", Queues.MerchantNotifications, Now.AddSeconds(-5)), default);

        var requests = _bus.Requests.ToArray();
        Assert.Equal("/merchant-notifications/messages", requests[0].Path);
        Assert.Equal("Tue, 24 Nov 2026 00:01:31 GMT", BrokerProperties(requests[0])["ScheduledEnqueueTimeUtc"]!.GetValue<string>());
        // Due already: sent for now, not scheduled in the past.
        Assert.False(BrokerProperties(requests[1]).ContainsKey("ScheduledEnqueueTimeUtc"));
    }

    [Fact]
    public async Task ManySendsShareOneCachedToken()
    {
        var publisher = _bus.Publisher(_credential, _time);
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => publisher.PublishAsync(Message("m" + i), default)));

        Assert.Equal(40, _bus.Requests.Count);
        Assert.Equal(1, _credential.Calls);
        Assert.All(_bus.Requests, r => Assert.Equal("Bearer token-1", r.Headers["Authorization"]));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task AThrottledOrFailedSendIsRetriedWithTheSameMessageId(int transient)
    {
        _bus.Script.Enqueue(transient);
        _bus.Script.Enqueue(201);
        await _bus.Publisher(_credential, _time).PublishAsync(Message("retried"), default);

        var requests = _bus.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, r => Assert.Equal("retried", BrokerProperties(r)["MessageId"]!.GetValue<string>()));
        Assert.Equal(requests[0].Body, requests[1].Body);
    }

    [Fact]
    public async Task ASendThatTimesOutIsRetried()
    {
        _bus.Script.Enqueue(null);
        await _bus.Publisher(_credential, _time, networkTimeout: TimeSpan.FromMilliseconds(300)).PublishAsync(Message("slow"), default);

        Assert.Equal(2, _bus.Requests.Count);
    }

    [Fact]
    public async Task APersistentServerErrorThrowsAfterTheRetriesSoTheOutboxRowStays()
    {
        for (int i = 0; i < 10; i++)
        {
            _bus.Script.Enqueue(500);
        }

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => _bus.Publisher(_credential, _time, maxRetries: 2).PublishAsync(Message("doomed"), default));

        Assert.Equal(500, e.Status);
        Assert.Equal(3, _bus.Requests.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(410)]
    [InlineData(200)]
    public async Task AnyOtherAnswerThan201ThrowsWithoutRetrying(int status)
    {
        _bus.Script.Enqueue(status);

        var e = await Assert.ThrowsAsync<RequestFailedException>(() => _bus.Publisher(_credential, _time).PublishAsync(Message("refused"), default));

        Assert.Equal(status, e.Status);
        Assert.Single(_bus.Requests);
    }

    [Fact]
    public async Task ABatchIsOneRequestPerQueueWithEachMessagesIdAndSchedule()
    {
        OutboxMessage[] messages =
        [
            Message("a1"),
            Message("b1", Queues.MerchantNotifications, Now.AddMinutes(1)),
            Message("a2"),
            Message("a3", Queues.ChannelRequests, Now.AddSeconds(0.5)),
        ];
        await _bus.Publisher(_credential, _time).PublishBatchAsync(messages, default);

        var requests = _bus.Requests.ToDictionary(r => r.Path);
        Assert.Equal(2, requests.Count);
        var channel = requests["/channel-requests/messages"];
        Assert.Equal("application/vnd.microsoft.servicebus.json", channel.Headers["Content-Type"]);
        Assert.Equal("Bearer token-1", channel.Headers["Authorization"]);
        var sent = JsonNode.Parse(channel.Body)!.AsArray();
        Assert.Equal(["a1", "a2", "a3"], sent.Select(m => m!["BrokerProperties"]!["MessageId"]!.GetValue<string>()));
        Assert.Equal(messages[0].Body, sent[0]!["Body"]!.GetValue<string>());
        Assert.False(sent[0]!["BrokerProperties"]!.AsObject().ContainsKey("ScheduledEnqueueTimeUtc"));
        Assert.Equal("Tue, 24 Nov 2026 00:00:01 GMT", sent[2]!["BrokerProperties"]!["ScheduledEnqueueTimeUtc"]!.GetValue<string>());

        var merchant = JsonNode.Parse(requests["/merchant-notifications/messages"].Body)!.AsArray();
        var only = Assert.Single(merchant);
        Assert.Equal("Tue, 24 Nov 2026 00:01:00 GMT", only!["BrokerProperties"]!["ScheduledEnqueueTimeUtc"]!.GetValue<string>());
    }

    [Fact]
    public async Task ALargeBatchIsSplitIntoRequestsTheServiceAccepts()
    {
        string big = new('x', 40 * 1024);
        var messages = Enumerable.Range(0, 12).Select(i => new OutboxMessage("big" + i, Queues.ChannelRequests, $$"""{"pad":"{{big}}"}""")).ToList();
        await _bus.Publisher(_credential, _time).PublishBatchAsync(messages, default);

        var requests = _bus.Requests.ToArray();
        Assert.True(requests.Length >= 3, $"{requests.Length} requests");
        Assert.All(requests, r => Assert.True(r.Body.Length <= 192 * 1024, $"{r.Body.Length} bytes"));
        var ids = requests.SelectMany(r => JsonNode.Parse(r.Body)!.AsArray()).Select(m => m!["BrokerProperties"]!["MessageId"]!.GetValue<string>());
        Assert.Equal(messages.Select(m => m.Id), ids);
    }

    [Theory]
    [InlineData("payments.servicebus.windows.net", "https://payments.servicebus.windows.net/")]
    [InlineData("https://payments.servicebus.windows.net/", "https://payments.servicebus.windows.net/")]
    [InlineData("127.0.0.1:8443", "https://127.0.0.1:8443/")]
    [InlineData("http://payments.servicebus.windows.net", null)]
    [InlineData("payments.servicebus.windows.net/queue", null)]
    [InlineData("", null)]
    [InlineData("  ", null)]
    public void TheNamespaceIsAlwaysReachedOverHttps(string setting, string? expected) =>
        Assert.Equal(expected, new ServiceBusOptions { FullyQualifiedNamespace = setting }.Endpoint()?.ToString());
}
