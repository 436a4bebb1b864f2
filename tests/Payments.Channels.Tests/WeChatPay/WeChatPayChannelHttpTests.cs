using System.Text.Json;
using Payments.Channels.Tests.Support;
using Payments.Channels.WeChatPay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.WeChatPay;

public partial class WeChatPayChannelHttpTests : IAsyncLifetime
{
    private const string CodeUrl = "weixin://wxpay/bizpayurl?pr=p4lpSuKzz";

    private FakeWeChatPayServer _server = null!;
    private HttpClient _httpClient = null!;
    private WeChatPayChannel _channel = null!;
    private ChannelAccount _account = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeWeChatPayServer.StartAsync();
        _httpClient = LoopbackServer.NewClient(TimeSpan.FromSeconds(30));
        _channel = new WeChatPayChannel(_httpClient, TimeProvider.System);
        _account = WeChatPayTestData.Account(_server.Endpoint);
    }

    public async Task DisposeAsync()
    {
        _httpClient.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task CreatePostsASignedNativeOrderAndReturnsItsQrCode()
    {
        _server.Respond = _ => new FakeAnswer(200, $$"""{"code_url":"{{CodeUrl}}"}""");

        var result = await _channel.CreateAsync(_account, CreateRequest("pay_01J9ZQ", 1999), CancellationToken.None);

        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(result);
        Assert.Equal(new ChannelOrder("qr_code", CodeUrl), ok.Value);
        var request = Assert.Single(_server.Requests);
        Assert.Null(request.AuthorizationProblem);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v3/pay/transactions/native", request.Target);
        Assert.Contains("application/json", request.Header("Accept"), StringComparison.Ordinal);
        Assert.Contains("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.NotEqual("", request.Header("User-Agent"));

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal(WeChatPayTestData.AppId, root.GetProperty("appid").GetString());
        Assert.Equal(WeChatPayTestData.MchId, root.GetProperty("mchid").GetString());
        Assert.Equal("Coffee beans", root.GetProperty("description").GetString());
        Assert.Equal("pay_01J9ZQ", root.GetProperty("out_trade_no").GetString());
        Assert.Equal("2026-11-24T10:00:00+08:00", root.GetProperty("time_expire").GetString());
        Assert.Equal("https://pay.example.com/notify/wechatpay", root.GetProperty("notify_url").GetString());
        var amount = root.GetProperty("amount");
        Assert.Equal(JsonValueKind.Number, amount.GetProperty("total").ValueKind);
        Assert.Equal(1999, amount.GetProperty("total").GetInt64());
        Assert.Equal("CNY", amount.GetProperty("currency").GetString());
    }

    [Fact]
    public async Task CreateLeavesAppIdOutWhenTheAccountHasNone()
    {
        _server.Respond = _ => new FakeAnswer(200, $$"""{"code_url":"{{CodeUrl}}"}""");
        var account = WeChatPayTestData.Account(_server.Endpoint, withAppId: false);

        var result = await _channel.CreateAsync(account, CreateRequest("pay_1", 100), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Ok>(result);
        using var json = JsonDocument.Parse(Assert.Single(_server.Requests).Body);
        Assert.False(json.RootElement.TryGetProperty("appid", out _));
    }

    [Fact]
    public async Task CreateCutsTheSubjectToWeChatsDescriptionLimit()
    {
        _server.Respond = _ => new FakeAnswer(200, $$"""{"code_url":"{{CodeUrl}}"}""");

        await _channel.CreateAsync(_account, CreateRequest("pay_1", 100) with { Subject = new string('a', 300) }, CancellationToken.None);

        using var json = JsonDocument.Parse(Assert.Single(_server.Requests).Body);
        Assert.Equal(new string('a', 127), json.RootElement.GetProperty("description").GetString());
    }

    [Fact]
    public async Task CreateWithAMethodOtherThanQrIsNotSupportedAndCallsNothing()
    {
        var result = await _channel.CreateAsync(_account, CreateRequest("pay_1", 100) with { Method = "card" }, CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(result);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task AnUnsignedAnswerIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, $$"""{"code_url":"{{CodeUrl}}"}""", AnswerSigning.Unsigned);

        var result = await _channel.CreateAsync(_account, CreateRequest("pay_1", 100), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(result);
    }

    [Fact]
    public async Task AnAnswerWhoseSignatureCoversAnotherBodyIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, $$"""{"code_url":"{{CodeUrl}}"}""", AnswerSigning.SignedOverAnotherBody);

        var result = await _channel.CreateAsync(_account, CreateRequest("pay_1", 100), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(result);
    }

    [Fact]
    public async Task AnAnswerSignedUnderAnotherPlatformSerialIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Transaction("pay_1"), AnswerSigning.SignedWithAnotherSerial);

        var result = await _channel.QueryAsync(_account, "pay_1", CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(result);
    }

    [Fact]
    public async Task AnAnswerSignedTenMinutesAgoIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Transaction("pay_1"), TimestampShift: TimeSpan.FromMinutes(-10));

        var result = await _channel.QueryAsync(_account, "pay_1", CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(result);
    }

    [Fact]
    public async Task AServerErrorIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(500, """{"code":"SYSTEM_ERROR","message":"系统错误"}""");

        var result = await _channel.CreateAsync(_account, CreateRequest("pay_1", 100), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(result);
    }

    [Fact]
    public async Task ABadRequestIsRejectedWithWeChatsCodeAndMessage()
    {
        _server.Respond = _ => new FakeAnswer(400, """{"code":"INVALID_REQUEST","message":"参数错误"}""");

        var result = await _channel.CreateAsync(_account, CreateRequest("pay_1", 100), CancellationToken.None);

        var rejected = Assert.IsType<ChannelResult<ChannelOrder>.Rejected>(result);
        Assert.Equal("INVALID_REQUEST", rejected.Code);
        Assert.Equal("参数错误", rejected.Message);
    }

    [Fact]
    public async Task ABadRequestWhoseSignatureDoesNotHoldIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(400, """{"code":"INVALID_REQUEST","message":"参数错误"}""", AnswerSigning.SignedOverAnotherBody);

        var result = await _channel.CreateAsync(_account, CreateRequest("pay_1", 100), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(result);
    }

    [Fact]
    public async Task BeingRateLimitedIsUnknownNotRejected()
    {
        _server.Respond = _ => new FakeAnswer(429, """{"code":"FREQUENCY_LIMITED","message":"频率超限"}""");

        var result = await _channel.CreateAsync(_account, CreateRequest("pay_1", 100), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(result);
    }

    [Fact]
    public async Task AServerThatNeverAnswersWithinTheClientTimeoutIsUnknown()
    {
        _server.Respond = _ => FakeAnswer.Hang;
        using var impatientClient = LoopbackServer.NewClient(TimeSpan.FromMilliseconds(300));
        var channel = new WeChatPayChannel(impatientClient, TimeProvider.System);

        var result = await channel.CreateAsync(_account, CreateRequest("pay_1", 100), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(result);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task TheCallersOwnCancellationIsRethrownNotReportedAsUnknown()
    {
        _server.Respond = _ => FakeAnswer.Hang;
        using var cancellation = new CancellationTokenSource();

        var call = _channel.QueryAsync(_account, "pay_1", cancellation.Token);
        await _server.RequestArrived.WaitAsync(TimeSpan.FromSeconds(10));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task QuerySendsASignedGetWithTheMerchantIdAndReadsAPaidOrder()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Transaction("pay_01J9ZQ", "SUCCESS", total: 1999));

        var result = await _channel.QueryAsync(_account, "pay_01J9ZQ", CancellationToken.None);

        var request = Assert.Single(_server.Requests);
        Assert.Null(request.AuthorizationProblem);
        Assert.Equal("GET", request.Method);
        Assert.Equal($"/v3/pay/transactions/out-trade-no/pay_01J9ZQ?mchid={WeChatPayTestData.MchId}", request.Target);
        Assert.Equal("", request.Body);
        var state = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(result).Value;
        Assert.Equal(ChannelPaymentStatus.Succeeded, state.Status);
        Assert.Equal(new Money(1999, Currency.CNY), state.PaidAmount);
        Assert.Equal("4200000000202611241234567890", state.ChannelTransactionId);
    }

    [Theory]
    [InlineData("SUCCESS", ChannelPaymentStatus.Succeeded, true)]
    [InlineData("REFUND", ChannelPaymentStatus.Succeeded, true)]
    [InlineData("NOTPAY", ChannelPaymentStatus.Pending, false)]
    [InlineData("USERPAYING", ChannelPaymentStatus.Pending, false)]
    [InlineData("CLOSED", ChannelPaymentStatus.Closed, false)]
    [InlineData("REVOKED", ChannelPaymentStatus.Closed, false)]
    [InlineData("PAYERROR", ChannelPaymentStatus.Failed, false)]
    public async Task QueryMapsEachTradeStateToOurStatus(string tradeState, ChannelPaymentStatus expected, bool paid)
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Transaction("pay_1", tradeState, total: 500, tradeStateDesc: "描述"));

        var result = await _channel.QueryAsync(_account, "pay_1", CancellationToken.None);

        var state = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(result).Value;
        Assert.Equal(expected, state.Status);
        Assert.Equal(paid ? new Money(500, Currency.CNY) : null, state.PaidAmount);
        Assert.Equal(tradeState == "PAYERROR" ? "PAYERROR" : null, state.FailureCode);
        Assert.Equal(tradeState == "PAYERROR" ? "描述" : null, state.FailureMessage);
    }

    [Fact]
    public async Task QueryOfATradeStateWeDoNotKnowIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Transaction("pay_1", "SOMETHING_NEW"));

        var result = await _channel.QueryAsync(_account, "pay_1", CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(result);
    }

    [Fact]
    public async Task QueryOfAnOrderWeChatDoesNotHaveIsNotFound()
    {
        _server.Respond = _ => new FakeAnswer(404, """{"code":"ORDER_NOT_EXIST","message":"订单不存在"}""");

        var result = await _channel.QueryAsync(_account, "pay_missing", CancellationToken.None);

        var state = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(result).Value;
        Assert.Equal(ChannelPaymentStatus.NotFound, state.Status);
    }

    [Fact]
    public async Task CloseSendsTheMerchantIdAndSucceedsOnASignedNoContent()
    {
        _server.Respond = _ => new FakeAnswer(204, "");

        var result = await _channel.CloseAsync(_account, "pay_01J9ZQ", CancellationToken.None);

        Assert.IsType<ChannelResult<Unit>.Ok>(result);
        var request = Assert.Single(_server.Requests);
        Assert.Null(request.AuthorizationProblem);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v3/pay/transactions/out-trade-no/pay_01J9ZQ/close", request.Target);
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal(WeChatPayTestData.MchId, json.RootElement.GetProperty("mchid").GetString());
    }

    [Fact]
    public async Task AnUnsignedNoContentToCloseIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(204, "", AnswerSigning.Unsigned);

        var result = await _channel.CloseAsync(_account, "pay_1", CancellationToken.None);

        Assert.IsType<ChannelResult<Unit>.Unknown>(result);
    }

    private static ChannelCreateRequest CreateRequest(string paymentId, long minorUnits) => new(
        paymentId,
        new Money(minorUnits, Currency.CNY),
        "qr",
        "Coffee beans",
        null,
        new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero),
        new Uri("https://pay.example.com/notify/wechatpay"),
        "203.0.113.7");
}
