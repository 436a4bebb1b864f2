using System.Globalization;
using System.Text.RegularExpressions;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Alipay;

/// <summary>
/// The one place where Alipay's trade and refund words, amounts and times become ours.
/// </summary>
public static partial class AlipayStatusMapping
{
    public const string WaitBuyerPay = "WAIT_BUYER_PAY";
    public const string TradeClosed = "TRADE_CLOSED";
    public const string TradeSuccess = "TRADE_SUCCESS";
    public const string TradeFinished = "TRADE_FINISHED";
    public const string RefundSuccess = "REFUND_SUCCESS";

    // Beijing time, which is how every Alipay time stamp is written; China has had no DST since 1991.
    private static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);

    private static readonly string[] TimeFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.fff"];

    /// <summary>
    /// Our status for a <c>trade_status</c>, or null for one we do not know (never guess).
    /// <paramref name="wasPaid"/> matters for TRADE_CLOSED, which Alipay uses both for an unpaid
    /// trade that timed out or was closed and for a paid trade refunded in full.
    /// </summary>
    public static ChannelPaymentStatus? ToStatus(string? tradeStatus, bool wasPaid) => tradeStatus switch
    {
        TradeSuccess or TradeFinished => ChannelPaymentStatus.Succeeded,
        WaitBuyerPay => ChannelPaymentStatus.Pending,

        // A trade refunded in full was paid first; refunds are tracked on their own.
        TradeClosed => wasPaid ? ChannelPaymentStatus.Succeeded : ChannelPaymentStatus.Closed,
        _ => null,
    };

    /// <summary>
    /// Our state for a trade as <c>alipay.trade.query</c> answers it or a notification reports it.
    /// False, with the reason, when it cannot be read safely: an unknown status, or a paid trade
    /// without an exact amount or a trade number.
    /// </summary>
    /// <param name="paidAt">When Alipay says the payer paid (<c>send_pay_date</c> in answers,
    /// <c>gmt_payment</c> in notifications); its presence is what marks a closed trade as once paid.</param>
    public static bool TryToState(string? tradeStatus, string? tradeNo, string? totalAmount, string? paidAt, out ChannelPaymentState state, out string problem)
    {
        state = new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null);
        DateTimeOffset? paidTime = TryParseTime(paidAt, out var time) ? time : null;
        if (ToStatus(tradeStatus, wasPaid: paidTime is not null) is not { } status)
        {
            problem = $"unknown trade_status '{tradeStatus}'";
            return false;
        }

        if (status != ChannelPaymentStatus.Succeeded)
        {
            state = new ChannelPaymentState(status, tradeNo, null, null);
            problem = string.Empty;
            return true;
        }

        if (!TryParseYuan(totalAmount, out var paid))
        {
            problem = $"paid trade with unreadable total_amount '{totalAmount}'";
            return false;
        }

        if (string.IsNullOrEmpty(tradeNo))
        {
            problem = "paid trade without trade_no";
            return false;
        }

        state = new ChannelPaymentState(status, tradeNo, paid, paidTime);
        problem = string.Empty;
        return true;
    }

    /// <summary>
    /// Our state for an <c>alipay.trade.fastpay.refund.query</c> answer. Alipay's rule: the answer
    /// names the refund (with its amount) only once the refund is made; <c>refund_status</c> is
    /// either absent or REFUND_SUCCESS then. No refund data means no such refund.
    /// </summary>
    internal static bool TryToRefundState(AlipayRefundQueryResponse answer, out ChannelRefundState state, out string problem)
    {
        state = new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null);
        problem = string.Empty;
        if (string.IsNullOrEmpty(answer.RefundAmount))
        {
            return true;
        }

        if (answer.RefundStatus is { Length: > 0 } refundStatus && refundStatus != RefundSuccess)
        {
            problem = $"unknown refund_status '{refundStatus}'";
            return false;
        }

        if (!TryParseYuan(answer.RefundAmount, out var refunded))
        {
            problem = $"unreadable refund_amount '{answer.RefundAmount}'";
            return false;
        }

        state = new ChannelRefundState(
            ChannelRefundStatus.Succeeded, null, refunded, TryParseTime(answer.GmtRefundPay, out var at) ? at : null);
        return true;
    }

    /// <summary>
    /// Our state for an <c>alipay.trade.refund</c> answer. <c>fund_change=Y</c>: this call moved the
    /// money, the refund is done. <c>N</c>: nothing moved now (a repeat of a refund already made, or
    /// one still under way), so only the refund query can say; it is reported as processing. The
    /// answer's <c>refund_fee</c> is the trade's total refunded, not this refund's, so no amount.
    /// </summary>
    internal static bool TryToRefundState(AlipayRefundResponse answer, out ChannelRefundState state, out string problem)
    {
        problem = string.Empty;
        switch (answer.FundChange)
        {
            case "Y":
                state = new ChannelRefundState(
                    ChannelRefundStatus.Succeeded, null, null, TryParseTime(answer.GmtRefundPay, out var at) ? at : null);
                return true;
            case "N":
                state = new ChannelRefundState(ChannelRefundStatus.Processing, null, null, null);
                return true;
            default:
                state = new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null);
                problem = $"unknown fund_change '{answer.FundChange}'";
                return false;
        }
    }

    /// <summary>An amount as Alipay writes it: yuan, CNY only, exact to the fen.</summary>
    public static string ToYuan(Money amount) =>
        amount.Currency == Currency.CNY
            ? amount.ToMajorUnitString()
            : throw new ArgumentException($"Alipay amounts are CNY, not {amount.Currency.Code}.", nameof(amount));

    /// <summary>
    /// Reads a yuan amount exactly ("19.99", "0.1", "5"): digits, at most two decimals, no sign, no
    /// exponent, no spaces. Anything else is refused rather than rounded.
    /// </summary>
    public static bool TryParseYuan(string? text, out Money amount)
    {
        amount = default;
        return text is not null && YuanPattern().IsMatch(text) && Money.TryParseMajorUnits(text, Currency.CNY, out amount);
    }

    /// <summary>The gateway's time format, <c>yyyy-MM-dd HH:mm:ss</c> in Beijing time.</summary>
    public static string FormatTime(DateTimeOffset instant) =>
        instant.ToOffset(BeijingOffset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Reads a gateway time, with or without milliseconds (<c>gmt_refund</c> has them), as Beijing time.</summary>
    public static bool TryParseTime(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (!DateTime.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }

        instant = new DateTimeOffset(local, BeijingOffset);
        return true;
    }

    [GeneratedRegex(@"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex YuanPattern();
}
