using Payments.Core.Channels;

namespace Payments.Core.Reconciliation;

/// <summary>What a statement line or one of our records is about.</summary>
public enum TransactionKind
{
    Payment,
    Refund,
}

/// <summary>
/// A transaction's state in reconciliation terms, shared by both sides so they compare directly.
/// A channel's statement parser is the only place where the channel's words become these.
/// </summary>
public enum TransactionStatus
{
    /// <summary>Money moved: a paid payment, a refund that reached the payer.</summary>
    Succeeded,

    /// <summary>Accepted but not settled (a refund still processing, a payer still paying).</summary>
    Processing,

    /// <summary>Definitely did not move money.</summary>
    Failed,

    /// <summary>Closed or revoked before it was paid.</summary>
    Closed,

    /// <summary>A payment the channel lists as turned into a refund instead of as paid.</summary>
    Refunded,

    /// <summary>A word the channel mapping does not know. Never equal to any of ours, so it always surfaces.</summary>
    Unrecognized,
}

/// <summary>
/// One line of a channel statement in our terms.
/// </summary>
/// <param name="Id">Our payment id (payment lines) or refund id (refund lines) as the channel carries it:
/// the channel's merchant order or refund number. Empty when the channel line has none.</param>
/// <param name="ChannelTransactionId">The channel's own id for the transaction (or refund), the fallback join key.</param>
/// <param name="Kind">Payment or refund.</param>
/// <param name="Amount">The order amount (payments) or refunded amount (refunds), always positive.</param>
/// <param name="Fee">The channel's fee for this line when the statement carries fees: positive for a
/// charge, negative for a fee returned on a refund.</param>
/// <param name="ChannelStatus">The channel's raw status word, kept for operators.</param>
/// <param name="Status">The channel status mapped to ours by the channel's parser.</param>
/// <param name="Time">When the channel says it happened (paid, or refunded).</param>
/// <param name="PaymentId">For a refund line, the payment it refunds (the channel's merchant order number).</param>
/// <param name="FoldedAmounts">For a line the channel's parser folded from several entries of one transaction (the
/// credits a payer sent to one bank transfer reference that day), each entry's amount; null for a line of one entry.
/// The channel charged its fee per entry, rounded each time, so the fee to expect is summed per entry.</param>
public sealed record StatementLine(
    string Id,
    string? ChannelTransactionId,
    TransactionKind Kind,
    Money Amount,
    Money? Fee,
    string ChannelStatus,
    TransactionStatus Status,
    DateTimeOffset Time,
    string? PaymentId = null,
    IReadOnlyList<Money>? FoldedAmounts = null);

/// <summary>A channel that publishes daily statements. Implemented once per channel folder in Payments.Channels;
/// a new channel plugs into reconciliation with this alone.</summary>
public interface IStatementChannel
{
    /// <summary>The channel name accounts use (<c>wechatpay</c>, <c>alipay</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Downloads the statement of <paramref name="date"/> (the channel's business day) for the
    /// account. Ok carries a readable stream of the statement file as the channel defines it, already
    /// verified and decompressed; the caller disposes it. NotSupported for a channel without statements.
    /// </summary>
    Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct);

    /// <summary>
    /// Reads a statement line by line, never loading it whole. A malformed statement throws
    /// <see cref="InvalidDataException"/>: reconciling half a file would report false differences.
    /// </summary>
    IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct);
}
