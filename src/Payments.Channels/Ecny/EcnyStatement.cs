using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Payments.Core;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Ecny;

/// <summary>
/// The daily statement (对账单): UTF-8 CSV without quoting, LF or CRLF line ends, the header row
/// <see cref="Header"/>, one record per paid order (<c>PAY</c>) on the Beijing day it was paid and per
/// refund (<c>REFUND</c>, naming its order) on the day it succeeded, times in Beijing time
/// (<c>yyyy-MM-dd HH:mm:ss</c>), amounts and fees as integers in fen, then the trailer
/// <c>TOTAL,records,payment fen,refund fen</c>, which must add up.
/// </summary>
public static class EcnyStatement
{
    /// <summary>The header row, exactly.</summary>
    public const string Header = "recordType,tradeTime,merchantNo,outTradeNo,orderNo,outRefundNo,refundNo,status,amount,fee";

    /// <summary>The first field of the trailer row.</summary>
    public const string TrailerMark = "TOTAL";

    /// <summary>A day without transactions: no file at the platform, an empty statement to us.</summary>
    public const string Empty = Header + "\n" + TrailerMark + ",0,0,0\n";

    private const int FieldCount = 10;
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    /// <summary>
    /// Reads the statement line by line. The header must match, every record must parse and the trailer must
    /// count and sum the records, so a truncated or altered file throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static async IAsyncEnumerable<StatementLine> ParseAsync(Stream statement, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(statement, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        if (await reader.ReadLineAsync(ct) != Header)
        {
            throw new InvalidDataException("Not an e-CNY statement: header differs.");
        }

        int lineNumber = 1;
        long records = 0, paymentFen = 0, refundFen = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            string[] fields = line.Split(',');
            if (fields[0] == TrailerMark)
            {
                if (fields.Length != 4 || Number(fields[1]) != records || Number(fields[2]) != paymentFen || Number(fields[3]) != refundFen)
                {
                    throw new InvalidDataException($"Line {lineNumber}: the trailer does not count and sum the {records} records.");
                }

                if (await reader.ReadLineAsync(ct) is { Length: > 0 })
                {
                    throw new InvalidDataException($"Line {lineNumber + 1}: text after the trailer.");
                }

                yield break;
            }

            var record = ParseRecord(fields, lineNumber);
            records++;
            if (record.Kind == TransactionKind.Payment)
            {
                paymentFen += record.Amount.MinorUnits;
            }
            else
            {
                refundFen += record.Amount.MinorUnits;
            }

            yield return record;
        }

        throw new InvalidDataException("The statement ends without its trailer.");
    }

    private static long? Number(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;

    private static StatementLine ParseRecord(string[] fields, int lineNumber)
    {
        if (fields.Length != FieldCount)
        {
            throw new InvalidDataException($"Line {lineNumber}: {fields.Length} fields, not {FieldCount}.");
        }

        if (EcnyStatusMapping.ToKind(fields[0]) is not { } kind)
        {
            throw new InvalidDataException($"Line {lineNumber}: unknown record type '{fields[0]}'.");
        }

        if (!DateTime.TryParseExact(fields[1], "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            throw new InvalidDataException($"Line {lineNumber}: '{fields[1]}' is not a time.");
        }

        if (Number(fields[8]) is not { } amount || amount <= 0 || !long.TryParse(fields[9], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long fee))
        {
            throw new InvalidDataException($"Line {lineNumber}: amounts are not fen.");
        }

        bool isRefund = kind == TransactionKind.Refund;
        if (fields[3].Length == 0 || (isRefund && fields[5].Length == 0))
        {
            throw new InvalidDataException($"Line {lineNumber}: a record without its merchant number.");
        }

        return new StatementLine(
            isRefund ? fields[5] : fields[3],
            (isRefund ? fields[6] : fields[4]) is { Length: > 0 } channelId ? channelId : null,
            kind,
            new Money(amount, Currency.CNY),
            new Money(fee, Currency.CNY),
            fields[7],
            EcnyStatusMapping.ToTransactionStatus(kind, fields[7]),
            new DateTimeOffset(local, Beijing),
            isRefund ? fields[3] : null);
    }
}
