using System.Globalization;
using System.Net;
using System.Text;
using Payments.Channels.Shared;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Card;

/// <summary>The statement flow: the acquirer's daily settlement details report, a CSV.</summary>
public sealed partial class CardChannel : IStatementChannel
{
    /// <summary>
    /// Downloads the settlement details report of <paramref name="date"/> (a booking day in the time zone set
    /// on the merchant account, which must be the platform's business zone) with the API
    /// key into a temporary file, so a large report is never held in memory. A day the acquirer has no
    /// report for (<c>not_found</c>) is an empty statement.
    /// </summary>
    public async Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct)
    {
        string path = $"card/v1/reports/settlement?merchantAccount={Uri.EscapeDataString(account.Credential("merchantAccount"))}&date={date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ChannelHttp.BaseUri(account), path));
        request.Headers.TryAddWithoutValidation("X-API-Key", account.Credential("apiKey"));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        return await StatementDownload.ToTemporaryFileAsync(_httpClient, request, "card-report-", "report", EmptyOrFailure, ct);
    }

    /// <summary>Reads the report line by line (see <see cref="CardSettlementReport"/>); never holds the file.</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        CardSettlementReport.ParseAsync(statement, ct);

    private static ChannelResult<Stream> EmptyOrFailure(HttpStatusCode status, string body) =>
        status == HttpStatusCode.NotFound && ErrorCode(body) == NotFoundCode
            ? new ChannelResult<Stream>.Ok(new MemoryStream(Encoding.UTF8.GetBytes(CardSettlementReport.Header + "\n" + CardSettlementReport.TrailerMark + ",0\n"), writable: false))
            : MapFailure<Stream>(new HttpExchange.Answered((int)status, body));
}
