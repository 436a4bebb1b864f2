using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Channels.Shared;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;
using static Payments.Channels.Shared.LenientJson;

namespace Payments.Channels.Alipay;

/// <summary>biz_content of alipay.data.dataservice.bill.downloadurl.query.</summary>
internal sealed record AlipayBillQueryContent(
    [property: JsonPropertyName("bill_type")] string BillType,
    [property: JsonPropertyName("bill_date")] string BillDate);

internal sealed record AlipayBillQueryResponse(
    [property: JsonPropertyName("bill_download_url")] string? BillDownloadUrl);

[JsonSerializable(typeof(AlipayBillQueryContent))]
[JsonSerializable(typeof(AlipayBillQueryResponse))]
internal sealed partial class AlipayStatementJsonContext : JsonSerializerContext;

/// <summary>The statement flow: ask for the day's bill URL, download the zip, take the business detail out of it.</summary>
public sealed partial class AlipayChannel : IStatementChannel
{
    private const string BillNotExist = "isp.bill_not_exist";
    private const string DetailFileMark = "业务明细";
    private const string SummaryFileMark = "汇总";

    /// <summary>
    /// Asks for the trade bill of <paramref name="date"/> (<c>alipay.data.dataservice.bill.downloadurl.query</c>,
    /// <c>bill_type=trade</c>, a signed answer), downloads the zip from <c>bill_download_url</c> (a short-lived
    /// link that needs no credentials, so none are sent) into a temporary file and returns the business detail
    /// CSV inside it, GBK as Alipay writes it. The zip has no digest of its own; the link came in a signed
    /// answer. A day Alipay has no bill for (<c>isp.bill_not_exist</c>) is an empty statement.
    /// </summary>
    public async Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct)
    {
        string content = JsonSerializer.Serialize(
            new AlipayBillQueryContent("trade", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            AlipayStatementJsonContext.Default.AlipayBillQueryContent);
        string url;
        switch (await CallAsync(account, "alipay.data.dataservice.bill.downloadurl.query", content, notifyUrl: null, ct))
        {
            case Exchange.NoAnswer noAnswer:
                return new ChannelResult<Stream>.Unknown(noAnswer.Reason);
            case Exchange.Answered { Status: { Code: BusinessFailedCode, SubCode: BillNotExist } }:
                return new ChannelResult<Stream>.Ok(new MemoryStream(AlipayTradeBill.Empty(date), writable: false));
            case Exchange.Answered { Status.Code: SuccessCode } answered
                when Deserialize(answered.Node, AlipayStatementJsonContext.Default.AlipayBillQueryResponse) is { BillDownloadUrl: { Length: > 0 } link }:
                url = link;
                break;
            case Exchange.Answered { Status.Code: SuccessCode }:
                return new ChannelResult<Stream>.Unknown("bill answer without bill_download_url");
            case Exchange.Answered answered:
                return MapFailure<Stream>(answered.Status);
            default:
                throw new InvalidOperationException("Unreachable exchange.");
        }

        // Alipay serves bills from another host than the gateway, so the host cannot be pinned; the scheme
        // can: https, or whatever the account's own endpoint uses (a sandbox on loopback).
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != account.Endpoint.Scheme))
        {
            return new ChannelResult<Stream>.Unknown($"bill_download_url '{url}' is not an https URL");
        }

        return await DownloadBillAsync(uri, ct);
    }

    /// <summary>Reads a business detail file line by line (see <see cref="AlipayTradeBill"/>); never holds the file.</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        AlipayTradeBill.ParseAsync(statement, ct);

    private async Task<ChannelResult<Stream>> DownloadBillAsync(Uri uri, CancellationToken ct)
    {
        await using var zipFile = TemporaryFile.Create("alipay-bill-", ".zip");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                return new ChannelResult<Stream>.Unknown($"bill download answered HTTP {(int)response.StatusCode}");
            }

            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            {
                await body.CopyToAsync(zipFile, ct);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ChannelResult<Stream>.Unknown("bill download timed out");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return new ChannelResult<Stream>.Unknown($"bill download failed: {ex.Message}");
        }

        zipFile.Position = 0;
        var detail = TemporaryFile.Create("alipay-bill-", ".csv");
        try
        {
            // The names inside are GBK without the zip's UTF-8 flag.
            using var zip = new ZipArchive(zipFile, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: AlipayTradeBill.Gbk);
            var details = zip.Entries
                .Where(e => e.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) && e.Name.Contains(DetailFileMark, StringComparison.Ordinal) && !e.Name.Contains(SummaryFileMark, StringComparison.Ordinal))
                .ToList();
            if (details.Count != 1)
            {
                await detail.DisposeAsync();
                return new ChannelResult<Stream>.Unknown($"bill zip holds {details.Count} business detail files, not one");
            }

            await using (var entry = await details[0].OpenAsync(ct))
            {
                await entry.CopyToAsync(detail, ct);
            }

            detail.Position = 0;
            return new ChannelResult<Stream>.Ok(detail);
        }
        catch (InvalidDataException ex)
        {
            await detail.DisposeAsync();
            return new ChannelResult<Stream>.Unknown($"bill download is not a readable zip: {ex.Message}");
        }
        catch
        {
            await detail.DisposeAsync();
            throw;
        }
    }
}
