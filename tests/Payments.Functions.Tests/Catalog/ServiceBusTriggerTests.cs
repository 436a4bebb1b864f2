using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Payments.Core.Messaging;
using Payments.Functions.Catalog;
using Payments.Functions.Tests.Support;
using Payments.Infrastructure.Messaging;
using Payments.Infrastructure.Messaging.ServiceBus;

namespace Payments.Functions.Tests.Catalog;

/// <summary>Service Bus deliveries as the Functions host posts them to a custom handler: every binding-data
/// value that is not an object is serialized a second time (strings arrive as "\"...\"", numbers as
/// "1"), and older hosts send EnqueuedTimeUtc unquoted and without a zone.</summary>
public sealed class ServiceBusTriggerTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Body = """{"kind":"Query","paymentId":"pay_unknownpayment0000000000","attempt":1}""";

    private static string Payload(string message, string metadata) => """{"Data":{"message":""" + message + """},"Metadata":{""" + metadata + "}}";

    /// <summary>Metadata as the current host sends it for one message (cardinality one).</summary>
    private static string HostMetadata(string messageId, string deliveryCount) => $$"""
        "MessageId":"\"{{messageId}}\"","DeliveryCount":"{{deliveryCount}}",
        "EnqueuedTimeUtc":"\"2026-11-24T00:00:00.123Z\"","ExpiresAtUtc":"\"9999-12-31T23:59:59.9999999\"",
        "SequenceNumber":"42","ContentType":"\"application/json\"","CorrelationId":"null","Label":"null",
        "UserProperties":{},"ApplicationProperties":{},"MessageReceiver":{},"MessageActions":{},"Client":{},
        "sys":{"MethodName":"ChannelRequests","UtcNow":"2026-11-24T00:00:01.5Z","RandGuid":"3e1c9a6b-0000-0000-0000-000000000000"}
        """;

    private static async Task<(HttpStatusCode Status, JsonNode Answer)> PostAsync(HttpClient client, string function, string payload)
    {
        var response = await client.PostAsync("/" + function, new StringContent(payload, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static string Quoted(string text) => JsonValue.Create(text)!.ToJsonString();

    [Fact]
    public async Task AMessageWithItsBodyEncodedTwiceIsHandledAndItsIdAndEnqueueTimeAreLogged()
    {
        var logs = new CapturedLogs();
        await using var app = api.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs).AddFilter<CapturedLogs>("Functions", LogLevel.Debug)));
        // The body is a string holding our JSON, and that string is JSON-encoded again.
        string message = Quoted(Quoted(Body));

        var (status, answer) = await PostAsync(app.CreateClient(), "ChannelRequests", Payload(message, HostMetadata("msg-0001", "1")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(answer["Outputs"]);
        var line = Assert.Single(logs.Entries, e => e.Category == "Functions.ChannelRequests" && e.Values.ContainsKey("EnqueuedTimeUtc"));
        Assert.Equal("msg-0001", line.Values["MessageId"]);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 0, 0, 123, TimeSpan.Zero), line.Values["EnqueuedTimeUtc"]);
        Assert.Equal(1, line.Values["Delivery"]);
        Assert.Equal(LogLevel.Debug, line.Level);
    }

    [Fact]
    public async Task ARedeliveryIsLoggedAtInformationWithItsCount()
    {
        var logs = new CapturedLogs();
        await using var app = api.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs).AddFilter<CapturedLogs>("Functions", LogLevel.Debug)));

        var (status, _) = await PostAsync(app.CreateClient(), "ChannelRequests", Payload(Quoted(Body), HostMetadata("msg-0002", "3")));

        Assert.Equal(HttpStatusCode.OK, status);
        var line = Assert.Single(logs.Entries, e => e.Values.TryGetValue("MessageId", out var id) && Equals(id, "msg-0002") && e.Values.ContainsKey("EnqueuedTimeUtc"));
        Assert.Equal(3, line.Values["Delivery"]);
        Assert.Equal(LogLevel.Information, line.Level);
    }

    [Fact]
    public async Task AnOlderHostsUnquotedMetadataAndAParsedBodyAreHandledToo()
    {
        const string metadata = """
            "MessageId":"msg-0003","DeliveryCount":1,"EnqueuedTimeUtc":"2026-11-24T00:00:00","SequenceNumber":7,
            "UserProperties":{},"sys":{"MethodName":"ChannelRequests","UtcNow":"2026-11-24T00:00:01Z","RandGuid":"00000000-0000-0000-0000-000000000000"}
            """;
        var (status, _) = await PostAsync(api.CreateClient(), "ChannelRequests", Payload(Body, metadata));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task APoisonMessageFailsTheInvocationSoServiceBusAbandonsIt()
    {
        // A non-2xx answer makes the host abandon the message: DeliveryCount rises until Service Bus
        // dead-letters it at MaxDeliveryCount.
        var (status, answer) = await PostAsync(api.CreateClient(), "ChannelNotifications", Payload(Quoted(Quoted("not json at all")), HostMetadata("msg-0004", "10")));

        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.NotEmpty(answer["Logs"]!.AsArray());
    }

    [Theory]
    [InlineData("""{"MessageId":"\"abc-1\""}""", "abc-1")]
    [InlineData("""{"MessageId":"abc-2"}""", "abc-2")]
    [InlineData("""{"MessageId":"\"\\\"abc-3\\\"\""}""", "abc-3")]
    [InlineData("""{"Id":"\"5f2b1c8e-0000-0000-0000-000000000000\""}""", "5f2b1c8e-0000-0000-0000-000000000000")]
    [InlineData("""{}""", null)]
    public void MessageIdsAreReadWhateverTheEncoding(string metadata, string? expected) =>
        Assert.Equal(expected, TriggerEndpoints.MessageId(JsonNode.Parse(metadata)));

    [Theory]
    [InlineData("""{"EnqueuedTimeUtc":"\"2026-11-24T08:49:37.5Z\""}""", "2026-11-24T08:49:37.5000000+00:00")]
    [InlineData("""{"EnqueuedTimeUtc":"2026-11-24T08:49:37"}""", "2026-11-24T08:49:37.0000000+00:00")]
    [InlineData("""{"EnqueuedTimeUtc":"\"2026-11-24T08:49:37\""}""", "2026-11-24T08:49:37.0000000+00:00")]
    [InlineData("""{"EnqueuedTimeUtc":"\"2026-11-24T16:49:37+08:00\""}""", "2026-11-24T08:49:37.0000000+00:00")]
    [InlineData("""{"InsertionTime":"\"2026-11-24T08:49:37+00:00\""}""", "2026-11-24T08:49:37.0000000+00:00")]
    [InlineData("""{"EnqueuedTimeUtc":"\"yesterday\""}""", null)]
    [InlineData("""{}""", null)]
    public void EnqueueTimesAreReadAsUtcWhateverTheEncoding(string metadata, string? expected) =>
        Assert.Equal(expected, TriggerEndpoints.EnqueuedTime(JsonNode.Parse(metadata))?.ToString("O"));

    [Fact]
    public void StorageQueuesIsTheDefaultTransport()
    {
        Assert.IsType<StorageQueuePublisher>(Assert.IsType<Payments.Infrastructure.Reconciliation.IndexingPublisher>(api.Services.GetRequiredService<IMessagePublisher>()).Queues);
    }

    [Fact]
    public async Task TheServiceBusTransportPublishesThroughTheRestPublisher()
    {
        await using var app = api.WithWebHostBuilder(b => b
            .UseSetting("Messaging:Transport", "ServiceBus")
            .UseSetting("ServiceBus:fullyQualifiedNamespace", "payments-test.servicebus.windows.net"));

        Assert.IsType<ServiceBusRestPublisher>(Assert.IsType<Payments.Infrastructure.Reconciliation.IndexingPublisher>(app.Services.GetRequiredService<IMessagePublisher>()).Queues);
        Assert.Equal(new Uri("https://payments-test.servicebus.windows.net/"), app.Services.GetRequiredService<IOptions<ServiceBusOptions>>().Value.Endpoint());
    }

    [Theory]
    [InlineData("")]
    [InlineData("http://payments-test.servicebus.windows.net")]
    public async Task TheServiceBusTransportWithoutAUsableNamespaceFailsAtStartUp(string fullyQualifiedNamespace)
    {
        // Built and started directly: through WebApplicationFactory a failed start races its deferred
        // host, which then reads the disposed container and reports that instead.
        await using var app = PaymentsApp.Build(
            ["--urls", "http://127.0.0.1:0", "--Messaging:Transport", "ServiceBus", "--ServiceBus:fullyQualifiedNamespace", fullyQualifiedNamespace]);

        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("ServiceBus:fullyQualifiedNamespace", e.Message);
    }

    [Fact]
    public async Task TheLocalRuntimeRefusesToStartWithTheServiceBusTransport()
    {
        await using var app = api.WithWebHostBuilder(b => b
            .UseSetting("LocalRuntime:Enabled", "true")
            .UseSetting("Messaging:Transport", "ServiceBus")
            .UseSetting("ServiceBus:fullyQualifiedNamespace", "payments-test.servicebus.windows.net"));

        var e = Assert.Throws<InvalidOperationException>(() => app.Services);
        Assert.Contains("LocalRuntime:Enabled", e.Message);
        Assert.Contains("Messaging:Transport is ServiceBus", e.Message);
    }

    private sealed record LogEntry(string Category, LogLevel Level, IReadOnlyDictionary<string, object?> Values);

    /// <summary>Keeps every log record with its structured values.</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<LogEntry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? pairs.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.First().Value)
                    : new Dictionary<string, object?>();
                owner.Entries.Enqueue(new LogEntry(category, logLevel, values));
            }
        }
    }
}
