using System.Net;
using Payments.Core.Channels;

namespace Payments.Channels.Shared;

/// <summary>A statement fetched with one GET whose 200 body is the file itself.</summary>
internal static class StatementDownload
{
    /// <summary>
    /// Streams a 200 answer's body into a <see cref="TemporaryFile"/> (deleted when the returned stream is
    /// disposed); any other answer is read whole and judged by <paramref name="otherAnswer"/>. A timeout or a
    /// network failure is <c>Unknown</c>, named after <paramref name="what"/> ("statement", "report").
    /// </summary>
    public static async Task<ChannelResult<Stream>> ToTemporaryFileAsync(
        HttpClient httpClient,
        HttpRequestMessage request,
        string filePrefix,
        string what,
        Func<HttpStatusCode, string, ChannelResult<Stream>> otherAnswer,
        CancellationToken ct)
    {
        var file = TemporaryFile.Create(filePrefix, ".csv");
        try
        {
            using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                string body = await response.Content.ReadAsStringAsync(ct);
                await file.DisposeAsync();
                return otherAnswer(response.StatusCode, body);
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
            return new ChannelResult<Stream>.Unknown(ex is OperationCanceledException ? $"{what} download timed out" : $"{what} download failed: {ex.Message}");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }
}
