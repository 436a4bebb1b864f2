using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Payments.Channels.UnionPay;
using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.UnionPay;

public sealed class UnionPayChannelHttpTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private FakeUnionPayGateway _gateway = null!;
    private UnionPayChannel _channel = null!;
    private ChannelAccount _account = null!;

    private static readonly string PaymentId = Ids.PaymentId("app_test", "order-1");
    private static readonly string OrderId = UnionPayOrderId.FromId(PaymentId)!;

    // Long past, so a txnTime taken from the clock instead could never match it by chance.
    private static readonly DateTimeOffset PaymentCreatedAt = new(2026, 11, 24, 2, 1, 2, TimeSpan.Zero);
    private const string PaymentTxnTime = "20261124100102";

    public async Task InitializeAsync()
    {
        _gateway = await FakeUnionPayGateway.StartAsync();
        _channel = new UnionPayChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, TimeProvider.System);
        _account = UnionPayTestData.Account(_gateway.Endpoint, _pki);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _pki.Dispose();
    }

    private string Signed(Dictionary<string, string> fields) =>
        FakeUnionPayGateway.Raw(_pki.Sign(new Dictionary<string, string>(fields) { ["version"] = "5.1.0", ["signMethod"] = "01", ["merId"] = UnionPayTestData.MerId }));

    private static ChannelCreateRequest Create(string method) => new(
        PaymentId, new Money(1999, Currency.CNY), method, "T-shirt", null, new DateTimeOffset(2026, 11, 24, 2, 31, 0, TimeSpan.Zero),
        new Uri("https://pay.example/api/v1/callbacks/unionpay/ca_1"), null, new Uri("https://shop.example/return"), PaymentCreatedAt);

    [Fact]
    public async Task AQrCreateSendsASignedBackTransRequestAndReturnsTheQrCode()
    {
        _gateway.Respond = r => Signed(new() { ["respCode"] = "00", ["orderId"] = r.Fields["orderId"], ["qrCode"] = "https://qr.95516.com/00010000/0123" });

        var result = await _channel.CreateAsync(_account, Create("qr"), CancellationToken.None);

        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(result);
        Assert.Equal(new ChannelOrder("qr_code", "https://qr.95516.com/00010000/0123"), ok.Value);
        var sent = Assert.Single(_gateway.Requests);
        Assert.Equal("/gateway/api/backTransReq.do", sent.Path);
        Assert.Equal(("01", "07", "000000", OrderId, "1999", "156", "20261124103100"), (sent.Fields["txnType"], sent.Fields["txnSubType"], sent.Fields["bizType"], sent.Fields["orderId"], sent.Fields["txnAmt"], sent.Fields["currencyCode"], sent.Fields["payTimeout"]));
        using var merchantKey = UnionPaySigner.ImportPrivateKeyPem(UnionPayTestData.PrivateKeyPem);
        Assert.True(UnionPaySigner.Verify(merchantKey, UnionPaySigner.BuildSignContent(sent.Fields), sent.Fields["signature"]));
        Assert.Equal(UnionPayTestData.CertId, sent.Fields["certId"]);
        Assert.Equal(PaymentTxnTime, sent.Fields["txnTime"]);
    }

    [Fact]
    public async Task AQueryNamesTheOrderByItsOriginalTxnTimeNotTheTimeOfTheQuery()
    {
        _gateway.Respond = r => Signed(new() { ["respCode"] = "00", ["orderId"] = r.Fields["orderId"], ["qrCode"] = "https://qr.95516.com/00010000/0123" });
        await _channel.CreateAsync(_account, Create("qr"), CancellationToken.None);
        _gateway.Respond = r => Signed(new() { ["respCode"] = "34", ["orderId"] = r.Fields["orderId"] });

        var result = await _channel.QueryAsync(_account, PaymentId, PaymentCreatedAt, CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(result);
        var sent = _gateway.Requests.ToArray();
        var (create, query) = (sent[0], sent[1]);
        Assert.Equal("/gateway/api/queryTrans.do", query.Path);
        Assert.Equal((OrderId, PaymentTxnTime), (query.Fields["orderId"], query.Fields["txnTime"]));
        Assert.Equal(create.Fields["txnTime"], query.Fields["txnTime"]);
    }

    [Fact]
    public async Task ARefundAndItsQueryNameTheRefundByItsCreationTimeAndFindTheConsumeByThePaymentsTime()
    {
        string refundId = Ids.RefundId(PaymentId, "R-1");
        var refundCreatedAt = new DateTimeOffset(2026, 11, 24, 3, 4, 5, TimeSpan.Zero);
        _gateway.Respond = r => r.Path.EndsWith("queryTrans.do", StringComparison.Ordinal)
            ? Signed(new() { ["respCode"] = "00", ["origRespCode"] = "00", ["orderId"] = r.Fields["orderId"], ["queryId"] = "612411241001020000001", ["txnAmt"] = "1999", ["txnTime"] = PaymentTxnTime, ["traceTime"] = "1124100130" })
            : Signed(new() { ["respCode"] = "00", ["orderId"] = r.Fields["orderId"], ["queryId"] = "612411241101020000009" });

        await _channel.RefundAsync(_account, new ChannelRefundRequest(
            PaymentId, refundId, new Money(300, Currency.CNY), new Money(1999, Currency.CNY), null, new Uri("https://pay.example/cb"), null, refundCreatedAt, PaymentCreatedAt), CancellationToken.None);
        _gateway.Respond = r => Signed(new() { ["respCode"] = "34", ["orderId"] = r.Fields["orderId"] });
        await _channel.QueryRefundAsync(_account, PaymentId, refundId, refundCreatedAt, CancellationToken.None);

        string refundOrderId = UnionPayOrderId.FromId(refundId)!;
        Assert.Equal(
            new[] { ("queryTrans.do", OrderId, PaymentTxnTime), ("backTransReq.do", refundOrderId, "20261124110405"), ("queryTrans.do", refundOrderId, "20261124110405") },
            _gateway.Requests.Select(r => (r.Path.Split('/')[^1], r.Fields["orderId"], r.Fields["txnTime"])));
    }

    [Fact]
    public async Task APageCreateSendsNothingAndRedirectsToTheSignedFrontTransactionWithTheReturnUrl()
    {
        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(await _channel.CreateAsync(_account, Create("page"), CancellationToken.None));

        Assert.Empty(_gateway.Requests);
        Assert.Equal("redirect", ok.Value.NextActionType);
        var url = new Uri(ok.Value.NextActionUrl);
        Assert.Equal("/gateway/api/frontTransReq.do", url.AbsolutePath);
        var fields = UnionPayWire.ParseForm(url.Query.TrimStart('?'))!;
        Assert.Equal("https://shop.example/return", fields["frontUrl"]);
        using var merchantKey = UnionPaySigner.ImportPrivateKeyPem(UnionPayTestData.PrivateKeyPem);
        Assert.True(UnionPaySigner.Verify(merchantKey, UnionPaySigner.BuildSignContent(fields), fields["signature"]));
    }

    [Fact]
    public async Task AnAnswerSignedWithAKeyOutsideTheChainIsNotBelieved()
    {
        using var forger = RSA.Create(2048);
        _gateway.Respond = r => FakeUnionPayGateway.Raw(_pki.Sign(new Dictionary<string, string> { ["version"] = "5.1.0", ["signMethod"] = "01", ["respCode"] = "34" }, forger));

        var result = await _channel.QueryAsync(_account, PaymentId, CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(result);
    }

    [Fact]
    public async Task AnUnsignedNotFoundIsNotBelievedButASignedOneIsNotFound()
    {
        _gateway.Respond = _ => "version=5.1.0&signMethod=01&respCode=34&respMsg=none";
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, PaymentId, CancellationToken.None));

        _gateway.Respond = r => Signed(new() { ["respCode"] = "34", ["orderId"] = r.Fields["orderId"] });
        var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, PaymentId, CancellationToken.None));
        Assert.Equal(ChannelPaymentStatus.NotFound, ok.Value.Status);
    }

    [Fact]
    public async Task APaidQueryAnswerIsSucceededWithTheQueryIdAmountAndTraceTime()
    {
        _gateway.Respond = r => Signed(new()
        {
            ["respCode"] = "00", ["origRespCode"] = "00", ["orderId"] = r.Fields["orderId"], ["queryId"] = "612411241001020000001",
            ["txnAmt"] = "1999", ["txnTime"] = "20261124100102", ["traceTime"] = "1124100130",
        });

        var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, PaymentId, CancellationToken.None));

        Assert.Equal(new ChannelPaymentState(ChannelPaymentStatus.Succeeded, "612411241001020000001", new Money(1999, Currency.CNY), new DateTimeOffset(2026, 11, 24, 10, 1, 30, TimeSpan.FromHours(8))), ok.Value);
        Assert.Equal(("00", "00", OrderId), (_gateway.Requests.Single().Fields["txnType"], _gateway.Requests.Single().Fields["txnSubType"], _gateway.Requests.Single().Fields["orderId"]));
    }

    [Fact]
    public async Task ARefundFindsTheConsumesQueryIdFirstAndIsProcessingWhenAccepted()
    {
        string refundId = Ids.RefundId(PaymentId, "R-1");
        _gateway.Respond = r => r.Path.EndsWith("queryTrans.do", StringComparison.Ordinal)
            ? Signed(new() { ["respCode"] = "00", ["origRespCode"] = "00", ["orderId"] = r.Fields["orderId"], ["queryId"] = "612411241001020000001", ["txnAmt"] = "1999", ["txnTime"] = "20261124100102", ["traceTime"] = "1124100130" })
            : Signed(new() { ["respCode"] = "00", ["orderId"] = r.Fields["orderId"], ["queryId"] = "612411241101020000009" });

        var result = await _channel.RefundAsync(_account, new ChannelRefundRequest(PaymentId, refundId, new Money(300, Currency.CNY), new Money(1999, Currency.CNY), null, new Uri("https://pay.example/cb")), CancellationToken.None);

        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(result);
        Assert.Equal(ChannelRefundStatus.Processing, ok.Value.Status);
        var refund = _gateway.Requests.Last();
        Assert.Equal(("04", "612411241001020000001", "300", UnionPayOrderId.FromId(refundId)), (refund.Fields["txnType"], refund.Fields["origQryId"], refund.Fields["txnAmt"], refund.Fields["orderId"]));
    }

    [Fact]
    public async Task ARefusedRefundIsRejectedWithUnionPaysCode()
    {
        _gateway.Respond = r => Signed(new() { ["respCode"] = "37", ["respMsg"] = "退货金额超限", ["orderId"] = r.Fields["orderId"] });

        var result = await _channel.RefundAsync(_account, new ChannelRefundRequest(PaymentId, Ids.RefundId(PaymentId, "R-1"), new Money(3000, Currency.CNY), new Money(1999, Currency.CNY), null, new Uri("https://pay.example/cb"), "612411241001020000001"), CancellationToken.None);

        Assert.Equal(new ChannelResult<ChannelRefundState>.Rejected("37", "退货金额超限"), result);
    }

    [Fact]
    public async Task TheSettlementFileIsInflatedFromTheVerifiedAnswerAndParsed()
    {
        string refundId = Ids.RefundId(PaymentId, "R-1");
        string file = UnionPayTradeBill.Header + "\n"
            + $"{UnionPayTestData.MerId},01,{OrderId},612411241001020000001,,,20261124100130,156,1999,11\n"
            + $"{UnionPayTestData.MerId},04,{UnionPayOrderId.FromId(refundId)},612411241101020000009,{OrderId},612411241001020000001,20261124110102,156,300,-2\n"
            + "TOTAL,2\n";
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(Encoding.UTF8.GetBytes(file));
        }

        _gateway.Respond = r => Signed(new() { ["respCode"] = "00", ["fileContent"] = Convert.ToBase64String(compressed.ToArray()), ["fileName"] = "INN261124ZM" });

        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));
        var lines = new List<StatementLine>();
        await using (ok.Value)
        {
            await foreach (var line in _channel.ParseStatementAsync(ok.Value, CancellationToken.None))
            {
                lines.Add(line);
            }
        }

        Assert.Equal(("76", "1124"), (_gateway.Requests.Single().Fields["txnType"], _gateway.Requests.Single().Fields["settleDate"]));
        Assert.Equal((PaymentId, TransactionKind.Payment, 1999L, 11L), (lines[0].Id, lines[0].Kind, lines[0].Amount.MinorUnits, lines[0].Fee!.Value.MinorUnits));
        Assert.Equal((refundId, TransactionKind.Refund, 300L, -2L, PaymentId), (lines[1].Id, lines[1].Kind, lines[1].Amount.MinorUnits, lines[1].Fee!.Value.MinorUnits, lines[1].PaymentId));
    }

    [Fact]
    public async Task ADayWithoutAFileIsAnEmptyStatement()
    {
        _gateway.Respond = _ => Signed(new() { ["respCode"] = "98", ["respMsg"] = "文件不存在" });

        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));
        await using (ok.Value)
        {
            Assert.Empty(await _channel.ParseStatementAsync(ok.Value, CancellationToken.None).ToListAsync());
        }
    }
}
