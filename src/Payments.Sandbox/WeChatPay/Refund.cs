using System.Globalization;
using System.Security.Cryptography;

namespace Payments.Sandbox.WeChatPay;

internal enum RefundStatus
{
    Processing,
    Success,
    Closed,

    /// <summary>The money left the merchant but could not be put into the payer's account.</summary>
    Abnormal,
}

internal enum RefundRequestOutcome
{
    Created,

    /// <summary>Same out_refund_no, same terms: the existing refund is answered.</summary>
    Existing,
    DifferentParameters,
    OrderNotPaid,
    TotalMismatch,
    ExceedsRefundable,

    /// <summary>The out_refund_no already names a refund of another order.</summary>
    RefundNoTaken,
}

internal enum RefundSettleOutcome
{
    Settled,
    NotFound,
    NotProcessing,
}

/// <summary>What the merchant asked for; a repeated out_refund_no must ask for exactly the same.</summary>
internal sealed record RefundTerms(
    string OutRefundNo,
    int Refund,
    int Total,
    string Currency,
    string? Reason,
    string? NotifyUrl);

internal sealed record RefundInspection(
    string OutRefundNo,
    string OutTradeNo,
    string TransactionId,
    string Status,
    int Amount,
    int RefundCalls,
    NotificationInspection[] Notifications);

/// <summary>
/// One refund of an <see cref="Order"/>'s transaction (its own payment, or a duplicate payment). It
/// has no lock of its own: every read and change happens under its order's lock, which is what keeps
/// the refunds of one transaction from exceeding its total.
/// </summary>
internal sealed class Refund(RefundTerms terms, string transactionId, string refundId, DateTimeOffset createdAt)
{
    private const string Digits = "0123456789";

    // Where the money goes back for a balance payment, as the channel words it.
    private const string UserReceivedAccount = "支付用户零钱";

    public RefundTerms Terms { get; } = terms;

    /// <summary>The transaction the money goes back from.</summary>
    public string TransactionId { get; } = transactionId;

    public string RefundId { get; } = refundId;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public RefundStatus Status { get; set; } = RefundStatus.Processing;

    public DateTimeOffset? SucceededAt { get; set; }

    public int Calls { get; set; } = 1;

    public List<NotificationRecord> Notifications { get; } = [];

    /// <summary>Counts against the order's total until it is closed: an abnormal refund's money has left the merchant.</summary>
    public bool Holds => Status != RefundStatus.Closed;

    public static string StatusName(RefundStatus status) => status.ToString().ToUpperInvariant();

    /// <summary>29 digits, shaped like the channel's: "50", random digits, the China-time date, random digits.</summary>
    public static string NewRefundId(DateTimeOffset now) =>
        "50" + RandomNumberGenerator.GetString(Digits, 6)
        + now.ToOffset(TimeSpan.FromHours(8)).ToString("yyyyMMdd", CultureInfo.InvariantCulture)
        + RandomNumberGenerator.GetString(Digits, 13);

    public RefundResponse ToResponse(string outTradeNo) => new(
        RefundId,
        Terms.OutRefundNo,
        TransactionId,
        outTradeNo,
        "ORIGINAL",
        UserReceivedAccount,
        Status == RefundStatus.Success ? WeChatPayTime.Format(SucceededAt!.Value) : null,
        WeChatPayTime.Format(CreatedAt),
        StatusName(Status),
        "AVAILABLE",
        new RefundResponseAmount(
            Terms.Total, Terms.Refund, Terms.Total, Terms.Refund, Terms.Refund, Terms.Total, 0, Terms.Currency),
        []);

    public RefundNotice ToNotice(string mchId, string outTradeNo) => new(
        mchId,
        outTradeNo,
        TransactionId,
        Terms.OutRefundNo,
        RefundId,
        StatusName(Status),
        Status == RefundStatus.Success ? WeChatPayTime.Format(SucceededAt!.Value) : null,
        UserReceivedAccount,
        new RefundNoticeAmount(Terms.Total, Terms.Refund, Terms.Total, Terms.Refund));

    public RefundInspection Inspect(string outTradeNo) => new(
        Terms.OutRefundNo,
        outTradeNo,
        TransactionId,
        StatusName(Status),
        Terms.Refund,
        Calls,
        [.. Notifications.Select(n => n.Inspect())]);
}
