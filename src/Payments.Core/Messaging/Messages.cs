using System.Text.Json.Serialization;
using Payments.Core.Observability;

namespace Payments.Core.Messaging;

/// <summary>Queue names, fixed here, in the function catalog and in Bicep.</summary>
public static class Queues
{
    public const string ChannelRequests = "channel-requests";
    public const string ChannelNotifications = "channel-notifications";
    public const string MerchantNotifications = "merchant-notifications";

    /// <summary>One message per (channel account, business day) to reconcile.</summary>
    public const string Reconciliations = "reconciliations";

    public static IReadOnlyList<string> All { get; } = [ChannelRequests, ChannelNotifications, MerchantNotifications, Reconciliations];
}

/// <summary>A message written in the same transaction as the state change that causes it.
/// <paramref name="Id"/> is stable (derived from the cause) so that downstream duplicate
/// detection and idempotent consumers can drop repeats.</summary>
public sealed record OutboxMessage(string Id, string Queue, string Body, DateTimeOffset? NotBefore = null)
{
    /// <summary>The activity that wrote the message, so the relay's publish span joins its trace. Not stored
    /// with the outbox row: a message the sweeper publishes later still has its trace in the body.</summary>
    public string? TraceParent { get; init; } = PaymentsTelemetry.CurrentTraceParent();
}

public enum ChannelRequestKind
{
    Create,
    Query,
    Close,

    /// <summary>The payment's time is up: query first, close if still unpaid.</summary>
    Expire,
    Refund,
    RefundQuery,
}

/// <summary>Work for the channel-requests queue. Attempt counts follow-up queries so the
/// backoff schedule survives across messages.</summary>
public sealed record ChannelRequestMessage(ChannelRequestKind Kind, string PaymentId, int Attempt = 0, string? RefundId = null) : IPaymentMessage
{
    /// <inheritdoc/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; } = PaymentsTelemetry.CurrentTraceParent();

    /// <inheritdoc/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CorrelationId { get; init; } = PaymentsTelemetry.CurrentCorrelationId();
}

public sealed record ChannelNotificationMessage(string PaymentId, string NotificationId) : IPaymentMessage
{
    /// <inheritdoc/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; } = PaymentsTelemetry.CurrentTraceParent();

    /// <inheritdoc/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CorrelationId { get; init; } = PaymentsTelemetry.CurrentCorrelationId();
}

public sealed record MerchantNotificationMessage(string PaymentId, string EventId, int Attempt) : IPaymentMessage
{
    /// <inheritdoc/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; } = PaymentsTelemetry.CurrentTraceParent();

    /// <inheritdoc/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CorrelationId { get; init; } = PaymentsTelemetry.CurrentCorrelationId();
}

/// <summary>A queue message about one payment, with the trace it was produced under. Both trace fields
/// default to the producer's current activity, so every message built while a payment's trace is
/// current carries it without each producer passing it along.</summary>
public interface IPaymentMessage
{
    string PaymentId { get; }

    /// <summary>W3C traceparent of the activity that produced the message; its consumer's span is a child of it.</summary>
    string? TraceParent { get; }

    /// <summary>The payment's correlation id when the producer knew it; a consumer without it looks the
    /// payment up (callbacks and timers produce messages outside the payment's trace).</summary>
    string? CorrelationId { get; }
}

/// <summary>Publishes to a queue. Implementations must honour NotBefore (scheduled delivery).</summary>
public interface IMessagePublisher
{
    Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken);
}
