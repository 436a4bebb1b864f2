using Payments.Core.Messaging;
using Payments.Core.Webhooks;

namespace Payments.Core.Payments;

/// <summary>A value as read, with the opaque version that guards its next write.</summary>
public sealed record Versioned<T>(T Value, string ETag);

/// <summary>A verified channel notification, stored in the payment's partition before it is acknowledged.</summary>
public sealed record InboxEntry(string NotificationId, string PaymentId, string Channel, string Payload, DateTimeOffset ReceivedAt, bool Processed = false);

/// <summary>Everything one state change writes, committed atomically in the payment's partition
/// and guarded by the payment's ETag.</summary>
public sealed record PaymentChange(Versioned<Payment> Current, Payment Next)
{
    public IReadOnlyList<OutboxMessage> Outbox { get; init; } = [];
    public IReadOnlyList<WebhookEvent> NewEvents { get; init; } = [];

    /// <summary>Refunds inserted by this change (an existing one with the same id fails the commit).</summary>
    public IReadOnlyList<Refunds.Refund> NewRefunds { get; init; } = [];

    /// <summary>Refunds replaced by this change; the payment's ETag guards them.</summary>
    public IReadOnlyList<Refunds.Refund> UpdatedRefunds { get; init; } = [];
    public InboxEntry? ProcessedInbox { get; init; }

    /// <summary>Who caused the change, for the audit trail: "system", "app:…", "operator:…".</summary>
    public string Actor { get; init; } = Core.Audit.PaymentAudit.System;

    /// <summary>Audit records for the payment's chain (added by <see cref="Audit.PaymentAudit.Record"/>).</summary>
    public IReadOnlyList<Core.Audit.AuditEntry> AuditEntries { get; init; } = [];
}

public enum CreateOutcome
{
    Created,
    AlreadyExists,
}

public enum InboxOutcome
{
    Stored,
    Duplicate,
    UnknownPayment,
}

public interface IPaymentStore
{
    /// <summary>Inserts the payment with its outbox. A payment with the same id already there
    /// is not an error: the caller compares parameters.</summary>
    Task<(CreateOutcome Outcome, Versioned<Payment> Payment)> CreateAsync(Payment payment, IReadOnlyList<OutboxMessage> outbox, CancellationToken cancellationToken);

    Task<Versioned<Payment>?> GetAsync(string paymentId, CancellationToken cancellationToken);

    /// <summary>Commits the change, or returns false if the payment changed since it was read.</summary>
    Task<bool> TryCommitAsync(PaymentChange change, CancellationToken cancellationToken);

    /// <summary>Stores a verified notification with the message that will process it.</summary>
    Task<InboxOutcome> StoreInboxAsync(InboxEntry entry, OutboxMessage message, CancellationToken cancellationToken);

    Task<Refunds.Refund?> GetRefundAsync(string paymentId, string refundId, CancellationToken cancellationToken);

    /// <summary>The payment's refunds, newest first.</summary>
    Task<IReadOnlyList<Refunds.Refund>> ListRefundsAsync(string paymentId, CancellationToken cancellationToken);

    Task<InboxEntry?> GetInboxAsync(string paymentId, string notificationId, CancellationToken cancellationToken);

    Task<Versioned<WebhookEvent>?> GetEventAsync(string paymentId, string eventId, CancellationToken cancellationToken);

    /// <summary>Updates a webhook event (delivery bookkeeping) with its follow-up message, atomically.</summary>
    Task<bool> TryUpdateEventAsync(Versioned<WebhookEvent> current, WebhookEvent next, OutboxMessage? followUp, CancellationToken cancellationToken);

    /// <summary>Removes outbox rows once their messages are published.</summary>
    Task DeleteOutboxAsync(string paymentId, IEnumerable<string> messageIds, CancellationToken cancellationToken);
}
