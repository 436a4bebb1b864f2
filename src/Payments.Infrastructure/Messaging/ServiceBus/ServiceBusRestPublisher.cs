using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Payments.Core.Messaging;

namespace Payments.Infrastructure.Messaging.ServiceBus;

/// <summary>Pipeline settings for <see cref="ServiceBusRestPublisher"/>: retries (429, 5xx, timeouts,
/// broken connections) with exponential backoff, and the transport (tests pass one that trusts their
/// own certificate).</summary>
public sealed class ServiceBusRestClientOptions : ClientOptions
{
    public ServiceBusRestClientOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 4;
        Retry.Delay = TimeSpan.FromMilliseconds(500);
        Retry.MaxDelay = TimeSpan.FromSeconds(8);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
    }
}

/// <summary>Service Bus transport over the REST API ("Send Message", "Send Message Batch").
/// <para>Why REST: the AMQP client library cannot be restored here, and a Functions output binding
/// can set only the body. REST sets <c>MessageId</c> (the outbox row's id, so the queue's duplicate
/// detection drops a message the relay and the sweeper both publish) and
/// <c>ScheduledEnqueueTimeUtc</c> (follow-ups and webhook retries).</para>
/// <para>Authorisation is a Microsoft Entra token for <see cref="Scope"/>; the bearer-token policy
/// caches it and refreshes it shortly before it expires. A send that still fails after the pipeline's
/// retries throws, so the outbox row stays for the sweeper.</para></summary>
public sealed class ServiceBusRestPublisher : IMessagePublisher
{
    public const string Scope = "https://servicebus.azure.net/.default";

    private const string SingleContentType = "application/json";
    private const string BatchContentType = "application/vnd.microsoft.servicebus.json";

    /// <summary>Batches stay well under the Standard tier's 256 KiB per send, leaving room for the
    /// service's own per-message overhead.</summary>
    private const int MaxBatchBytes = 192 * 1024;

    private readonly Uri _endpoint;
    private readonly HttpPipeline _pipeline;
    private readonly TimeProvider _time;

    public ServiceBusRestPublisher(ServiceBusOptions options, TokenCredential credential, TimeProvider time, ServiceBusRestClientOptions? clientOptions = null)
    {
        _endpoint = options.Endpoint()
            ?? throw new ArgumentException($"ServiceBus:fullyQualifiedNamespace '{options.FullyQualifiedNamespace}' is not a namespace host name (e.g. payments.servicebus.windows.net).", nameof(options));
        _time = time;
        _pipeline = HttpPipelineBuilder.Build(
            clientOptions ?? new ServiceBusRestClientOptions(),
            perCallPolicies: [],
            perRetryPolicies: [new BearerTokenAuthenticationPolicy(credential, Scope)],
            responseClassifier: new ResponseClassifier());
    }

    /// <summary>Sends one message. Returns when the service has accepted it (201 Created).</summary>
    public async Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        using var http = NewRequest(message.Queue, SingleContentType);
        http.Request.Headers.Add("BrokerProperties", BrokerPropertiesJson(message));
        http.Request.Content = RequestContent.Create(Encoding.UTF8.GetBytes(message.Body));
        await SendAsync(http, cancellationToken);
    }

    /// <summary>Sends many messages with one request per queue (more when a queue's share is large).
    /// Each message keeps its own MessageId and schedule. A failure throws after the pipeline's
    /// retries; batches sent before it stay sent, which duplicate detection makes harmless.</summary>
    public async Task PublishBatchAsync(IEnumerable<OutboxMessage> messages, CancellationToken cancellationToken)
    {
        foreach (var queue in messages.GroupBy(m => m.Queue, StringComparer.Ordinal))
        {
            foreach (var chunk in Chunks(queue))
            {
                using var http = NewRequest(queue.Key, BatchContentType);
                http.Request.Content = RequestContent.Create(chunk);
                await SendAsync(http, cancellationToken);
            }
        }
    }

    /// <summary>The schedule as the REST API reads it: RFC 1123 ("Sun, 06 Nov 1994 08:49:37 GMT"),
    /// or null when the message is due now. The format counts whole seconds, so the time is rounded
    /// up: rounding down could deliver before NotBefore.</summary>
    private string? ScheduledEnqueueTime(OutboxMessage message)
    {
        if (message.NotBefore is not { } notBefore || notBefore <= _time.GetUtcNow())
        {
            return null;
        }

        long ticks = notBefore.UtcTicks;
        long whole = (ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond;
        return new DateTimeOffset(whole, TimeSpan.Zero).ToString("R", CultureInfo.InvariantCulture);
    }

    private string BrokerPropertiesJson(OutboxMessage message)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteBrokerProperties(json, message);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private void WriteBrokerProperties(Utf8JsonWriter json, OutboxMessage message)
    {
        json.WriteStartObject();
        json.WriteString("MessageId", message.Id);
        if (ScheduledEnqueueTime(message) is { } scheduled)
        {
            json.WriteString("ScheduledEnqueueTimeUtc", scheduled);
        }

        json.WriteEndObject();
    }

    /// <summary>Batch bodies, <c>[{"Body":"...","BrokerProperties":{...}}, ...]</c>, each under
    /// <see cref="MaxBatchBytes"/> unless a single message is larger on its own (the service then says so).</summary>
    private IEnumerable<byte[]> Chunks(IEnumerable<OutboxMessage> messages)
    {
        var entries = new List<byte[]>();
        int size = 2;
        foreach (var message in messages)
        {
            byte[] entry = Entry(message);
            if (entries.Count > 0 && size + entry.Length + 1 > MaxBatchBytes)
            {
                yield return Join(entries);
                entries.Clear();
                size = 2;
            }

            entries.Add(entry);
            size += entry.Length + 1;
        }

        if (entries.Count > 0)
        {
            yield return Join(entries);
        }
    }

    private byte[] Entry(OutboxMessage message)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("Body", message.Body);
            json.WritePropertyName("BrokerProperties");
            WriteBrokerProperties(json, message);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static byte[] Join(List<byte[]> entries)
    {
        using var buffer = new MemoryStream();
        buffer.WriteByte((byte)'[');
        for (int i = 0; i < entries.Count; i++)
        {
            if (i > 0)
            {
                buffer.WriteByte((byte)',');
            }

            buffer.Write(entries[i]);
        }

        buffer.WriteByte((byte)']');
        return buffer.ToArray();
    }

    private HttpMessage NewRequest(string queue, string contentType)
    {
        var http = _pipeline.CreateMessage();
        var request = http.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(_endpoint);
        request.Uri.AppendPath(queue, escape: true);
        request.Uri.AppendPath("/messages", escape: false);
        request.Headers.Add(HttpHeader.Names.ContentType, contentType);
        return http;
    }

    private async Task SendAsync(HttpMessage http, CancellationToken cancellationToken)
    {
        await _pipeline.SendAsync(http, cancellationToken);
        // 201 is the one success the API documents; anything else (after retries) leaves the row.
        if (http.Response.Status != 201)
        {
            throw new RequestFailedException(http.Response);
        }
    }
}
