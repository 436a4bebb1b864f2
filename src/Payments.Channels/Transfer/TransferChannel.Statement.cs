using System.Globalization;
using System.Net;
using System.Text;
using Payments.Channels.Shared;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Transfer;

/// <summary>The statement flow: the bank's daily statement of the collection account, a CSV.</summary>
public sealed partial class TransferChannel : IStatementChannel
{
    /// <summary>
    /// Downloads the statement of <paramref name="date"/> (a value day in the bank's zone, Beijing time) into a
    /// temporary file, so a large statement is never held in memory. A day the bank has no statement for
    /// (<c>NOT_FOUND</c>) is an empty statement.
    /// </summary>
    public async Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct)
    {
        using var request = SignedRequest(account, HttpMethod.Get, $"transfer/v1/statements?date={date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}", null);
        return await StatementDownload.ToTemporaryFileAsync(_httpClient, request, "transfer-statement-", "statement", EmptyOrFailure, ct);
    }

    /// <summary>Reads the statement line by line (see <see cref="TransferStatement"/>); never holds the file.</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        TransferStatement.ParseAsync(statement, ct);

    private static ChannelResult<Stream> EmptyOrFailure(HttpStatusCode status, string body) =>
        status == HttpStatusCode.NotFound && ErrorCode(body) == NotFoundCode
            ? new ChannelResult<Stream>.Ok(new MemoryStream(Encoding.UTF8.GetBytes(TransferStatement.Header + "\n" + TransferStatement.TrailerMark + ",0\n"), writable: false))
            : MapFailure<Stream>(new HttpExchange.Answered((int)status, body));
}
