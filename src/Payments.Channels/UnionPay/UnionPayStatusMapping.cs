using System.Globalization;
using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.UnionPay;

/// <summary>
/// The only place where ACP's response codes, amounts and transaction types become ours. <c>respCode</c> answers
/// for the request itself; on a query, <c>origRespCode</c> answers for the transaction queried.
/// </summary>
public static class UnionPayStatusMapping
{
    public const string Success = "00";

    /// <summary>The transaction (or the query) has no record: <c>34</c>, 查无此交易.</summary>
    public const string NotFound = "34";

    /// <summary><c>98</c>: the file transfer has no file for that day.</summary>
    public const string NoFile = "98";

    public const string ConsumeTxnType = "01";
    public const string RefundTxnType = "04";

    /// <summary>Processing: 03 (communication time-out), 04 (state unknown), 05 (accepted, query later).</summary>
    public static bool IsProcessing(string? code) => code is "03" or "04" or "05";

    /// <summary>
    /// A request's outcome when <c>respCode</c> is not 00: processing codes and the system-level 01 (failed, with no
    /// guarantee nothing was done), 02 (closed for business) and 06 (busy) may hide a transaction, so they are not a
    /// definite no; every other code refused the request.
    /// </summary>
    public static bool IsDefiniteRefusal(string? code) => code is { Length: > 0 } && !IsProcessing(code) && code is not ("01" or "02" or "06");

    /// <summary>Our payment status for the <c>origRespCode</c> of a consume the query found.</summary>
    public static ChannelPaymentStatus ToPaymentStatus(string? origRespCode) => origRespCode switch
    {
        Success => ChannelPaymentStatus.Succeeded,
        _ when IsProcessing(origRespCode) => ChannelPaymentStatus.Pending,
        _ => ChannelPaymentStatus.Failed,
    };

    /// <summary>Our refund status for the <c>origRespCode</c> of a refund the query found.</summary>
    public static ChannelRefundStatus ToRefundStatus(string? origRespCode) => origRespCode switch
    {
        Success => ChannelRefundStatus.Succeeded,
        _ when IsProcessing(origRespCode) => ChannelRefundStatus.Processing,
        _ => ChannelRefundStatus.Failed,
    };

    /// <summary>Statement transaction types: <c>01</c> consume, <c>04</c> refund.</summary>
    public static TransactionKind? ToKind(string txnType) => txnType switch
    {
        ConsumeTxnType => TransactionKind.Payment,
        RefundTxnType => TransactionKind.Refund,
        _ => null,
    };

    /// <summary><c>txnAmt</c>: a whole number of fen, no sign, no leading zeros beyond a single 0.</summary>
    public static string ToTxnAmt(Money amount) =>
        amount.Currency == Currency.CNY && amount.MinorUnits > 0
            ? amount.MinorUnits.ToString(CultureInfo.InvariantCulture)
            : throw new ArgumentOutOfRangeException(nameof(amount), "UnionPay amounts are positive CNY.");

    public static bool TryToMoney(string? txnAmt, out Money money)
    {
        money = default;
        if (txnAmt is not { Length: > 0 and <= 12 } || !txnAmt.All(char.IsAsciiDigit) || (txnAmt.Length > 1 && txnAmt[0] == '0'))
        {
            return false;
        }

        money = new Money(long.Parse(txnAmt, NumberStyles.None, CultureInfo.InvariantCulture), Currency.CNY);
        return true;
    }
}
