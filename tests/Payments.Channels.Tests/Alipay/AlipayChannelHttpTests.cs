using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Payments.Channels.Alipay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Alipay;

public class AlipayChannelHttpTests : IAsyncLifetime
{
    private const string QrCode = "https://qr.alipay.com/bax08431qyhewgdvwxnp0078";

    private FakeAlipayGateway _gateway = null!;
    private HttpClient _httpClient = null!;
    private AlipayChannel _channel = null!;
    private ChannelAccount _account = null!;

    public async Task InitializeAsync()
    {
        _gateway = await FakeAlipayGateway.StartAsync();
        _httpClient = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _channel = new AlipayChannel(_httpClient, TimeProvider.System);
        _account = AlipayTestData.Account(_gateway.Endpoint);
    }

    public async Task DisposeAsync()
    {
        _httpClient.Dispose();
        await _gateway.DisposeAsync();
    }

    // Alipay escapes slashes in its JSON; the signature covers the escaped text.
    private static string Escaped(string json) => json.Replace("/", "\\/", StringComparison.Ordinal);

    private static string PrecreateAnswer(string outTradeNo) =>
        Escaped($$"""{"code":"10000","msg":"Success","out_trade_no":"{{outTradeNo}}","qr_code":"{{QrCode}}"}""");

    private static string Trade(string outTradeNo, string status, string total = "19.99", string? sendPayDate = "2026-11-24 10:01:02") =>
        $$"""{"code":"10000","msg":"Success","trade_no":"2026112422001412345678901234","out_trade_no":"{{outTradeNo}}","buyer_logon_id":"159****5620","trade_status":"{{status}}","total_amount":"{{total}}","buyer_pay_amount":"0.00"{{(sendPayDate is null ? "" : $",\"send_pay_date\":\"{sendPayDate}\"")}}}""";

    private static string Failure(string code, string subCode) =>
        $$"""{"code":"{{code}}","msg":"Business Failed","sub_code":"{{subCode}}","sub_msg":"交易不存在"}""";

    [Fact]
    public async Task CreatePostsASignedPrecreateFormAndReturnsItsQrCode()
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_01J9ZQ"));

        var result = await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_01J9ZQ", 1999), CancellationToken.None);

        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(result);
        Assert.Equal(new ChannelOrder("qr_code", QrCode), ok.Value);
        var request = Assert.Single(_gateway.Requests);
        Assert.Null(request.SignatureProblem);
        Assert.Equal(("POST", "/gateway.do"), (request.Method, request.Path));
        Assert.StartsWith("application/x-www-form-urlencoded", request.ContentType, StringComparison.Ordinal);
        Assert.Contains("charset=utf-8", request.ContentType, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(AlipayTestData.AppId, request["app_id"]);
        Assert.Equal("alipay.trade.precreate", request["method"]);
        Assert.Equal(("JSON", "utf-8", "RSA2", "1.0"), (request["format"], request["charset"], request["sign_type"], request["version"]));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", request["timestamp"]);
        Assert.Equal("https://pay.example.com/api/v1/callbacks/alipay/ca_alipay_test", request["notify_url"]);

        using var biz = JsonDocument.Parse(request["biz_content"]);
        var root = biz.RootElement;
        Assert.Equal("pay_01J9ZQ", root.GetProperty("out_trade_no").GetString());
        Assert.Equal(JsonValueKind.String, root.GetProperty("total_amount").ValueKind);
        Assert.Equal("19.99", root.GetProperty("total_amount").GetString());
        Assert.Equal("咖啡豆 Coffee beans", root.GetProperty("subject").GetString());
        Assert.Equal("1 kg, whole", root.GetProperty("body").GetString());

        // 02:00 UTC is 10:00 in Beijing, the only time zone the gateway reads.
        Assert.Equal("2026-11-24 10:00:00", root.GetProperty("time_expire").GetString());
    }

    [Fact]
    public async Task TheTimestampIsBeijingTime()
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_1"));

        var before = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8));
        await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None);
        var after = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8));

        var sent = DateTimeOffset.ParseExact(Assert.Single(_gateway.Requests)["timestamp"] + " +08:00", "yyyy-MM-dd HH:mm:ss zzz", null);
        Assert.InRange(sent, before.AddSeconds(-1), after);
    }

    [Theory]
    [InlineData(1, "0.01")]
    [InlineData(10, "0.10")]
    [InlineData(100, "1.00")]
    [InlineData(123456789, "1234567.89")]
    public async Task TheAmountIsSentAsYuanWithTwoDecimalsExactly(long fen, string yuan)
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_1"));

        await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", fen), CancellationToken.None);

        using var biz = JsonDocument.Parse(Assert.Single(_gateway.Requests)["biz_content"]);
        Assert.Equal(yuan, biz.RootElement.GetProperty("total_amount").GetString());
    }

    [Fact]
    public async Task AFullGatewayUrlAsTheEndpointIsUsedAsItIs()
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_1"));
        var account = AlipayTestData.Account(new Uri(_gateway.Endpoint, "gateway.do"));

        var result = await _channel.CreateAsync(account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Ok>(result);
        Assert.Equal("/gateway.do", Assert.Single(_gateway.Requests).Path);
    }

    [Fact]
    public async Task APagePaymentIsASignedGatewayLinkAndCallsNothing()
    {
        var result = await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_page", 1999, method: "page"), CancellationToken.None);

        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(result);
        Assert.Equal("redirect", ok.Value.NextActionType);
        Assert.Empty(_gateway.Requests);
        var url = new Uri(ok.Value.NextActionUrl);
        Assert.Equal(new Uri(_gateway.Endpoint, "gateway.do").GetLeftPart(UriPartial.Path), url.GetLeftPart(UriPartial.Path));
        var parameters = QueryHelpers.ParseQuery(url.Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        Assert.Null(FakeAlipayGateway.CheckSignature(parameters));
        Assert.Equal("alipay.trade.page.pay", parameters["method"]);
        using var biz = JsonDocument.Parse(parameters["biz_content"]);
        Assert.Equal("FAST_INSTANT_TRADE_PAY", biz.RootElement.GetProperty("product_code").GetString());
        Assert.Equal("pay_page", biz.RootElement.GetProperty("out_trade_no").GetString());
        Assert.Equal("19.99", biz.RootElement.GetProperty("total_amount").GetString());
    }

    [Theory]
    [InlineData("h5")]
    [InlineData("app")]
    public async Task AMethodWithoutAnAdapterFlowIsNotSupportedAndCallsNothing(string method)
    {
        var result = await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 100, method), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(result);
        Assert.Empty(_gateway.Requests);
    }

    [Fact]
    public async Task ACreateInAnotherCurrencyIsNotSupportedAndCallsNothing()
    {
        var request = AlipayTestData.CreateRequest("pay_1", 100) with { Amount = new Money(100, Currency.Parse("USD")) };

        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(await _channel.CreateAsync(_account, request, CancellationToken.None));
        Assert.Empty(_gateway.Requests);
    }

    [Fact]
    public async Task AnUnsignedSuccessIsUnknown()
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_1"), GatewaySigning.Unsigned);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
    }

    [Fact]
    public async Task ASuccessSignedOverOtherTextIsUnknown()
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_1"), GatewaySigning.SignedOverOtherText);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
    }

    [Fact]
    public async Task ASuccessSignedByAnotherKeyIsUnknown()
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_1"));
        using var otherKey = System.Security.Cryptography.RSA.Create(2048);
        var account = AlipayTestData.Account(_gateway.Endpoint, alipayPublicKeyPem: otherKey.ExportSubjectPublicKeyInfoPem());

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
    }

    [Fact]
    public async Task TheSignatureIsCheckedOverTheNodeTextAsSentSpacingAndEscapesIncluded()
    {
        // Spacing and escapes a re-serialisation would not reproduce.
        string node = "{ \"code\" : \"10000\", \"msg\":\"Success\",\"out_trade_no\":\"pay_1\",\"qr_code\":\"https:\\/\\/qr.alipay.com\\/bax\\u0030\" }";
        _gateway.Respond = _ => new GatewayAnswer(node);

        var result = await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None);

        Assert.Equal("https://qr.alipay.com/bax0", Assert.IsType<ChannelResult<ChannelOrder>.Ok>(result).Value.NextActionUrl);
    }

    [Fact]
    public async Task AnAnswerForAnotherOrderIsUnknown()
    {
        _gateway.Respond = _ => new GatewayAnswer(PrecreateAnswer("pay_other"));

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
    }

    [Fact]
    public async Task ABusinessFailureIsRejectedWithItsSubCodeEvenUnsigned()
    {
        _gateway.Respond = _ => new GatewayAnswer(Failure("40004", "ACQ.TRADE_HAS_SUCCESS"), GatewaySigning.Unsigned);

        var rejected = Assert.IsType<ChannelResult<ChannelOrder>.Rejected>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
        Assert.Equal("ACQ.TRADE_HAS_SUCCESS", rejected.Code);
    }

    [Fact]
    public async Task AFailureWhoseSignatureDoesNotHoldIsUnknown()
    {
        _gateway.Respond = _ => new GatewayAnswer(Failure("40004", "ACQ.TRADE_HAS_SUCCESS"), GatewaySigning.SignedOverOtherText);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
    }

    [Theory]
    [InlineData("20000", "isp.unknow-error")]
    [InlineData("40004", "ACQ.SYSTEM_ERROR")]
    [InlineData("99999", "")]
    public async Task AnUnavailableGatewayOrASystemErrorIsUnknownNotRejected(string code, string subCode)
    {
        _gateway.Respond = _ => new GatewayAnswer(Failure(code, subCode));

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
    }

    [Fact]
    public async Task InsufficientAuthorisationIsADefiniteNo()
    {
        _gateway.Respond = _ => new GatewayAnswer(Failure("20001", "aop.invalid-auth-token"));

        Assert.Equal("aop.invalid-auth-token", Assert.IsType<ChannelResult<ChannelOrder>.Rejected>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None)).Code);
    }

    [Fact]
    public async Task AnErrorResponseNodeIsReadWhenTheMethodNodeIsAbsent()
    {
        _gateway.Respond = _ => new GatewayAnswer(
            """{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id","sub_msg":"无效的AppID参数"}""", GatewaySigning.Unsigned, NodeName: "error_response");

        var rejected = Assert.IsType<ChannelResult<ChannelOrder>.Rejected>(await _channel.CreateAsync(_account, AlipayTestData.CreateRequest("pay_1", 1), CancellationToken.None));
        Assert.Equal("isv.invalid-app-id", rejected.Code);
    }

    [Theory]
    [InlineData(502)]
    [InlineData(404)]
    public async Task AnHttpErrorIsUnknown(int status)
    {
        _gateway.Respond = _ => new GatewayAnswer("", HttpStatus: status);

        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_1", CancellationToken.None));
    }

    [Fact]
    public async Task AGatewayThatNeverAnswersIsUnknownAfterTheClientTimeout()
    {
        _gateway.Respond = _ => GatewayAnswer.Hang;
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(300) };
        var channel = new AlipayChannel(impatient, TimeProvider.System);

        var unknown = Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await channel.QueryAsync(_account, "pay_1", CancellationToken.None));
        Assert.Contains("timed out", unknown.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AQueryForATradeAlipayDoesNotHaveIsNotFound()
    {
        _gateway.Respond = _ => new GatewayAnswer(Failure("40004", "ACQ.TRADE_NOT_EXIST"));

        var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_1", CancellationToken.None));

        Assert.Equal(ChannelPaymentStatus.NotFound, ok.Value.Status);
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal("alipay.trade.query", request["method"]);
        Assert.Equal("""{"out_trade_no":"pay_1"}""", request["biz_content"]);
        Assert.Equal("", request["notify_url"]);
    }

    [Fact]
    public async Task APaidTradeIsSucceededWithItsExactAmountTradeNoAndPaymentTime()
    {
        _gateway.Respond = _ => new GatewayAnswer(Trade("pay_1", "TRADE_SUCCESS", total: "88.88"));

        var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_1", CancellationToken.None));

        Assert.Equal(ChannelPaymentStatus.Succeeded, ok.Value.Status);
        Assert.Equal(new Money(8888, Currency.CNY), ok.Value.PaidAmount);
        Assert.Equal("2026112422001412345678901234", ok.Value.ChannelTransactionId);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 2, 1, 2, TimeSpan.Zero), ok.Value.PaidAt);
    }

    [Theory]
    [InlineData("WAIT_BUYER_PAY", null, ChannelPaymentStatus.Pending)]
    [InlineData("TRADE_CLOSED", null, ChannelPaymentStatus.Closed)]
    [InlineData("TRADE_FINISHED", "2026-11-24 10:01:02", ChannelPaymentStatus.Succeeded)]
    [InlineData("TRADE_CLOSED", "2026-11-24 10:01:02", ChannelPaymentStatus.Succeeded)]
    public async Task TradeStatusesMapToOurs(string tradeStatus, string? sendPayDate, ChannelPaymentStatus expected)
    {
        _gateway.Respond = _ => new GatewayAnswer(Trade("pay_1", tradeStatus, sendPayDate: sendPayDate));

        var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_1", CancellationToken.None));

        Assert.Equal(expected, ok.Value.Status);
    }

    [Theory]
    [InlineData("TRADE_PENDING", "19.99")]
    [InlineData("TRADE_SUCCESS", "19.999")]
    [InlineData("TRADE_SUCCESS", "1.9e1")]
    public async Task ATradeThatCannotBeReadSafelyIsUnknown(string tradeStatus, string total)
    {
        _gateway.Respond = _ => new GatewayAnswer(Trade("pay_1", tradeStatus, total));

        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_1", CancellationToken.None));
    }

    [Fact]
    public async Task CloseAsksToCloseOurOrder()
    {
        _gateway.Respond = _ => new GatewayAnswer("""{"code":"10000","msg":"Success","trade_no":"2026112422001412345678901234","out_trade_no":"pay_1"}""");

        Assert.IsType<ChannelResult<Unit>.Ok>(await _channel.CloseAsync(_account, "pay_1", CancellationToken.None));
        var request = Assert.Single(_gateway.Requests);
        Assert.Equal(("alipay.trade.close", """{"out_trade_no":"pay_1"}"""), (request["method"], request["biz_content"]));
    }

    [Fact]
    public async Task ClosingAPaidTradeIsRejected()
    {
        _gateway.Respond = _ => new GatewayAnswer(Failure("40004", "ACQ.TRADE_STATUS_ERROR"));

        Assert.Equal("ACQ.TRADE_STATUS_ERROR", Assert.IsType<ChannelResult<Unit>.Rejected>(await _channel.CloseAsync(_account, "pay_1", CancellationToken.None)).Code);
    }

    [Fact]
    public async Task ARefundThatMovedMoneySucceededAndNamesOurRefundAsOutRequestNo()
    {
        _gateway.Respond = _ => new GatewayAnswer(
            """{"code":"10000","msg":"Success","trade_no":"2026112422001412345678901234","out_trade_no":"pay_1","fund_change":"Y","refund_fee":"8.00","gmt_refund_pay":"2026-11-25 09:00:05"}""");
        var refund = new ChannelRefundRequest("pay_1", "ref_1", new Money(500, Currency.CNY), new Money(1999, Currency.CNY), "顾客退货", new Uri("https://pay.example.com/cb"));

        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.RefundAsync(_account, refund, CancellationToken.None));

        Assert.Equal(ChannelRefundStatus.Succeeded, ok.Value.Status);
        Assert.Null(ok.Value.RefundedAmount); // refund_fee is the trade's running total, not this refund
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 1, 0, 5, TimeSpan.Zero), ok.Value.SucceededAt);
        var request = Assert.Single(_gateway.Requests);
        Assert.Null(request.SignatureProblem);
        Assert.Equal("alipay.trade.refund", request["method"]);
        using var biz = JsonDocument.Parse(request["biz_content"]);
        Assert.Equal("pay_1", biz.RootElement.GetProperty("out_trade_no").GetString());
        Assert.Equal("5.00", biz.RootElement.GetProperty("refund_amount").GetString());
        Assert.Equal("ref_1", biz.RootElement.GetProperty("out_request_no").GetString());
        Assert.Equal("顾客退货", biz.RootElement.GetProperty("refund_reason").GetString());
    }

    [Fact]
    public async Task ADuplicatePaymentIsRefundedByItsOwnTradeNo()
    {
        _gateway.Respond = _ => new GatewayAnswer(
            """{"code":"10000","msg":"Success","trade_no":"2026112422009999999999999999","out_trade_no":"pay_1","fund_change":"Y","refund_fee":"19.99"}""");
        var refund = new ChannelRefundRequest(
            "pay_1", "ref_dup", new Money(1999, Currency.CNY), new Money(1999, Currency.CNY), null, new Uri("https://pay.example.com/cb"), "2026112422009999999999999999");

        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.RefundAsync(_account, refund, CancellationToken.None));

        Assert.Equal(ChannelRefundStatus.Succeeded, ok.Value.Status);
        using var biz = JsonDocument.Parse(Assert.Single(_gateway.Requests)["biz_content"]);
        Assert.Equal("2026112422009999999999999999", biz.RootElement.GetProperty("trade_no").GetString());
        Assert.False(biz.RootElement.TryGetProperty("out_trade_no", out _));
    }

    [Fact]
    public async Task ARefundThatMovedNoMoneyNowIsProcessingForTheQueryToSettle()
    {
        _gateway.Respond = _ => new GatewayAnswer(
            """{"code":"10000","msg":"Success","trade_no":"2026112422001412345678901234","out_trade_no":"pay_1","fund_change":"N","refund_fee":"5.00"}""");
        var refund = new ChannelRefundRequest("pay_1", "ref_1", new Money(500, Currency.CNY), new Money(1999, Currency.CNY), null, new Uri("https://pay.example.com/cb"));

        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.RefundAsync(_account, refund, CancellationToken.None));

        Assert.Equal(ChannelRefundStatus.Processing, ok.Value.Status);
    }

    [Fact]
    public async Task ARefundQueryWithRefundDataIsSucceededWithThatRefundsAmount()
    {
        _gateway.Respond = _ => new GatewayAnswer(
            """{"code":"10000","msg":"Success","trade_no":"2026112422001412345678901234","out_trade_no":"pay_1","out_request_no":"ref_1","total_amount":"19.99","refund_amount":"5.00","refund_status":"REFUND_SUCCESS","gmt_refund_pay":"2026-11-25 09:00:05"}""");

        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.QueryRefundAsync(_account, "pay_1", "ref_1", CancellationToken.None));

        Assert.Equal(ChannelRefundStatus.Succeeded, ok.Value.Status);
        Assert.Equal(new Money(500, Currency.CNY), ok.Value.RefundedAmount);
        var request = Assert.Single(_gateway.Requests);
        using var biz = JsonDocument.Parse(request["biz_content"]);
        Assert.Equal("ref_1", biz.RootElement.GetProperty("out_request_no").GetString());
        Assert.Equal("gmt_refund_pay", biz.RootElement.GetProperty("query_options")[0].GetString());
    }

    [Fact]
    public async Task ARefundQueryWithoutRefundDataIsNotFound()
    {
        _gateway.Respond = _ => new GatewayAnswer("""{"code":"10000","msg":"Success"}""");

        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.QueryRefundAsync(_account, "pay_1", "ref_1", CancellationToken.None));

        Assert.Equal(ChannelRefundStatus.NotFound, ok.Value.Status);
    }

    [Fact]
    public async Task ARefundQueryAnswerForAnotherRefundIsUnknown()
    {
        _gateway.Respond = _ => new GatewayAnswer(
            """{"code":"10000","msg":"Success","out_trade_no":"pay_1","out_request_no":"ref_2","total_amount":"19.99","refund_amount":"5.00"}""");

        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(await _channel.QueryRefundAsync(_account, "pay_1", "ref_1", CancellationToken.None));
    }
}
