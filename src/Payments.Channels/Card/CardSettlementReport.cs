using System.Globalization;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Card;

/// <summary>
/// The acquirer's settlement details report: UTF-8 CSV, a fixed header, one record per settled payment
/// (<c>Settled</c>) or refund (<c>Refunded</c>, naming its payment), amounts in major units of the record's
/// currency, booking dates in UTC, and a trailer <c>Total Records,N</c>. Fees are charged on settlements and
/// returned (negative) on refunds.
/// </summary>
public static class CardSettlementReport
{
    /// <summary>The report's header row, exactly.</summary>
    public const string Header = "Merchant Account,Merchant Reference,Psp Reference,Payment Reference,Record Type,Booking Date,Currency,Gross,Fee";

    /// <summary>The first field of the trailer row, whose second field counts the records above it.</summary>
    public const string TrailerMark = "Total Records";

    private const int FieldCount = 9;

    /// <summary>
    /// Reads the report line by line. The header must match, every record must parse, and the trailer
    /// must count the records, so a truncated or altered report throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static IAsyncEnumerable<StatementLine> ParseAsync(Stream statement, CancellationToken ct) =>
        CountedCsvStatement.ParseAsync(statement, Header, TrailerMark, "Not a settlement details report: header differs.", "The report ends without its trailer.", ParseRecord, ct);

    private static StatementLine ParseRecord(string[] fields, int lineNumber)
    {
        if (fields.Length != FieldCount)
        {
            throw new InvalidDataException($"Line {lineNumber}: {fields.Length} fields, not {FieldCount}.");
        }

        if (!Currency.TryParse(fields[6], out var currency)
            || !Money.TryParseMajorUnits(fields[7], currency, out var gross) || !gross.IsPositive
            || !Money.TryParseMajorUnits(fields[8], currency, out var fee))
        {
            throw new InvalidDataException($"Line {lineNumber}: amounts are not amounts in '{fields[6]}'.");
        }

        if (!DateTimeOffset.TryParseExact(fields[5], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var bookedAt))
        {
            throw new InvalidDataException($"Line {lineNumber}: booking date '{fields[5]}' is not a UTC time.");
        }

        // Settled and Refunded records are money that moved. A record type we do not know is still a line of the
        // report (a refund names its payment), so it surfaces as a status difference instead of failing the whole day.
        var known = CardStatusMapping.ToKind(fields[4]);
        var kind = known ?? (fields[3].Length > 0 ? TransactionKind.Refund : TransactionKind.Payment);
        var status = known is null ? TransactionStatus.Unrecognized : TransactionStatus.Succeeded;
        return kind == TransactionKind.Payment
            ? new StatementLine(fields[1], fields[2], kind, gross, fee, fields[4], status, bookedAt)
            : new StatementLine(fields[1], fields[2], kind, gross, fee, fields[4], status, bookedAt, fields[3]);
    }
}
