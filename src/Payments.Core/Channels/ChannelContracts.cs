namespace Payments.Core.Channels;

/// <summary>A channel account as the adapters need it: where to call and with which credentials.</summary>
public sealed record ChannelAccount(
    string Id,
    string Channel,
    string Mode,
    string? MerchantId,
    Uri Endpoint,
    IReadOnlyDictionary<string, Secret> Credentials)
{
    public string Credential(string name) =>
        Credentials.TryGetValue(name, out var secret)
            ? secret.Reveal()
            : throw new InvalidOperationException($"Channel account {Id} has no credential '{name}'.");
}

public sealed record ChannelCreateRequest(
    string PaymentId,
    Money Amount,
    string Method,
    string Subject,
    string? Description,
    DateTimeOffset ExpiresAt,
    Uri NotifyUrl,
    string? PayerIp,
    Uri? ReturnUrl = null,
    DateTimeOffset? CreatedAt = null);

public sealed record ChannelOrder(string NextActionType, string NextActionUrl);

public enum ChannelPaymentStatus
{
    /// <summary>Order exists, nobody has paid yet (or the payer is paying).</summary>
    Pending,
    Succeeded,
    Failed,
    Closed,

    /// <summary>The channel has no such order.</summary>
    NotFound,
}

/// <param name="PayerSetsAmount">The payer chose how much to send (a bank transfer to a reference), so
/// <paramref name="PaidAmount"/> is what has arrived so far and may be less or more than due: Pending with an
/// amount is a partial payment, Succeeded with more is an over-payment, Closed with an amount is money held when
/// the reference was closed. Elsewhere a paid amount that differs from ours is a fault to raise, not to settle.</param>
public sealed record ChannelPaymentState(
    ChannelPaymentStatus Status,
    string? ChannelTransactionId,
    Money? PaidAmount,
    DateTimeOffset? PaidAt,
    string? FailureCode = null,
    string? FailureMessage = null,
    bool PayerSetsAmount = false);

/// <summary>A refund as we ask the channel for it. <paramref name="RefundId"/> is the channel's
/// out_refund_no, so a retried request refunds once. <paramref name="ChannelTransactionId"/>, when set,
/// names the transaction to refund (a duplicate payment, or the over-paid credit whose excess goes back)
/// instead of the payment's order; <paramref name="PaymentTotal"/> is then the refund's own amount.
/// <paramref name="CreatedAt"/> is the refund's creation time and <paramref name="PaymentCreatedAt"/> the payment's:
/// a channel that names an order by id and original time (UnionPay) needs both.</summary>
public sealed record ChannelRefundRequest(
    string PaymentId,
    string RefundId,
    Money Amount,
    Money PaymentTotal,
    string? Reason,
    Uri NotifyUrl,
    string? ChannelTransactionId = null,
    DateTimeOffset? CreatedAt = null,
    DateTimeOffset? PaymentCreatedAt = null);

public enum ChannelRefundStatus
{
    /// <summary>Accepted, money not moved yet.</summary>
    Processing,
    Succeeded,

    /// <summary>Definitely not refunded (closed, abnormal): the amount is refundable again.</summary>
    Failed,

    /// <summary>The channel has no such refund.</summary>
    NotFound,
}

public sealed record ChannelRefundState(
    ChannelRefundStatus Status,
    string? ChannelRefundId,
    Money? RefundedAmount,
    DateTimeOffset? SucceededAt,
    string? FailureCode = null,
    string? FailureMessage = null)
{
    /// <summary>The failure code of a Processing refund that is stuck: the money left the merchant but could
    /// not reach the payer (WeChat Pay's ABNORMAL), and only a person re-applying it moves it on.</summary>
    public const string Stuck = "refund_stuck";
}

/// <summary>A verified, decrypted channel notification in our terms: about a payment, or (when
/// <paramref name="RefundId"/> is set) about one of its refunds.</summary>
public sealed record ChannelNotification(
    string NotificationId,
    string PaymentId,
    ChannelPaymentState State,
    string RawResource,
    string? RefundId = null,
    ChannelRefundState? RefundState = null);

/// <summary>The three ways a channel call can end. Unknown is not failure: a time-out may have
/// created the order, so the caller must query, never guess.</summary>
public abstract record ChannelResult<T>
{
    private ChannelResult()
    {
    }

    public sealed record Ok(T Value) : ChannelResult<T>;

    /// <summary>The channel answered and said no, definitively (bad request, order paid, ...).</summary>
    public sealed record Rejected(string Code, string Message) : ChannelResult<T>;

    /// <summary>No definite answer: time-out, 5xx, bad signature on the answer.</summary>
    public sealed record Unknown(string Reason) : ChannelResult<T>;

    /// <summary>This channel has no such flow.</summary>
    public sealed record NotSupported(string Flow) : ChannelResult<T>;
}

public readonly record struct Unit;

/// <summary>The outcome of verifying an inbound callback.</summary>
public abstract record NotificationParseResult
{
    private NotificationParseResult()
    {
    }

    public sealed record Valid(ChannelNotification Notification, int AckStatusCode, string AckContentType, string AckBody) : NotificationParseResult;

    /// <summary>Signature, time stamp or decryption failed: answer 401, store nothing.</summary>
    public sealed record Invalid(string Reason) : NotificationParseResult;
}

/// <summary>One payment channel's protocol. One implementation per folder in Payments.Channels.</summary>
public interface IPaymentChannel
{
    string Name { get; }

    Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken);

    Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken);

    /// <summary>Queries a payment whose order was created at <paramref name="orderCreatedAt"/> (the payment's creation
    /// time, which the create sent). A channel that names an order by id and original time (UnionPay) needs it;
    /// the others ignore it.</summary>
    Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, DateTimeOffset orderCreatedAt, CancellationToken cancellationToken) =>
        QueryAsync(account, paymentId, cancellationToken);

    Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken);

    /// <summary>Asks for a (partial) refund. Ok carries the state the channel answered with.</summary>
    Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken);

    Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken);

    /// <summary>Queries a refund created at <paramref name="refundCreatedAt"/> (the refund's creation time, which the
    /// refund request sent); see the payment overload.</summary>
    Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, DateTimeOffset refundCreatedAt, CancellationToken cancellationToken) =>
        QueryRefundAsync(account, paymentId, refundId, cancellationToken);

    /// <summary>Verifies (and decrypts) a callback. Header names are case-insensitive.</summary>
    NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body);
}
