using System.Globalization;
using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Ecny;

/// <summary>The one place where the e-CNY platform's status words become ours.</summary>
public static class EcnyStatusMapping
{
    /// <summary>Order created, the payer has not paid.</summary>
    public const string WaitPay = "WAIT_PAY";

    /// <summary>The wallet accepted the payer's confirmation and is settling it.</summary>
    public const string Paying = "PAYING";

    public const string Success = "SUCCESS";

    /// <summary>A paid order with at least one refund: still paid, refunds are tracked on their own.</summary>
    public const string Refund = "REFUND";

    /// <summary>Closed by the merchant or at its expiry time before anyone paid.</summary>
    public const string Closed = "CLOSED";

    /// <summary>The wallet refused the payment (payer declined, balance too low): the order cannot be paid any more.</summary>
    public const string Failed = "FAILED";

    public const string RefundProcessing = "PROCESSING";

    /// <summary>Statement record types.</summary>
    public const string PaymentRecord = "PAY";

    public const string RefundRecord = "REFUND";

    public static ChannelPaymentStatus? ToPaymentStatus(string? status) => status switch
    {
        WaitPay or Paying => ChannelPaymentStatus.Pending,
        Success or Refund => ChannelPaymentStatus.Succeeded,
        Closed => ChannelPaymentStatus.Closed,
        Failed => ChannelPaymentStatus.Failed,
        _ => null,
    };

    public static ChannelRefundStatus? ToRefundStatus(string? status) => status switch
    {
        RefundProcessing => ChannelRefundStatus.Processing,
        Success => ChannelRefundStatus.Succeeded,

        // The platform gave up (the wallet was closed): nothing reached the payer.
        Failed => ChannelRefundStatus.Failed,
        _ => null,
    };

    public static TransactionKind? ToKind(string recordType) => recordType switch
    {
        PaymentRecord => TransactionKind.Payment,
        RefundRecord => TransactionKind.Refund,
        _ => null,
    };

    /// <summary>A statement line's status word in reconciliation terms; unknown words surface as Unrecognized.</summary>
    public static TransactionStatus ToTransactionStatus(TransactionKind kind, string status) => (kind, status) switch
    {
        (TransactionKind.Payment, Success) => TransactionStatus.Succeeded,
        (TransactionKind.Payment, Refund) => TransactionStatus.Succeeded,
        (TransactionKind.Refund, Success) => TransactionStatus.Succeeded,
        (TransactionKind.Refund, RefundProcessing) => TransactionStatus.Processing,
        (TransactionKind.Refund, Failed) => TransactionStatus.Failed,
        _ => TransactionStatus.Unrecognized,
    };

    internal static bool TryToState(EcnyOrder order, out ChannelPaymentState state, out string problem)
    {
        state = new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null);
        if (ToPaymentStatus(order.Status) is not { } status)
        {
            problem = $"unknown order status '{order.Status}'";
            return false;
        }

        if (status == ChannelPaymentStatus.Failed)
        {
            state = new ChannelPaymentState(status, order.OrderNo, null, null, order.FailCode ?? Failed, order.FailMessage ?? "the wallet refused the payment");
            problem = string.Empty;
            return true;
        }

        Money? paid = null;
        DateTimeOffset? paidAt = null;
        if (status == ChannelPaymentStatus.Succeeded)
        {
            if (!TryToMoney(order.Amount, order.Currency, out var amount))
            {
                problem = "paid order without an amount in a known currency";
                return false;
            }

            paid = amount;
            paidAt = ParseTime(order.PayTime);
        }

        state = new ChannelPaymentState(status, order.OrderNo, paid, paidAt);
        problem = string.Empty;
        return true;
    }

    internal static bool TryToRefundState(EcnyRefund refund, out ChannelRefundState state, out string problem)
    {
        state = new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null);
        if (ToRefundStatus(refund.Status) is not { } status)
        {
            problem = $"unknown refund status '{refund.Status}'";
            return false;
        }

        if (status == ChannelRefundStatus.Failed)
        {
            state = new ChannelRefundState(status, refund.RefundNo, null, null, refund.FailCode ?? Failed, refund.FailMessage ?? "the refund did not reach the payer's wallet");
            problem = string.Empty;
            return true;
        }

        if (!TryToMoney(refund.RefundAmount, refund.Currency, out var amount))
        {
            problem = "refund without an amount in a known currency";
            return false;
        }

        state = new ChannelRefundState(status, refund.RefundNo, amount, status == ChannelRefundStatus.Succeeded ? ParseTime(refund.SuccessTime) : null);
        problem = string.Empty;
        return true;
    }

    private static bool TryToMoney(long? fen, string? currencyCode, out Money money)
    {
        money = default;
        if (fen is not { } value || value < 0 || !Currency.TryParse(currencyCode ?? "CNY", out var currency))
        {
            return false;
        }

        money = new Money(value, currency);
        return true;
    }

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? at : null;
}
