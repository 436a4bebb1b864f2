using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Payments.Core;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Transfer;

/// <summary>
/// The bank's daily statement of the collection account: UTF-8 CSV, a fixed header, one entry per credit that
/// reached a reference (<c>CREDIT</c>) and per refund returned to a payer (<c>RETURN</c>), value times in UTC,
/// amounts and the bank's collection fee in fen (charged on a credit, given back in proportion on a return, so
/// negative there), and a trailer <c>Total Entries,N</c>. Credits the bank returned itself (to a paid or closed
/// reference) never reached the account and are not listed.
/// </summary>
/// <remarks>
/// <para>The payer sets the amount, so one reference may take several credits in a day (part now, the rest later;
/// or more than due). We hold one payment for the reference, which records what arrived (the received amount), so
/// the credits of one reference on the statement are folded into one payment line: their sum, the sum of the fees
/// the bank charged on each, at the time of the last. Returns stay lines of their own, each matching its refund.</para>
/// <para>Folding holds one running sum per reference credited that day until the trailer has been checked, the
/// same order of memory as our side of the day; the file itself is still read once, line by line. A statement is
/// one value day, so credits on different days are never folded together.</para>
/// </remarks>
public static class TransferStatement
{
    /// <summary>The statement's header row, exactly.</summary>
    public const string Header = "Value Time,Entry Type,Entry Id,Collection Id,Merchant Ref,Refund Ref,Currency,Amount,Fee";

    /// <summary>The first field of the trailer row, whose second field counts the entries above it.</summary>
    public const string TrailerMark = "Total Entries";

    private const int FieldCount = 9;

    /// <summary>
    /// Reads the statement line by line. The header must match, every entry must parse, and the trailer must count
    /// the entries, so a truncated or altered file throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static async IAsyncEnumerable<StatementLine> ParseAsync(Stream statement, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(statement, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        if (await reader.ReadLineAsync(ct) != Header)
        {
            throw new InvalidDataException("Not a collection account statement: header differs.");
        }

        int lineNumber = 1;
        int entries = 0;
        var creditsByReference = new Dictionary<(string Reference, string Collection, Currency Currency), int>();
        var credits = new List<FoldedCredits>();
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            string[] fields = line.Split(',');
            if (fields[0] == TrailerMark)
            {
                if (fields.Length != 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != entries)
                {
                    throw new InvalidDataException($"Line {lineNumber}: the trailer does not count the {entries} entries.");
                }

                if (await reader.ReadLineAsync(ct) is { Length: > 0 })
                {
                    throw new InvalidDataException($"Line {lineNumber + 1}: text after the trailer.");
                }

                foreach (var folded in credits)
                {
                    yield return folded.ToLine();
                }

                yield break;
            }

            var entry = ParseEntry(fields, lineNumber);
            entries++;
            if (entry is not { Kind: TransactionKind.Payment, Status: TransactionStatus.Succeeded })
            {
                // Returns match refunds one to one; an unknown entry type must surface on its own.
                yield return entry;
                continue;
            }

            var key = (entry.Id, entry.ChannelTransactionId ?? string.Empty, entry.Amount.Currency);
            if (creditsByReference.TryGetValue(key, out int index))
            {
                credits[index].Add(entry, lineNumber);
            }
            else
            {
                creditsByReference.Add(key, credits.Count);
                credits.Add(new FoldedCredits(entry));
            }
        }

        throw new InvalidDataException("The statement ends without its trailer.");
    }

    /// <summary>The credits of one reference so far: one payment line for what arrived.</summary>
    private sealed class FoldedCredits(StatementLine first)
    {
        private readonly List<Money> _amounts = [first.Amount];
        private StatementLine _line = first;

        public void Add(StatementLine credit, int lineNumber)
        {
            try
            {
                _line = _line with
                {
                    Amount = _line.Amount + credit.Amount,
                    Fee = _line.Fee!.Value + credit.Fee!.Value,
                    Time = credit.Time > _line.Time ? credit.Time : _line.Time,
                };
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"Line {lineNumber}: the credits to {credit.Id} add up to more than an amount can hold.");
            }

            _amounts.Add(credit.Amount);
        }

        public StatementLine ToLine() => _amounts.Count == 1 ? _line : _line with { FoldedAmounts = _amounts };
    }

    private static StatementLine ParseEntry(string[] fields, int lineNumber)
    {
        if (fields.Length != FieldCount)
        {
            throw new InvalidDataException($"Line {lineNumber}: {fields.Length} fields, not {FieldCount}.");
        }

        if (!DateTimeOffset.TryParseExact(fields[0], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            throw new InvalidDataException($"Line {lineNumber}: value time '{fields[0]}' is not a UTC time.");
        }

        if (!Currency.TryParse(fields[6], out var currency) || !long.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out long fen) || fen <= 0
            || !long.TryParse(fields[8], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long feeFen))
        {
            throw new InvalidDataException($"Line {lineNumber}: '{fields[7]}' and '{fields[8]}' are not an amount and a fee in fen of '{fields[6]}'.");
        }

        if (fields[4].Length == 0)
        {
            throw new InvalidDataException($"Line {lineNumber}: the entry names no merchant reference.");
        }

        // A type we do not know is still money on the account: it surfaces as a status difference instead of failing the day.
        var known = TransferStatusMapping.ToKind(fields[1]);
        var kind = known ?? (fields[5].Length > 0 ? TransactionKind.Refund : TransactionKind.Payment);
        var status = known is null ? TransactionStatus.Unrecognized : TransactionStatus.Succeeded;
        var amount = new Money(fen, currency);
        var fee = new Money(feeFen, currency);
        return kind == TransactionKind.Payment
            ? new StatementLine(fields[4], fields[3], kind, amount, fee, fields[1], status, at)
            : new StatementLine(fields[5], fields[2], kind, amount, fee, fields[1], status, at, fields[4]);
    }
}
