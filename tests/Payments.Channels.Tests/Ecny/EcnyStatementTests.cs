using System.Text;
using Payments.Channels.Ecny;
using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.Ecny;

public sealed class EcnyStatementTests : IAsyncLifetime
{
    private const string Statement =
        EcnyStatement.Header + "\n"
        + "PAY,2026-11-24 10:01:00,8900000000001,pay_01,EC1,,,SUCCESS,1999,0\n"
        + "REFUND,2026-11-24 10:05:00,8900000000001,pay_01,EC1,rf_01,ER1,SUCCESS,500,0\n"
        + "REFUND,2026-11-24 10:06:00,8900000000001,pay_01,EC1,rf_02,ER2,PROCESSING,300,0\n"
        + "TOTAL,3,1999,800\n";

    private FakeEcnyPlatform _platform = null!;
    private EcnyChannel _channel = null!;
    private ChannelAccount _account = null!;

    public async Task InitializeAsync()
    {
        _platform = await FakeEcnyPlatform.StartAsync();
        _channel = new EcnyChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, TimeProvider.System);
        _account = EcnyTestData.Account(_platform.Endpoint);
    }

    public async Task DisposeAsync() => await _platform.DisposeAsync();

    private static async Task<List<StatementLine>> ParseAsync(string text)
    {
        var lines = new List<StatementLine>();
        await foreach (var line in EcnyStatement.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None))
        {
            lines.Add(line);
        }

        return lines;
    }

    [Fact]
    public async Task PaymentAndRefundRecordsBecomeStatementLinesInFenAndBeijingTime()
    {
        var lines = await ParseAsync(Statement);
        Assert.Equal(3, lines.Count);
        Assert.Equal(
            new StatementLine("pay_01", "EC1", TransactionKind.Payment, new Money(1999, Currency.CNY), new Money(0, Currency.CNY), "SUCCESS", TransactionStatus.Succeeded, new DateTimeOffset(2026, 11, 24, 2, 1, 0, TimeSpan.Zero)),
            lines[0]);
        Assert.Equal(
            new StatementLine("rf_01", "ER1", TransactionKind.Refund, new Money(500, Currency.CNY), new Money(0, Currency.CNY), "SUCCESS", TransactionStatus.Succeeded, new DateTimeOffset(2026, 11, 24, 2, 5, 0, TimeSpan.Zero), "pay_01"),
            lines[1]);
        Assert.Equal(TransactionStatus.Processing, lines[2].Status);
    }

    [Theory]
    [InlineData("TOTAL,3,1999,800", "TOTAL,2,1999,800")]
    [InlineData("TOTAL,3,1999,800", "TOTAL,3,1998,800")]
    [InlineData("TOTAL,3,1999,800\n", "")]
    [InlineData("SUCCESS,1999", "SUCCESS,19.99")]
    [InlineData("PAY,2026", "SETTLE,2026")]
    [InlineData("recordType", "type")]
    public async Task ATruncatedOrAlteredStatementThrows(string original, string altered) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Statement.Replace(original, altered, StringComparison.Ordinal)));

    [Fact]
    public async Task AnUnknownStatusWordSurfacesAsUnrecognized()
    {
        var lines = await ParseAsync(Statement.Replace("ER2,PROCESSING", "ER2,ON_HOLD", StringComparison.Ordinal));
        Assert.Equal(TransactionStatus.Unrecognized, lines[2].Status);
    }

    [Fact]
    public async Task TheDownloadIsVerifiedAgainstThePlatformSignatureAndReadable()
    {
        _platform.Respond = _ => new PlatformAnswer(200, Statement, ContentType: "text/csv");
        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));
        await using var stream = ok.Value;
        var lines = new List<StatementLine>();
        await foreach (var line in _channel.ParseStatementAsync(stream, CancellationToken.None))
        {
            lines.Add(line);
        }

        Assert.Equal(["pay_01", "rf_01", "rf_02"], lines.Select(l => l.Id));
        var request = Assert.Single(_platform.Requests);
        Assert.True(request.SignatureValid);
        Assert.Equal($"/ecny/v1/statements?merchantNo={EcnyTestData.MerchantNo}&date=2026-11-24", request.Target);
    }

    [Fact]
    public async Task ADownloadWhoseSignatureDoesNotCoverTheBodyIsUnknown()
    {
        _platform.Respond = _ => new PlatformAnswer(200, Statement, ContentType: "text/csv", TamperSignature: true);
        Assert.IsType<ChannelResult<Stream>.Unknown>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));

        _platform.Respond = _ => new PlatformAnswer(200, Statement, ContentType: "text/csv", Sign: false);
        Assert.IsType<ChannelResult<Stream>.Unknown>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));
    }

    [Fact]
    public async Task ADayWithoutTransactionsIsAnEmptyStatement()
    {
        _platform.Respond = _ => new PlatformAnswer(404, """{"code":"NO_STATEMENT_EXIST","message":"当日无交易"}""");
        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));
        await using var stream = ok.Value;
        await foreach (var _ in _channel.ParseStatementAsync(stream, CancellationToken.None))
        {
            Assert.Fail("an empty statement has no lines");
        }
    }
}
