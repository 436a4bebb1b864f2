using Payments.Core.Payments;

namespace Payments.Core.Refunds;

public enum RefundStatus
{
    /// <summary>Accepted and reserved against the payment, not yet at the channel.</summary>
    Created,

    /// <summary>The channel accepted it; money not moved yet.</summary>
    Pending,
    Succeeded,

    /// <summary>Definitely not refunded; its amount is refundable again.</summary>
    Failed,
}

public static class RefundStatusExtensions
{
    public static bool IsTerminal(this RefundStatus status) => status is RefundStatus.Succeeded or RefundStatus.Failed;

    public static string ToWire(this RefundStatus status) => status.ToString().ToLowerInvariant();

    public static RefundStatus FromWire(string status) => Enum.Parse<RefundStatus>(status, ignoreCase: true);
}

/// <summary>A refund of (part of) a payment. It lives in the payment's partition, and every change to it
/// commits together with the payment, so the refundable amount is guarded by the payment's ETag.</summary>
public sealed record Refund
{
    public required string Id { get; init; }
    public required string PaymentId { get; init; }
    public required string MerchantRefundNo { get; init; }
    public required Money Amount { get; init; }
    public string? Reason { get; init; }
    public required string RequestHash { get; init; }
    public RefundStatus Status { get; init; } = RefundStatus.Created;
    public string? ChannelRefundId { get; init; }
    public Failure? Failure { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? SucceededAt { get; init; }
    public int QueryAttempts { get; init; }
    public DateTimeOffset? LastQueriedAt { get; init; }

    /// <summary>Set when this returns money outside the merchant's refundable amount (a duplicate transaction,
    /// or what a payer sent beyond the amount due): the channel is asked to refund that transaction, and the
    /// amount is not the payment's to release or count.</summary>
    public string? DuplicateTransactionId { get; init; }

    /// <summary>Created by us (late, duplicate, over- or partly-paid payment), not asked for by the merchant.</summary>
    public bool IsAutomatic => RequestHash == AutomaticRequestHash;

    public const string AutomaticRequestHash = "automatic";

    public (TransitionOutcome Outcome, Refund Refund) MarkPending(string? channelRefundId, DateTimeOffset at) => Status switch
    {
        RefundStatus.Created => (TransitionOutcome.Applied, this with { Status = RefundStatus.Pending, ChannelRefundId = channelRefundId ?? ChannelRefundId, UpdatedAt = at }),
        RefundStatus.Pending => (TransitionOutcome.AlreadyDone, this),
        _ => (TransitionOutcome.Rejected, this),
    };

    public (TransitionOutcome Outcome, Refund Refund) MarkSucceeded(string? channelRefundId, DateTimeOffset at) => Status switch
    {
        RefundStatus.Created or RefundStatus.Pending => (TransitionOutcome.Applied, this with
        {
            Status = RefundStatus.Succeeded, ChannelRefundId = channelRefundId ?? ChannelRefundId, SucceededAt = at, UpdatedAt = at,
        }),
        RefundStatus.Succeeded => (TransitionOutcome.AlreadyDone, this),
        _ => (TransitionOutcome.Rejected, this),
    };

    public (TransitionOutcome Outcome, Refund Refund) MarkFailed(Failure failure, DateTimeOffset at) => Status switch
    {
        RefundStatus.Created or RefundStatus.Pending => (TransitionOutcome.Applied, this with { Status = RefundStatus.Failed, Failure = failure, UpdatedAt = at }),
        RefundStatus.Failed => (TransitionOutcome.AlreadyDone, this),
        _ => (TransitionOutcome.Rejected, this),
    };

    public Refund RecordQuery(DateTimeOffset at) => this with { QueryAttempts = QueryAttempts + 1, LastQueriedAt = at };
}

/// <summary>The refund object of api.md.</summary>
public sealed record RefundDto(
    string Id,
    string Object,
    string PaymentId,
    string MerchantRefundNo,
    long Amount,
    string Currency,
    string Status,
    string? Reason,
    FailureDto? Failure,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? SucceededAt)
{
    public static RefundDto From(Refund r) => new(
        r.Id, "refund", r.PaymentId, r.MerchantRefundNo, r.Amount.MinorUnits, r.Amount.Currency.Code, r.Status.ToWire(), r.Reason,
        r.Failure is { } f ? new FailureDto(f.Code, f.Message) : null, r.CreatedAt, r.UpdatedAt, r.SucceededAt);
}
