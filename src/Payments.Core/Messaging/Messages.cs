namespace Payments.Core.Messaging;

/// <summary>Queue names, fixed here, in the function catalog and in Bicep.</summary>
public static class Queues
{
    public const string ChannelRequests = "channel-requests";
    public const string ChannelNotifications = "channel-notifications";
    public const string MerchantNotifications = "merchant-notifications";

    public static IReadOnlyList<string> All { get; } = [ChannelRequests, ChannelNotifications, MerchantNotifications];
}

/// <summary>A message written in the same transaction as the state change that causes it.
/// <paramref name="Id"/> is stable (derived from the cause) so that downstream duplicate
/// detection and idempotent consumers can drop repeats.</summary>
public sealed record OutboxMessage(string Id, string Queue, string Body, DateTimeOffset? NotBefore = null);

public enum ChannelRequestKind
{
    Create,
    Query,
    Close,

    /// <summary>The payment's time is up: query first, close if still unpaid.</summary>
    Expire,
}

/// <summary>Work for the channel-requests queue. Attempt counts follow-up queries so the
/// backoff schedule survives across messages.</summary>
public sealed record ChannelRequestMessage(ChannelRequestKind Kind, string PaymentId, int Attempt = 0);

public sealed record ChannelNotificationMessage(string PaymentId, string NotificationId);

public sealed record MerchantNotificationMessage(string PaymentId, string EventId, int Attempt);

/// <summary>Publishes to a queue. Implementations must honour NotBefore (scheduled delivery).</summary>
public interface IMessagePublisher
{
    Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken);
}
