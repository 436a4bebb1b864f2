using System.Globalization;
using System.Net;
using System.Text;
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
        var file = new FileStream(
            Path.Combine(Path.GetTempPath(), "transfer-statement-" + Guid.NewGuid().ToString("N") + ".csv"),
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
                await file.DisposeAsync();
                return response.StatusCode == HttpStatusCode.NotFound && ErrorCode(body) == NotFoundCode
                    ? new ChannelResult<Stream>.Ok(new MemoryStream(Encoding.UTF8.GetBytes(TransferStatement.Header + "\n" + TransferStatement.TrailerMark + ",0\n"), writable: false))
                    : MapFailure<Stream>(new Exchange.Answered(response.StatusCode, body));
            }

            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            {
                await body.CopyToAsync(file, ct);
            }

            file.Position = 0;
            return new ChannelResult<Stream>.Ok(file);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await file.DisposeAsync();
            return new ChannelResult<Stream>.Unknown(ex is OperationCanceledException ? "statement download timed out" : $"statement download failed: {ex.Message}");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the statement line by line (see <see cref="TransferStatement"/>); never holds the file.</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        TransferStatement.ParseAsync(statement, ct);
}
