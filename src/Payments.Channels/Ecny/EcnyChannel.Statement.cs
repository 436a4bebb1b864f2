using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Payments.Channels.Shared;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;
using static Payments.Channels.Shared.SignedHeaders;

namespace Payments.Channels.Ecny;

/// <summary>The statement flow: one signed GET whose answer is the day's CSV, verified as it streams to disk.</summary>
public sealed partial class EcnyChannel : IStatementChannel
{
    private const string NoStatement = "NO_STATEMENT_EXIST";

    /// <summary>
    /// Downloads the statement of <paramref name="date"/> (a Beijing day; <c>GET /ecny/v1/statements</c>) into a
    /// temporary file, feeding the SM2 verifier as the bytes pass, and returns the file only when the platform's
    /// signature over <c>TIMESTAMP\nNONCE\nBODY\n</c> holds. The stream deletes the file when disposed. A day
    /// without transactions (<c>NO_STATEMENT_EXIST</c>) is an empty statement.
    /// </summary>
    public async Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct)
    {
        string path = $"/ecny/v1/statements?merchantNo={Uri.EscapeDataString(account.Credential("merchantNo"))}&date={date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";
        using var request = SignedRequest(account, HttpMethod.Get, Target(account, path), body: null);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var file = TemporaryFile.Create("ecny-statement-", ".csv");
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            string? timestamp = ResponseHeader(response, TimestampHeader);
            string? nonce = ResponseHeader(response, NonceHeader);
            string? serial = ResponseHeader(response, SerialHeader);
            string? signature = ResponseHeader(response, SignatureHeader);
            if ((int)response.StatusCode != 200)
            {
                await file.DisposeAsync();
                string body = await response.Content.ReadAsStringAsync(ct);
                if (signature is not null && SignatureProblem(account, timestamp, nonce, serial, signature, body) is { } errorProblem)
                {
                    return new ChannelResult<Stream>.Unknown($"HTTP {(int)response.StatusCode} answer rejected: {errorProblem}");
                }

                if (signature is null)
                {
                    return new ChannelResult<Stream>.Unknown($"HTTP {(int)response.StatusCode} answer is not signed");
                }

                return MapError<Stream>(new HttpExchange.Answered((int)response.StatusCode, body)) switch
                {
                    ChannelResult<Stream>.Rejected { Code: NoStatement } => new ChannelResult<Stream>.Ok(new MemoryStream(Encoding.UTF8.GetBytes(EcnyStatement.Empty), writable: false)),
                    var other => other,
                };
            }

            if (timestamp is null || nonce is null || serial is null || signature is null)
            {
                await file.DisposeAsync();
                return new ChannelResult<Stream>.Unknown("statement answer is not signed");
            }

            if (TimestampProblem(serial, timestamp, account) is { } problem)
            {
                await file.DisposeAsync();
                return new ChannelResult<Stream>.Unknown($"statement answer rejected: {problem}");
            }

            var verifier = EcnySigner.BeginVerify(PlatformKey(account));
            verifier.BlockUpdate(Encoding.UTF8.GetBytes(timestamp + "\n" + nonce + "\n"));
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    verifier.BlockUpdate(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }

            verifier.Update((byte)'\n');
            if (!EcnySigner.EndVerify(verifier, signature))
            {
                await file.DisposeAsync();
                return new ChannelResult<Stream>.Unknown("statement signature does not verify");
            }

            await file.FlushAsync(ct);
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

    /// <summary>Reads the statement line by line (see <see cref="EcnyStatement"/>); never holds the file.</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        EcnyStatement.ParseAsync(statement, ct);
}
