using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Transfer;

/// <summary>The only place where the bank's words become ours.</summary>
public static class TransferStatusMapping
{
    /// <summary>Collection status: nothing credited yet.</summary>
    public const string Open = "OPEN";

    /// <summary>Some money arrived, less than due; the reference still accepts credits.</summary>
    public const string PartiallyPaid = "PARTIALLY_PAID";

    /// <summary>The amount due (or more) arrived; the bank returns any later credit to its sender.</summary>
    public const string Paid = "PAID";

    /// <summary>Closed on the merchant's request; money already credited stays with the bank for the merchant.</summary>
    public const string Closed = "CLOSED";

    public const string Expired = "EXPIRED";

    /// <summary>Statement entry: a credit to a reference (money in).</summary>
    public const string CreditEntry = "CREDIT";

    /// <summary>Statement entry: a refund returned to the payer's account (money out).</summary>
    public const string ReturnEntry = "RETURN";

    public static ChannelPaymentStatus? ToPaymentStatus(string status) => status switch
    {
        Open or PartiallyPaid => ChannelPaymentStatus.Pending,
        Paid => ChannelPaymentStatus.Succeeded,
        Closed or Expired => ChannelPaymentStatus.Closed,
        _ => null,
    };

    public static ChannelRefundStatus? ToRefundStatus(string status) => status switch
    {
        "PROCESSING" => ChannelRefundStatus.Processing,
        "SUCCEEDED" => ChannelRefundStatus.Succeeded,
        "FAILED" => ChannelRefundStatus.Failed,
        _ => null,
    };

    /// <summary>Statement entry types: a credit is a payment line, a return a refund line.</summary>
    public static TransactionKind? ToKind(string entryType) => entryType switch
    {
        CreditEntry => TransactionKind.Payment,
        ReturnEntry => TransactionKind.Refund,
        _ => null,
    };

    /// <summary>
    /// A collection in our terms, always with <see cref="ChannelPaymentState.PayerSetsAmount"/>: the payer chose
    /// what to send, so the paid amount is the cumulative credit, which may be less or more than due. The
    /// collection id is the transaction id from the start, as every credit and refund belongs to it.
    /// </summary>
    internal static ChannelPaymentState? ToPaymentState(TransferCollection collection)
    {
        if (ToPaymentStatus(collection.Status) is not { } status || !Currency.TryParse(collection.Currency, out var currency)
            || collection.AmountCredited < 0 || collection.AmountDue <= 0)
        {
            return null;
        }

        Money? credited = collection.AmountCredited > 0 ? new Money(collection.AmountCredited, currency) : null;
        DateTimeOffset? lastCredit = collection.Credits is { Length: > 0 } credits ? credits.Max(c => c.CreditedAt) : null;
        return status switch
        {
            ChannelPaymentStatus.Succeeded when credited is null => null,
            ChannelPaymentStatus.Succeeded => new ChannelPaymentState(status, collection.CollectionId, credited, collection.PaidAt ?? lastCredit, PayerSetsAmount: true),
            _ => new ChannelPaymentState(status, collection.CollectionId, credited, lastCredit, PayerSetsAmount: true),
        };
    }

    internal static bool IsCny(string currency) => currency == Currency.CNY.Code;
}
