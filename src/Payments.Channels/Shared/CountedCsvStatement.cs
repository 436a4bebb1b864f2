using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Shared;

/// <summary>
/// A UTF-8 CSV statement of the shape <c>header, records, trailer "MARK,N"</c> where N counts the records, read
/// line by line so a large file is never held. A wrong header, a bad record, a wrong or missing trailer, or text
/// after it throws <see cref="InvalidDataException"/>: a truncated or altered file is never read as a shorter day.
/// </summary>
internal static class CountedCsvStatement
{
    /// <param name="statement">The file; left open.</param>
    /// <param name="header">The header row, exactly.</param>
    /// <param name="trailerMark">The first field of the trailer row.</param>
    /// <param name="notThis">The message when the header differs.</param>
    /// <param name="noTrailer">The message when the file ends without its trailer.</param>
    /// <param name="parseRecord">Reads one record's fields (with its line number for messages); throws when they do not parse.</param>
    /// <param name="ct">Stops the reading.</param>
    public static async IAsyncEnumerable<StatementLine> ParseAsync(
        Stream statement,
        string header,
        string trailerMark,
        string notThis,
        string noTrailer,
        Func<string[], int, StatementLine> parseRecord,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(statement, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        if (await reader.ReadLineAsync(ct) != header)
        {
            throw new InvalidDataException(notThis);
        }

        int lineNumber = 1;
        int records = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            string[] fields = line.Split(',');
            if (fields[0] == trailerMark)
            {
                if (fields.Length != 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != records)
                {
                    throw new InvalidDataException($"Line {lineNumber}: the trailer does not count the {records} records.");
                }

                if (await reader.ReadLineAsync(ct) is { Length: > 0 })
                {
                    throw new InvalidDataException($"Line {lineNumber + 1}: text after the trailer.");
                }

                yield break;
            }

            yield return parseRecord(fields, lineNumber);
            records++;
        }

        throw new InvalidDataException(noTrailer);
    }
}
