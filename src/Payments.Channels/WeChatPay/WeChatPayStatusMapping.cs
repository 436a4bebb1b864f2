using System.Globalization;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.WeChatPay;

/// <summary>The one place where WeChat Pay trade states become our payment states.</summary>
internal static class WeChatPayStatusMapping
{
    /// <summary>Our status for a <c>trade_state</c>, or null for one we do not know (never guess).</summary>
    public static ChannelPaymentStatus? ToStatus(string? tradeState) => tradeState switch
    {
        "SUCCESS" => ChannelPaymentStatus.Succeeded,

        // A refunded order was paid first; refunds are tracked on their own, not by undoing the payment.
        "REFUND" => ChannelPaymentStatus.Succeeded,
        "NOTPAY" or "USERPAYING" => ChannelPaymentStatus.Pending,
        "CLOSED" or "REVOKED" => ChannelPaymentStatus.Closed,
        "PAYERROR" => ChannelPaymentStatus.Failed,
        _ => null,
    };

    /// <summary>
    /// Our state for a transaction. False, with the reason, when the transaction cannot be read
    /// safely: an unknown state, or a paid state without an amount in a currency we know.
    /// </summary>
    public static bool TryToState(WeChatPayTransaction transaction, out ChannelPaymentState state, out string problem)
    {
        state = new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null);
        if (ToStatus(transaction.TradeState) is not { } status)
        {
            problem = $"unknown trade_state '{transaction.TradeState}'";
            return false;
        }

        Money? paid = null;
        DateTimeOffset? paidAt = null;
        if (status == ChannelPaymentStatus.Succeeded)
        {
            // The order total, not payer_total: coupons lower what the payer spends, not what the order is worth.
            if (transaction.Amount is not { Total: { } total } amount)
            {
                problem = "paid transaction without amount.total";
                return false;
            }

            if (!Currency.TryParse(amount.Currency, out var currency))
            {
                problem = $"unknown currency '{amount.Currency}'";
                return false;
            }

            paid = new Money(total, currency);
            paidAt = DateTimeOffset.TryParse(transaction.SuccessTime, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                ? at
                : null;
        }

        state = status == ChannelPaymentStatus.Failed
            ? new ChannelPaymentState(status, transaction.TransactionId, null, null, transaction.TradeState, transaction.TradeStateDesc)
            : new ChannelPaymentState(status, transaction.TransactionId, paid, paidAt);
        problem = string.Empty;
        return true;
    }

    /// <summary>
    /// Our state for a refund <c>status</c> (answers) or <c>refund_status</c> (notifications). False,
    /// with the reason, for a status we do not know or an amount we cannot read.
    /// </summary>
    public static bool TryToRefundState(
        string? refundStatus,
        string? channelRefundId,
        WeChatPayRefundAmount? amount,
        string? successTime,
        out ChannelRefundState state,
        out string problem)
    {
        state = new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null);
        ChannelRefundStatus? status = refundStatus switch
        {
            "SUCCESS" => ChannelRefundStatus.Succeeded,
            "PROCESSING" => ChannelRefundStatus.Processing,

            // ABNORMAL: WeChat took the money from the merchant but could not put it in the payer's
            // account (closed card, frozen account). It is not failed (the amount must not become
            // refundable again) and not done: it stays in flight until a person re-applies it to another
            // account, after which WeChat reports SUCCESS. The failure code says why it is stuck.
            "ABNORMAL" => ChannelRefundStatus.Processing,
            "CLOSED" => ChannelRefundStatus.Failed,
            _ => null,
        };
        if (status is not { } known)
        {
            problem = $"unknown refund status '{refundStatus}'";
            return false;
        }

        if (known == ChannelRefundStatus.Failed)
        {
            state = new ChannelRefundState(known, channelRefundId, null, null, refundStatus, "the refund was closed");
            problem = string.Empty;
            return true;
        }

        if (amount is not { Refund: { } refunded })
        {
            problem = "refund without amount.refund";
            return false;
        }

        // Domestic refunds are CNY only and the notification leaves the currency out.
        var currency = Currency.CNY;
        if (amount.Currency is { } code && !Currency.TryParse(code, out currency))
        {
            problem = $"unknown currency '{code}'";
            return false;
        }

        DateTimeOffset? succeededAt = known == ChannelRefundStatus.Succeeded
            && DateTimeOffset.TryParse(successTime, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
                ? at
                : null;
        bool stuck = refundStatus == "ABNORMAL";
        state = new ChannelRefundState(
            known, channelRefundId, new Money(refunded, currency), succeededAt,
            stuck ? ChannelRefundState.Stuck : null, stuck ? "the refund did not reach the payer's account" : null);
        problem = string.Empty;
        return true;
    }
}
