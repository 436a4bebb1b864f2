using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Payments.Channels.WeChatPay;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.WeChatPay;

public class WeChatPayStatementHttpTests : IAsyncLifetime
{
    private static readonly DateOnly Date = new(2026, 11, 22);

    private static readonly string SampleBill = WeChatPayTradeBillTests.Bill(
        WeChatPayTradeBillTests.PaidRow,
        WeChatPayTradeBillTests.PaidRowWithAwkwardText,
        WeChatPayTradeBillTests.RefundRow,
        WeChatPayTradeBillTests.SummaryHeader,
        WeChatPayTradeBillTests.Summary);

    private WebApplication _app = null!;
    private Uri _endpoint = null!;
    private HttpClient _httpClient = null!;
    private WeChatPayChannel _channel = null!;
    private ChannelAccount _account = null!;
    private readonly ConcurrentQueue<(string Target, bool SignatureVerifies)> _requests = new();

    /// <summary>What the bill endpoint answers: status, JSON body, whether the answer is signed.</summary>
    private Func<Uri, (int Status, string Body, bool Signed)> _billAnswer = null!;

    /// <summary>The bytes the download endpoint serves.</summary>
    private byte[] _download = [];

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        _endpoint = new Uri(_app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        _httpClient = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        _channel = new WeChatPayChannel(_httpClient, TimeProvider.System);
        _account = WeChatPayTestData.Account(_endpoint);
        ServeBill(SampleBill);
    }

    public async Task DisposeAsync()
    {
        _httpClient.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task TheBillIsAppliedForDownloadedWithSignedRequestsCheckedAndRead()
    {
        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        await using var statement = Assert.IsType<ChannelResult<Stream>.Ok>(result).Value;
        var lines = await _channel.ParseStatementAsync(statement, CancellationToken.None).ToListAsync();
        Assert.Equal(["pay_01JD7K3M", "pay_01JD7K9Q", "ref_01JD8A1B"], lines.Select(l => l.Id));
        Assert.Equal(
            [
                ("/v3/bill/tradebill?bill_date=2026-11-22&bill_type=ALL&tar_type=GZIP", true),
                ("/v3/billdownload/file?token=t0k3n", true),
            ],
            _requests);
    }

    [Fact]
    public async Task TheDownloadedFileIsGoneOnceTheStatementIsDisposed()
    {
        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);
        var file = Assert.IsType<FileStream>(Assert.IsType<ChannelResult<Stream>.Ok>(result).Value);
        string path = file.Name;
        Assert.True(File.Exists(path));

        await file.DisposeAsync();

        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task ABillWhoseDigestDiffersIsNotBelieved()
    {
        ServeBill(SampleBill, hash: Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(SampleBill + " "))));

        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        Assert.Contains("SHA1", Assert.IsType<ChannelResult<Stream>.Unknown>(result).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADownloadThatIsNotGzipIsNotBelieved()
    {
        ServeBill(SampleBill);
        _download = Encoding.UTF8.GetBytes(SampleBill);

        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        Assert.IsType<ChannelResult<Stream>.Unknown>(result);
    }

    [Fact]
    public async Task ADownloadUrlOnAnotherHostIsNeverCalledWithOurSignature()
    {
        string hash = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(SampleBill)));
        _billAnswer = _ => (200, $$"""{"hash_type":"SHA1","hash_value":"{{hash}}","download_url":"http://127.0.0.2:{{_endpoint.Port}}/v3/billdownload/file?token=t0k3n"}""", true);

        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        Assert.IsType<ChannelResult<Stream>.Unknown>(result);
        Assert.Single(_requests);
    }

    [Fact]
    public async Task AnUnsignedBillAnswerIsNotBelieved()
    {
        var signed = _billAnswer;
        _billAnswer = uri => signed(uri) with { Signed = false };

        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        Assert.IsType<ChannelResult<Stream>.Unknown>(result);
        Assert.Single(_requests);
    }

    [Fact]
    public async Task ADayWithoutTransactionsIsAnEmptyBill()
    {
        _billAnswer = _ => (400, """{"code":"NO_STATEMENT_EXIST","message":"账单文件不存在"}""", true);

        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        await using var statement = Assert.IsType<ChannelResult<Stream>.Ok>(result).Value;
        Assert.Empty(await _channel.ParseStatementAsync(statement, CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task ABillStillBeingProducedIsUnknownNotRejected()
    {
        _billAnswer = _ => (400, """{"code":"STATEMENT_CREATING","message":"账单生成中"}""", true);

        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        Assert.IsType<ChannelResult<Stream>.Unknown>(result);
    }

    [Fact]
    public async Task ABadBillDateIsRejected()
    {
        _billAnswer = _ => (400, """{"code":"PARAM_ERROR","message":"bill_date格式错误"}""", true);

        var result = await _channel.DownloadStatementAsync(_account, Date, CancellationToken.None);

        Assert.Equal("PARAM_ERROR", Assert.IsType<ChannelResult<Stream>.Rejected>(result).Code);
    }

    private void ServeBill(string bill, string? hash = null)
    {
        byte[] raw = Encoding.UTF8.GetBytes(bill);
        using (var compressed = new MemoryStream())
        {
            using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(raw);
            }

            _download = compressed.ToArray();
        }

        hash ??= Convert.ToHexStringLower(SHA1.HashData(raw));
        _billAnswer = _ => (200, $$"""{"hash_type":"SHA1","hash_value":"{{hash.ToUpperInvariant()}}","download_url":"{{_endpoint.AbsoluteUri}}v3/billdownload/file?token=t0k3n"}""", true);
    }

    private async Task HandleAsync(HttpContext context)
    {
        string target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        _requests.Enqueue((target, Verifies(context.Request.Method, target, context.Request.Headers.Authorization.ToString())));

        if (context.Request.Path == "/v3/billdownload/file")
        {
            // Like WeChat: the file is served unsigned; its digest came in the signed bill answer.
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(_download, context.RequestAborted);
            return;
        }

        var (status, body, signed) = _billAnswer(new Uri(_endpoint, target));
        context.Response.StatusCode = status;
        if (signed)
        {
            string timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            string nonce = Guid.NewGuid().ToString("N");
            context.Response.Headers["Wechatpay-Timestamp"] = timestamp;
            context.Response.Headers["Wechatpay-Nonce"] = nonce;
            context.Response.Headers["Wechatpay-Serial"] = WeChatPayTestData.PlatformSerialNo;
            context.Response.Headers["Wechatpay-Signature"] = WeChatPayTestData.SignAsPlatform(timestamp, nonce, body);
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Checks a GET's Authorization against the merchant public key, independently of the channel's signer.</summary>
    private static bool Verifies(string method, string target, string authorization)
    {
        const string Scheme = "WECHATPAY2-SHA256-RSA2048 ";
        if (!authorization.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return false;
        }

        var fields = authorization[Scheme.Length..].Split(',')
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(pair => pair[0], pair => pair[1].Trim('"'), StringComparer.Ordinal);
        if (fields.GetValueOrDefault("mchid") != WeChatPayTestData.MchId)
        {
            return false;
        }

        string message = method + "\n" + target + "\n" + fields["timestamp"] + "\n" + fields["nonce_str"] + "\n" + "\n";
        using var publicKey = RSA.Create();
        publicKey.ImportFromPem(WeChatPayTestData.MerchantPublicKeyPem);
        return publicKey.VerifyData(
            Encoding.UTF8.GetBytes(message), Convert.FromBase64String(fields["signature"]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
