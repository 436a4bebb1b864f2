using System.IO.Compression;
using System.Text;
using Payments.Channels.Alipay;
using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.Alipay;

/// <summary>The trade bill: alipay.data.dataservice.bill.downloadurl.query, the zip, and the GBK business detail inside.</summary>
public class AlipayStatementTests : IAsyncLifetime
{
    private static readonly Encoding Gbk = CreateGbk();

    private FakeAlipayGateway _gateway = null!;
    private HttpClient _httpClient = null!;
    private AlipayChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _gateway = await FakeAlipayGateway.StartAsync();
        _httpClient = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _channel = new AlipayChannel(_httpClient, TimeProvider.System);
    }

    public async Task DisposeAsync()
    {
        _httpClient.Dispose();
        await _gateway.DisposeAsync();
    }

    /// <summary>A detail file written out as Alipay writes it: tab-padded fields, negative refund amounts, totals.</summary>
    private static string Detail(string rows, string tradeTotal = "#交易合计：1笔，商家实收共19.99元，商家优惠共0.00元", string refundTotal = "#退款合计：1笔，商家实收退款共-5.00元，商家优惠退款共0.00元") =>
        "#支付宝业务明细查询\r\n"
        + "#账号：[20885318916687390156]\r\n"
        + "#起始日期：[2026年11月24日 00:00:00]   终止日期：[2026年11月25日 00:00:00]\r\n"
        + "#-----------------------------------------业务明细列表----------------------------------------\r\n"
        + "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\r\n"
        + rows
        + "#-----------------------------------------业务明细列表结束------------------------------------\r\n"
        + tradeTotal + "\r\n"
        + refundTotal + "\r\n"
        + "#导出时间：[2026年11月25日 09:12:10]\r\n";

    private const string PaymentRow =
        "2026112422001412345678901234\t,pay_1\t,交易\t,\"咖啡豆, 1 kg\"\t,2026-11-24 10:00:58,2026-11-24 10:01:02,\t,\t,\t,\t,159****5620\t,19.99,19.99,0.00,0.00,0.00,0.00,0.00,\t,0.00,0.00,\t,-0.12,0.00,\t\r\n";

    private const string RefundRow =
        "2026112422001412345678901234\t,pay_1\t,退款\t,\"咖啡豆, 1 kg\"\t,2026-11-24 15:30:00,2026-11-24 15:30:01,\t,\t,\t,\t,159****5620\t,-5.00,-5.00,0.00,0.00,0.00,0.00,0.00,\t,0.00,0.00,ref_1\t,0.03,0.00,\t\r\n";

    private static async Task<List<StatementLine>> ParseAsync(string text)
    {
        var lines = new List<StatementLine>();
        await foreach (var line in AlipayTradeBill.ParseAsync(new MemoryStream(Gbk.GetBytes(text)), CancellationToken.None))
        {
            lines.Add(line);
        }

        return lines;
    }

    private static byte[] Zip(params (string Name, string Text)[] files)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Gbk))
        {
            foreach (var (name, text) in files)
            {
                using var entry = zip.CreateEntry(name).Open();
                entry.Write(Gbk.GetBytes(text));
            }
        }

        return buffer.ToArray();
    }

    private static Encoding CreateGbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936);
    }

    [Fact]
    public async Task APaymentRowAndARefundRowBecomeOurLines()
    {
        var lines = await ParseAsync(Detail(PaymentRow + RefundRow));

        Assert.Equal(2, lines.Count);
        var payment = lines[0];
        Assert.Equal(("pay_1", TransactionKind.Payment, TransactionStatus.Succeeded), (payment.Id, payment.Kind, payment.Status));
        Assert.Equal("2026112422001412345678901234", payment.ChannelTransactionId);
        Assert.Equal(new Money(1999, Currency.CNY), payment.Amount);
        Assert.Equal(new Money(12, Currency.CNY), payment.Fee);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 2, 1, 2, TimeSpan.Zero), payment.Time);
        Assert.Equal("交易", payment.ChannelStatus);
        Assert.Null(payment.PaymentId);

        var refund = lines[1];
        Assert.Equal(("ref_1", TransactionKind.Refund, TransactionStatus.Succeeded, "pay_1"), (refund.Id, refund.Kind, refund.Status, refund.PaymentId));
        Assert.Equal(new Money(500, Currency.CNY), refund.Amount);
        Assert.Equal(new Money(-3, Currency.CNY), refund.Fee);
    }

    [Fact]
    public async Task ABusinessTypeTheMappingDoesNotKnowIsUnrecognizedNeverGuessed()
    {
        var lines = await ParseAsync(Detail(PaymentRow.Replace(",交易\t,", ",CLOSED\t,", StringComparison.Ordinal) + RefundRow));

        Assert.Equal(TransactionStatus.Unrecognized, lines[0].Status);
        Assert.Equal(TransactionKind.Payment, lines[0].Kind);
    }

    [Fact]
    public async Task TotalsThatDisagreeWithTheRowsMakeTheFileMalformed() =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Detail(PaymentRow, refundTotal: "#退款合计：1笔，商家实收退款共-5.00元，商家优惠退款共0.00元")));

    [Fact]
    public async Task AFileCutInsideTheListIsMalformed()
    {
        string whole = Detail(PaymentRow + RefundRow);

        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(whole[..whole.LastIndexOf("#-----", StringComparison.Ordinal)]));
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(whole[..whole.IndexOf("#交易合计", StringComparison.Ordinal)]));
    }

    [Theory]
    [InlineData("19.9")]
    [InlineData("1,999.00")]
    [InlineData("19.99元")]
    public async Task AnAmountThatIsNotYuanWithTwoDecimalsIsMalformed(string amount) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Detail(PaymentRow.Replace(",19.99,19.99,", $",{amount},19.99,", StringComparison.Ordinal) + RefundRow)));

    [Fact]
    public async Task ARowWithMoreFieldsThanTheHeaderIsMalformed() =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Detail(PaymentRow.Replace("\"咖啡豆, 1 kg\"", "咖啡豆, 1 kg", StringComparison.Ordinal) + RefundRow)));

    [Fact]
    public async Task TheDownloadAsksForTheTradeBillAndReturnsTheDetailFileFromTheZip()
    {
        string detail = Detail(PaymentRow + RefundRow);
        _gateway.BillZip = Zip(
            ("20885318916687390156_20261124_业务明细.csv", detail),
            ("20885318916687390156_20261124_业务明细(汇总).csv", "#支付宝业务汇总查询\r\n"));
        _gateway.Respond = _ => new GatewayAnswer(
            $$"""{"code":"10000","msg":"Success","bill_download_url":"{{new Uri(_gateway.Endpoint, "bill.zip").ToString().Replace("/", "\\/", StringComparison.Ordinal)}}"}""");
        var account = AlipayTestData.Account(_gateway.Endpoint);

        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(account, new DateOnly(2026, 11, 24), CancellationToken.None));

        await using var statement = ok.Value;
        using var copy = new MemoryStream();
        await statement.CopyToAsync(copy);
        Assert.Equal(Gbk.GetBytes(detail), copy.ToArray());
        var request = Assert.Single(_gateway.Requests);
        Assert.Null(request.SignatureProblem);
        Assert.Equal("alipay.data.dataservice.bill.downloadurl.query", request["method"]);
        Assert.Equal("""{"bill_type":"trade","bill_date":"2026-11-24"}""", request["biz_content"]);
        Assert.Equal(1, _gateway.BillDownloads);
    }

    [Fact]
    public async Task ADayAlipayHasNoBillForIsAnEmptyStatement()
    {
        _gateway.Respond = _ => new GatewayAnswer("""{"code":"40004","msg":"Business Failed","sub_code":"isp.bill_not_exist","sub_msg":"账单不存在"}""");

        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(AlipayTestData.Account(_gateway.Endpoint), new DateOnly(2026, 11, 24), CancellationToken.None));

        var lines = new List<StatementLine>();
        await foreach (var line in _channel.ParseStatementAsync(ok.Value, CancellationToken.None))
        {
            lines.Add(line);
        }

        Assert.Empty(lines);
        Assert.Equal(0, _gateway.BillDownloads);
    }

    [Fact]
    public async Task AZipWithoutTheDetailFileIsUnknown()
    {
        _gateway.BillZip = Zip(("20885318916687390156_20261124_业务明细(汇总).csv", "#支付宝业务汇总查询\r\n"));
        _gateway.Respond = _ => new GatewayAnswer($$"""{"code":"10000","msg":"Success","bill_download_url":"{{new Uri(_gateway.Endpoint, "bill.zip")}}"}""");

        Assert.IsType<ChannelResult<Stream>.Unknown>(await _channel.DownloadStatementAsync(AlipayTestData.Account(_gateway.Endpoint), new DateOnly(2026, 11, 24), CancellationToken.None));
    }

    [Fact]
    public async Task ALinkToAnotherSchemeIsNotFollowed()
    {
        _gateway.Respond = _ => new GatewayAnswer("""{"code":"10000","msg":"Success","bill_download_url":"file:\/\/\/etc\/passwd"}""");

        Assert.IsType<ChannelResult<Stream>.Unknown>(await _channel.DownloadStatementAsync(AlipayTestData.Account(_gateway.Endpoint), new DateOnly(2026, 11, 24), CancellationToken.None));
        Assert.Equal(0, _gateway.BillDownloads);
    }

    [Fact]
    public async Task AnUnsignedBillAnswerIsUnknownAndNothingIsDownloaded()
    {
        _gateway.BillZip = Zip(("x_业务明细.csv", Detail("", "#交易合计：0笔，商家实收共0.00元，商家优惠共0.00元", "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元")));
        _gateway.Respond = _ => new GatewayAnswer($$"""{"code":"10000","msg":"Success","bill_download_url":"{{new Uri(_gateway.Endpoint, "bill.zip")}}"}""", GatewaySigning.Unsigned);

        Assert.IsType<ChannelResult<Stream>.Unknown>(await _channel.DownloadStatementAsync(AlipayTestData.Account(_gateway.Endpoint), new DateOnly(2026, 11, 24), CancellationToken.None));
        Assert.Equal(0, _gateway.BillDownloads);
    }
}
