using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Payments.Channels.Shared;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;
using static Payments.Channels.Shared.LenientJson;

namespace Payments.Channels.WeChatPay;

/// <summary>The trade bill flow: apply for the day's bill, download it, check its digest, read it line by line.</summary>
public sealed partial class WeChatPayChannel : IStatementChannel
{
    private const string Sha1 = "SHA1";

    // WeChat's answer when the day had no transaction: there is no file, which for reconciliation is an empty bill.
    private const string NoStatement = "NO_STATEMENT_EXIST";

    // The bill is produced the next morning; before that WeChat says so and the caller should try later.
    private const string StatementCreating = "STATEMENT_CREATING";

    private const string EmptyBill =
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"
        + "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
        + "`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\r\n";

    /// <summary>
    /// Applies for the trade bill of <paramref name="date"/> (<c>GET /v3/bill/tradebill?bill_type=ALL&amp;tar_type=GZIP</c>,
    /// a signed answer), then downloads it from the <c>download_url</c> with a signed GET (the file itself is not
    /// signed), decompresses it to a temporary file while computing its SHA-1, and returns that file only when the
    /// digest equals <c>hash_value</c>. The returned stream deletes the file when disposed. A day without
    /// transactions (<c>NO_STATEMENT_EXIST</c>) is an empty bill; a bill not produced yet is Unknown.
    /// </summary>
    public async Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct)
    {
        string path = "/v3/bill/tradebill?bill_date=" + date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "&bill_type=ALL&tar_type=GZIP";
        WeChatPayBillAnswer? bill;
        switch (await SendAsync(account, HttpMethod.Get, path, body: null, ct))
        {
            case HttpExchange.NoAnswer noAnswer:
                return new ChannelResult<Stream>.Unknown(noAnswer.Reason);
            case HttpExchange.Answered { StatusCode: 200 } answered:
                bill = Deserialize(answered.Body, WeChatPayStatementJsonContext.Default.WeChatPayBillAnswer);
                break;
            case HttpExchange.Answered answered:
                return MapError<Stream>(answered) switch
                {
                    ChannelResult<Stream>.Rejected { Code: NoStatement } => new ChannelResult<Stream>.Ok(new MemoryStream(Encoding.UTF8.GetBytes(EmptyBill), writable: false)),
                    ChannelResult<Stream>.Rejected { Code: StatementCreating } rejected => new ChannelResult<Stream>.Unknown($"{StatementCreating}: {rejected.Message}"),
                    var other => other,
                };
            default:
                throw new InvalidOperationException("Unreachable exchange.");
        }

        if (bill is not { HashType: Sha1, HashValue: { Length: > 0 } hashValue, DownloadUrl: { Length: > 0 } downloadUrl })
        {
            return new ChannelResult<Stream>.Unknown("bill answer without a SHA1 hash_value and a download_url");
        }

        // The download is signed with our merchant key: never send that Authorization to a host the account does not name.
        if (!Uri.TryCreate(downloadUrl, UriKind.Absolute, out var downloadUri)
            || Uri.Compare(downloadUri, account.Endpoint, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            return new ChannelResult<Stream>.Unknown($"download_url '{downloadUrl}' is not on the account's endpoint");
        }

        return await DownloadBillAsync(account, downloadUri, hashValue, ct);
    }

    /// <summary>Reads a trade bill line by line (see <see cref="WeChatPayTradeBill"/>); never holds the file.</summary>
    public IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, CancellationToken ct) =>
        WeChatPayTradeBill.ParseAsync(statement, ct);

    private async Task<ChannelResult<Stream>> DownloadBillAsync(ChannelAccount account, Uri uri, string expectedSha1, CancellationToken ct)
    {
        string timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetString(NonceAlphabet, NonceLength);
        string message = WeChatPaySigner.BuildRequestMessage(HttpMethod.Get.Method, uri.PathAndQuery, timestamp, nonce, string.Empty);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation(
            "Authorization",
            WeChatPaySigner.BuildAuthorization(account.Credential("mchId"), nonce, timestamp, account.Credential("merchantSerialNo"), WeChatPaySigner.Sign(MerchantKey(account), message)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/octet-stream"));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);

        var file = TemporaryFile.Create("wechatpay-bill-", ".csv");
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (!response.IsSuccessStatusCode)
            {
                await file.DisposeAsync();
                return new ChannelResult<Stream>.Unknown($"bill download answered HTTP {(int)response.StatusCode}");
            }

            using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            await using (var body = await response.Content.ReadAsStreamAsync(ct))
            await using (var gzip = new GZipStream(body, CompressionMode.Decompress))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await gzip.ReadAsync(buffer, ct)) > 0)
                {
                    sha1.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
            }

            string actual = Convert.ToHexStringLower(sha1.GetHashAndReset());
            if (!string.Equals(actual, expectedSha1, StringComparison.OrdinalIgnoreCase))
            {
                await file.DisposeAsync();
                return new ChannelResult<Stream>.Unknown($"bill SHA1 {actual} does not match hash_value {expectedSha1}");
            }

            await file.FlushAsync(ct);
            file.Position = 0;
            return new ChannelResult<Stream>.Ok(file);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await file.DisposeAsync();
            return new ChannelResult<Stream>.Unknown("bill download timed out");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidDataException)
        {
            // InvalidDataException: the answer is not gzip.
            await file.DisposeAsync();
            return new ChannelResult<Stream>.Unknown($"bill download failed: {ex.Message}");
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }
}

/// <summary>GET /v3/bill/tradebill.</summary>
internal sealed record WeChatPayBillAnswer(
    [property: JsonPropertyName("hash_type")] string? HashType,
    [property: JsonPropertyName("hash_value")] string? HashValue,
    [property: JsonPropertyName("download_url")] string? DownloadUrl);

[JsonSerializable(typeof(WeChatPayBillAnswer))]
internal sealed partial class WeChatPayStatementJsonContext : JsonSerializerContext;
