namespace Payments.Core.Reconciliation;

/// <summary>
/// One of our own payments or refunds in a final state, as the per-account, per-business-day index
/// holds it: the system side of reconciliation.
/// </summary>
/// <param name="Id">Our payment id (<c>pay_</c>) or refund id (<c>ref_</c>); the channel carries it as its merchant number.</param>
/// <param name="Kind">Payment or refund.</param>
/// <param name="ChannelTransactionId">The channel's id, when we learned it.</param>
/// <param name="Amount">The payment amount, or the refunded amount.</param>
/// <param name="Status">The final state: <see cref="TransactionStatus.Succeeded"/>, <see cref="TransactionStatus.Failed"/>
/// or <see cref="TransactionStatus.Closed"/>. Only succeeded records are expected on a statement.</param>
/// <param name="Time">When it reached that state (paid, refunded, closed); its business day is this time in the
/// business time zone.</param>
/// <param name="Fee">The fee we expect, when we know it; otherwise the matcher's fee schedule, if any, computes it.</param>
/// <param name="PaymentId">For a refund, its payment.</param>
public sealed record SystemRecord(
    string Id,
    TransactionKind Kind,
    string? ChannelTransactionId,
    Money Amount,
    TransactionStatus Status,
    DateTimeOffset Time,
    Money? Fee = null,
    string? PaymentId = null);
