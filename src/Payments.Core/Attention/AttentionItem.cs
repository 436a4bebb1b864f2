using System.Security.Cryptography;
using System.Text;
using Payments.Core.Payments;

namespace Payments.Core.Attention;

/// <summary>What kind of thing needs an operator (the "exceptions" of api.md's admin API).</summary>
public static class AttentionKinds
{
    /// <summary>A payment (or one of its refunds) whose money moved in a way the state machine refuses:
    /// amount mismatch, paid after close, a second transaction, a refund the channel answered oddly.</summary>
    public const string Payment = "payment";

    /// <summary>A verified channel callback about a payment we do not know.</summary>
    public const string UnmatchedCallback = "unmatched_callback";

    /// <summary>A queue message that failed its last allowed delivery.</summary>
    public const string DeadLetter = "dead_letter";

    /// <summary>A merchant webhook given up after its whole retry schedule; operators can resend it.</summary>
    public const string WebhookFailed = "webhook_failed";
}

public enum AttentionStatus
{
    Open,
    Resolved,
}

/// <summary>One thing needing an operator. Its id derives from its kind and subject, so raising the same
/// problem twice (a redelivered message, two instances) gives one item, not two.</summary>
public sealed record AttentionItem
{
    public required string Id { get; init; }
    public required string Kind { get; init; }

    /// <summary>The payment id, notification id or message id the item is about.</summary>
    public required string Subject { get; init; }
    public string? PaymentId { get; init; }
    public required string Reason { get; init; }
    public AttentionStatus Status { get; init; } = AttentionStatus.Open;
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public int RetryCount { get; init; }
    public DateTimeOffset? LastRetriedAt { get; init; }
    public string? ResolvedBy { get; init; }
    public string? ResolutionNote { get; init; }
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>Where a dead letter came from, so a retry can put it back.</summary>
    public string? Queue { get; init; }

    /// <summary>What a retry needs: a dead letter's message body, an unmatched callback's stored notification.</summary>
    public string? Detail { get; init; }

    public static string IdFor(string kind, string subject) =>
        "exc_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(kind + "\n" + subject)))[..24];

    public static AttentionItem ForPayment(Payment payment, string reason, DateTimeOffset now) => new()
    {
        Id = IdFor(AttentionKinds.Payment, payment.Id), Kind = AttentionKinds.Payment, Subject = payment.Id, PaymentId = payment.Id,
        Reason = reason, CreatedAt = now, UpdatedAt = now,
    };

    public static AttentionItem ForUnmatchedCallback(InboxEntry entry, string channelAccountId, DateTimeOffset now) => new()
    {
        Id = IdFor(AttentionKinds.UnmatchedCallback, entry.Channel + "/" + entry.NotificationId), Kind = AttentionKinds.UnmatchedCallback,
        Subject = entry.NotificationId, PaymentId = entry.PaymentId,
        Reason = $"callback on {entry.Channel}/{channelAccountId} for unknown payment {entry.PaymentId}", CreatedAt = now, UpdatedAt = now,
        Detail = entry.Payload, Queue = entry.Channel,
    };

    public static AttentionItem ForFailedWebhook(Webhooks.WebhookEvent evt, string error, DateTimeOffset now) => new()
    {
        Id = IdFor(AttentionKinds.WebhookFailed, evt.Id), Kind = AttentionKinds.WebhookFailed, Subject = evt.Id, PaymentId = evt.PaymentId,
        Reason = $"{evt.Type} to {evt.NotifyUrl} given up: {error}", CreatedAt = now, UpdatedAt = now,
    };

    /// <remarks>Identified by queue and body, not message id: a message put back on its queue gets a new id
    /// from the transport, and if it dies again it must come back as this item, not a second one.</remarks>
    public static AttentionItem ForDeadLetter(string queue, string messageId, string body, string reason, DateTimeOffset now) => new()
    {
        Id = IdFor(AttentionKinds.DeadLetter, queue + "/" + body), Kind = AttentionKinds.DeadLetter, Subject = messageId,
        Reason = reason, CreatedAt = now, UpdatedAt = now, Queue = queue, Detail = body,
    };
}

/// <summary>The operators' list of things needing attention. Raising is idempotent and may run before
/// the state change it reports commits: readers check a payment item against the payment itself.</summary>
public interface IAttentionLog
{
    /// <summary>Adds the item, or reopens and updates the reason of an existing one with the same id.</summary>
    Task RaiseAsync(AttentionItem item, CancellationToken cancellationToken);

    Task<Versioned<AttentionItem>?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Replaces the item if it has not changed since it was read.</summary>
    Task<bool> TryReplaceAsync(Versioned<AttentionItem> current, AttentionItem next, CancellationToken cancellationToken);

    /// <summary>Items newest first, optionally only those with the given status.</summary>
    IAsyncEnumerable<AttentionItem> ListAsync(AttentionStatus? status, CancellationToken cancellationToken);
}
