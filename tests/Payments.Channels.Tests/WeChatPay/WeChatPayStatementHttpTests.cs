using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Payments.Channels.Tests.Support;
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

    private LoopbackServer _server = null!;
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
        _server = await LoopbackServer.StartAsync(HandleAsync);
        _httpClient = LoopbackServer.NewClient(TimeSpan.FromSeconds(30));
        _channel = new WeChatPayChannel(_httpClient, TimeProvider.System);
        _account = WeChatPayTestData.Account(_server.Endpoint);
        ServeBill(SampleBill);
    }

    public async Task DisposeAsync()
    {
        _httpClient.Dispose();
        await _server.DisposeAsync();
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
        _billAnswer = _ => (200, $$"""{"hash_type":"SHA1","hash_value":"{{hash}}","download_url":"http://127.0.0.2:{{_server.Endpoint.Port}}/v3/billdownload/file?token=t0k3n"}""", true);

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
        _billAnswer = _ => (200, $$"""{"hash_type":"SHA1","hash_value":"{{hash.ToUpperInvariant()}}","download_url":"{{_server.Endpoint.AbsoluteUri}}v3/billdownload/file?token=t0k3n"}""", true);
    }

    private async Task HandleAsync(HttpContext context)
    {
        string target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        string authorization = context.Request.Headers.Authorization.ToString();
        _requests.Enqueue((target, FakeWeChatPayServer.CheckAuthorization(context.Request.Method, target, "", authorization, out _) is null));

        if (context.Request.Path == "/v3/billdownload/file")
        {
            // Like WeChat: the file is served unsigned; its digest came in the signed bill answer.
            context.Response.ContentType = "application/octet-stream";
            await context.Response.Body.WriteAsync(_download, context.RequestAborted);
            return;
        }

        var (status, body, signed) = _billAnswer(new Uri(_server.Endpoint, target));
        context.Response.StatusCode = status;
        if (signed)
        {
            FakeWeChatPayServer.SignAnswer(context.Response.Headers, body, DateTimeOffset.UtcNow);
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}
