using System.Globalization;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Reconciliation;

namespace Payments.Channels.UnionPay;

/// <summary>
/// The daily settlement file as this adapter models it (UnionPay's own ZM file is fixed-width GBK; this keeps its
/// fields in a documented CSV): UTF-8, the header <see cref="Header"/>, one record per settled consume (txnType
/// <c>01</c>) or refund (<c>04</c>, naming the consume by <c>origOrderId</c> and <c>origQryId</c>), amounts in
/// whole fen, <c>fee</c> positive when charged and negative when returned on a refund, <c>completeTime</c> in
/// Beijing time, then the trailer <c>TOTAL,N</c> counting the records. A record of any other txnType is read with
/// the status <see cref="TransactionStatus.Unrecognized"/>.
/// </summary>
public static class UnionPayTradeBill
{
    public const string Header = "merId,txnType,orderId,queryId,origOrderId,origQryId,completeTime,currencyCode,txnAmt,fee";

    /// <summary>The first field of the trailer, whose second field counts the records above it.</summary>
    public const string TrailerMark = "TOTAL";

    private const int FieldCount = 10;

    /// <summary>Reads line by line; a wrong header, a bad record or a missing or wrong trailer throws <see cref="InvalidDataException"/>.</summary>
    public static IAsyncEnumerable<StatementLine> ParseAsync(Stream statement, CancellationToken ct) =>
        CountedCsvStatement.ParseAsync(statement, Header, TrailerMark, "Not a UnionPay settlement file: header differs.", "The settlement file ends without its trailer.", ParseRecord, ct);

    private static StatementLine ParseRecord(string[] fields, int lineNumber)
    {
        if (fields.Length != FieldCount)
        {
            throw new InvalidDataException($"Line {lineNumber}: {fields.Length} fields, not {FieldCount}.");
        }

        if (fields[1].Length == 0)
        {
            throw new InvalidDataException($"Line {lineNumber}: a record without txnType.");
        }

        if (fields[7] != UnionPayWire.CurrencyCny || !UnionPayStatusMapping.TryToMoney(fields[8], out var amount)
            || !long.TryParse(fields[9], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long fee))
        {
            throw new InvalidDataException($"Line {lineNumber}: amounts are not fen of currency 156.");
        }

        if (!UnionPayWire.TryParseTime(fields[6], out var completedAt))
        {
            throw new InvalidDataException($"Line {lineNumber}: completeTime '{fields[6]}' is not yyyyMMddHHmmss.");
        }

        if (fields[2].Length == 0 || fields[3].Length == 0)
        {
            throw new InvalidDataException($"Line {lineNumber}: a record without orderId or queryId.");
        }

        // An orderId we did not make is kept as it is, so reconciliation shows it rather than hiding it.
        string id = UnionPayOrderId.ToId(fields[2]) ?? fields[2];
        var feeMoney = new Money(fee, Currency.CNY);

        // A consume or refund in the file is money that moved. A record of another txnType (a same-day consume
        // undo, 31, say) is still a line of the day, naming its consume when it has one, so it surfaces as a status
        // difference instead of failing the whole day.
        var known = UnionPayStatusMapping.ToKind(fields[1]);
        var kind = known ?? (fields[4].Length > 0 ? TransactionKind.Refund : TransactionKind.Payment);
        var status = known is null ? TransactionStatus.Unrecognized : TransactionStatus.Succeeded;
        return kind == TransactionKind.Payment
            ? new StatementLine(id, fields[3], kind, amount, feeMoney, fields[1], status, completedAt)
            : new StatementLine(id, fields[3], kind, amount, feeMoney, fields[1], status, completedAt, UnionPayOrderId.ToId(fields[4]) ?? fields[4]);
    }
}
