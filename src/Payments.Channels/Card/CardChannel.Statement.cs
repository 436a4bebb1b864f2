using System.Globalization;
using System.Net;
using System.Text;
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
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri(account), path));
        request.Headers.TryAddWithoutValidation("X-API-Key", account.Credential("apiKey"));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        var report = new FileStream(
            Path.Combine(Path.GetTempPath(), "card-report-" + Guid.NewGuid().ToString("N") + ".csv"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            bufferSize: 1 << 16,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                string body = await response.Content.ReadAsStringAsync(ct);
                await report.DisposeAsync();
                return response.StatusCode == HttpStatusCode.NotFound && ErrorCode(body) == NotFoundCode
                    ? new ChannelResult<Stream>.Ok(new MemoryStream(Encoding.UTF8.GetBytes(CardSettlementReport.Header + "\n" + CardSettlementReport.TrailerMark + ",0\n"), writable: false))
                    : MapFailure<Stream>(new Exchange.Answered(response.StatusCode, body));
            }

            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            {
                await body.CopyToAsync(report, ct);
            }

            report.Position = 0;
            return new ChannelResult<Stream>.Ok(report);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await report.DisposeAsync();
            return new ChannelResult<Stream>.Unknown(ex is OperationCanceledException ? "report download timed out" : $"report download failed: {ex.Message}");
        }
        catch
        {
            await report.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the report line by line (see <see cref="CardSettlementReport"/>); never holds the file.</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        CardSettlementReport.ParseAsync(statement, ct);
}
