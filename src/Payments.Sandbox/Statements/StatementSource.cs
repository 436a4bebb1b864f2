namespace Payments.Sandbox.Statements;

/// <summary>
/// One line of a sandbox statement in channel-neutral terms: what the mutations endpoint can change. Each channel
/// renders it in its own file format.
/// </summary>
/// <param name="TransactionId">Our payment or refund id as the channel carries it (its merchant order or refund number).</param>
/// <param name="IsRefund">A refund line rather than a payment line.</param>
/// <param name="ChannelTransactionId">The channel's id of the payment, or of the refund on a refund line.</param>
/// <param name="PaymentId">On a refund line, the merchant order number of the payment it refunds.</param>
/// <param name="PaymentChannelTransactionId">On a refund line, the channel's id of that payment.</param>
/// <param name="Amount">Minor units: the order total, or the refunded amount.</param>
/// <param name="Fee">Minor units the channel charges (negative on a refund: the fee returned).</param>
/// <param name="Status">The channel's own status word for the line.</param>
/// <param name="Time">When the channel says it happened; the line belongs to that day in the channel's time zone.</param>
internal sealed record StatementEntry(
    string TransactionId,
    bool IsRefund,
    string ChannelTransactionId,
    string? PaymentId,
    string? PaymentChannelTransactionId,
    long Amount,
    long Fee,
    string Status,
    DateTimeOffset Time,
    string Currency,
    string Subject);

/// <summary>A channel whose sandbox serves statements. The generic endpoints and mutations work through this alone.</summary>
internal interface IStatementSource
{
    /// <summary>The channel name in the statement routes (<c>wechatpay</c>).</summary>
    string Channel { get; }

    /// <summary>The sandbox merchant a route's <c>channelAccountId</c> names, or null for none.</summary>
    string? ResolveMerchant(string channelAccountId);

    /// <summary>The lines of <paramref name="date"/> (the channel's business day) built from the sandbox's own records now.</summary>
    IReadOnlyList<StatementEntry> Entries(string merchant, DateOnly date);

    /// <summary>A succeeded payment line of the caller's invention, for the <c>add</c> mutation.</summary>
    StatementEntry Invent(string merchant, DateOnly date, string transactionId, long amount);

    /// <summary>The media type of the rendered file.</summary>
    string MediaType { get; }

    /// <summary>The statement file exactly as the channel serves it, uncompressed.</summary>
    byte[] Render(string merchant, IReadOnlyList<StatementEntry> entries);
}
