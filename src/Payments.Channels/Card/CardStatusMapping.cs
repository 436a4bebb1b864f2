using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Card;

/// <summary>The only place where the acquirer's words become ours.</summary>
public static class CardStatusMapping
{
    /// <summary>Session status: the payer has not finished (or is in the 3-D Secure challenge).</summary>
    public const string Pending = "pending";

    public const string Authorised = "authorised";

    /// <summary>The issuer or the 3-D Secure challenge refused; the session cannot be paid any more.</summary>
    public const string Refused = "refused";

    public const string Cancelled = "cancelled";

    public const string Expired = "expired";

    public static ChannelPaymentStatus? ToPaymentStatus(string status) => status switch
    {
        Pending => ChannelPaymentStatus.Pending,
        Authorised => ChannelPaymentStatus.Succeeded,
        Refused => ChannelPaymentStatus.Failed,
        Cancelled or Expired => ChannelPaymentStatus.Closed,
        _ => null,
    };

    public static ChannelRefundStatus? ToRefundStatus(string status) => status switch
    {
        "received" => ChannelRefundStatus.Processing,
        "succeeded" => ChannelRefundStatus.Succeeded,
        "failed" => ChannelRefundStatus.Failed,
        _ => null,
    };

    /// <summary>Settlement report record types: <c>Settled</c> (a captured payment), <c>Refunded</c>.</summary>
    public static TransactionKind? ToKind(string recordType) => recordType switch
    {
        "Settled" => TransactionKind.Payment,
        "Refunded" => TransactionKind.Refund,
        _ => null,
    };

    internal static bool TryToMoney(CardAmount? amount, out Money money)
    {
        money = default;
        if (amount is null || amount.Value < 0 || !Currency.TryParse(amount.Currency, out var currency))
        {
            return false;
        }

        money = new Money(amount.Value, currency);
        return true;
    }

    internal static CardAmount ToAmount(Money money) => new(money.MinorUnits, money.Currency.Code);
}
