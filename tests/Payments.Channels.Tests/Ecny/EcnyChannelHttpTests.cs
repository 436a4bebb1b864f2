using System.Text.Json;
using Payments.Channels.Ecny;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Ecny;

public sealed class EcnyChannelHttpTests : IAsyncLifetime
{
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

    private static ChannelCreateRequest Create(string method = "qr", string currency = "CNY") =>
        new("pay_01", new Money(1999, Currency.Parse(currency)), method, "订单 42", null,
            new DateTimeOffset(2026, 11, 24, 2, 30, 0, TimeSpan.Zero), new Uri("https://api.example/cb/ecny/ca_1"), null);

    [Fact]
    public async Task AQrOrderIsSignedWithTheMerchantSm2KeyAndAnswersTheCodeUrl()
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("WAIT_PAY", extra: ""","codeUrl":"https://ecny.example/qr/abc" """));
        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(await _channel.CreateAsync(_account, Create(), CancellationToken.None));
        Assert.Equal(new ChannelOrder("qr_code", "https://ecny.example/qr/abc"), ok.Value);

        var request = Assert.Single(_platform.Requests);
        Assert.True(request.SignatureValid, "the platform must verify the request with the merchant's public key");
        Assert.Equal(("POST", "/ecny/v1/orders", EcnyTestData.MerchantNo, EcnyTestData.MerchantSerial),
            (request.Method, request.Target, request.Headers["Ecny-Merchant-No"], request.Headers["Ecny-Serial"]));
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(("pay_01", "QR", 1999L, "CNY", "2026-11-24T10:30:00+08:00", "https://api.example/cb/ecny/ca_1"), (
            body.GetProperty("outTradeNo").GetString(), body.GetProperty("tradeType").GetString(), body.GetProperty("amount").GetInt64(),
            body.GetProperty("currency").GetString(), body.GetProperty("expireTime").GetString(), body.GetProperty("notifyUrl").GetString()));
    }

    [Fact]
    public async Task AnAppOrderRedirectsToTheWalletAppUrl()
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("WAIT_PAY", extra: ""","appPayUrl":"https://ecny.example/wallet/abc" """));
        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(await _channel.CreateAsync(_account, Create("app"), CancellationToken.None));
        Assert.Equal(new ChannelOrder("redirect", "https://ecny.example/wallet/abc"), ok.Value);
        Assert.Equal("APP", JsonDocument.Parse(Assert.Single(_platform.Requests).Body).RootElement.GetProperty("tradeType").GetString());
    }

    [Fact]
    public async Task OtherMethodsAndCurrenciesAreNotSupportedAndCallNothing()
    {
        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(await _channel.CreateAsync(_account, Create("page"), CancellationToken.None));
        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(await _channel.CreateAsync(_account, Create(currency: "USD"), CancellationToken.None));
        Assert.Empty(_platform.Requests);
    }

    [Fact]
    public async Task AnAnswerWithABadSignatureIsUnknownNotAResult()
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("SUCCESS", extra: ""","payTime":"2026-11-24T10:01:00+08:00" """), TamperSignature: true);
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));

        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("SUCCESS"), Sign: false);
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
    }

    [Theory]
    [InlineData("WAIT_PAY", ChannelPaymentStatus.Pending)]
    [InlineData("PAYING", ChannelPaymentStatus.Pending)]
    [InlineData("SUCCESS", ChannelPaymentStatus.Succeeded)]
    [InlineData("REFUND", ChannelPaymentStatus.Succeeded)]
    [InlineData("CLOSED", ChannelPaymentStatus.Closed)]
    [InlineData("FAILED", ChannelPaymentStatus.Failed)]
    public async Task QueryMapsEachOrderStatus(string status, ChannelPaymentStatus expected)
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order(status, extra: ""","payTime":"2026-11-24T10:01:00+08:00" """));
        var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
        Assert.Equal(expected, ok.Value.Status);
        Assert.Equal($"/ecny/v1/orders/pay_01?merchantNo={EcnyTestData.MerchantNo}", Assert.Single(_platform.Requests).Target);
        if (expected == ChannelPaymentStatus.Succeeded)
        {
            Assert.Equal((new Money(1999, Currency.CNY), new DateTimeOffset(2026, 11, 24, 2, 1, 0, TimeSpan.Zero), "EC20261124000000000000000001"),
                (ok.Value.PaidAmount!.Value, ok.Value.PaidAt!.Value, ok.Value.ChannelTransactionId));
        }
    }

    [Fact]
    public async Task AnUnknownStatusWordIsUnknownNeverAGuess()
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("FROZEN"));
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
    }

    [Fact]
    public async Task AMissingOrderIsNotFoundAndTheWrongOrderIsUnknown()
    {
        _platform.Respond = _ => new PlatformAnswer(404, """{"code":"ORDER_NOT_EXIST","message":"订单不存在"}""");
        Assert.Equal(ChannelPaymentStatus.NotFound, Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None)).Value.Status);

        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("SUCCESS", outTradeNo: "pay_02"));
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
    }

    [Fact]
    public async Task DefiniteErrorsAreRejectedAndRetryableOnesUnknown()
    {
        _platform.Respond = _ => new PlatformAnswer(400, """{"code":"ORDER_PAID","message":"订单已支付"}""");
        var rejected = Assert.IsType<ChannelResult<Unit>.Rejected>(await _channel.CloseAsync(_account, "pay_01", CancellationToken.None));
        Assert.Equal("ORDER_PAID", rejected.Code);

        _platform.Respond = _ => new PlatformAnswer(400, """{"code":"FREQUENCY_LIMITED","message":"slow down"}""");
        Assert.IsType<ChannelResult<Unit>.Unknown>(await _channel.CloseAsync(_account, "pay_01", CancellationToken.None));

        _platform.Respond = _ => new PlatformAnswer(500, """{"code":"SYSTEM_ERROR","message":"busy"}""");
        Assert.IsType<ChannelResult<Unit>.Unknown>(await _channel.CloseAsync(_account, "pay_01", CancellationToken.None));

        // An unsigned 4xx could come from anything between us and the platform.
        _platform.Respond = _ => new PlatformAnswer(400, """{"code":"ORDER_PAID","message":"?"}""", Sign: false);
        Assert.IsType<ChannelResult<Unit>.Unknown>(await _channel.CloseAsync(_account, "pay_01", CancellationToken.None));
    }

    [Fact]
    public async Task CloseSendsTheMerchantNumberToTheOrdersClosePath()
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("CLOSED"));
        Assert.IsType<ChannelResult<Unit>.Ok>(await _channel.CloseAsync(_account, "pay 01", CancellationToken.None));
        var request = Assert.Single(_platform.Requests);
        Assert.True(request.SignatureValid, "the escaped target is what is signed");
        Assert.Equal("/ecny/v1/orders/pay%2001/close", request.Target);
        Assert.Equal(EcnyTestData.MerchantNo, JsonDocument.Parse(request.Body).RootElement.GetProperty("merchantNo").GetString());
    }

    [Fact]
    public async Task APartialRefundCarriesOurRefundIdAndAmountsInFen()
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Refund("SUCCESS"));
        var request = new ChannelRefundRequest("pay_01", "rf_01", new Money(500, Currency.CNY), new Money(1999, Currency.CNY), "顾客退货", new Uri("https://api.example/cb/ecny/ca_1"));
        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.RefundAsync(_account, request, CancellationToken.None));
        Assert.Equal(new ChannelRefundState(ChannelRefundStatus.Succeeded, "ER1", new Money(500, Currency.CNY), new DateTimeOffset(2026, 11, 24, 2, 5, 0, TimeSpan.Zero)), ok.Value);

        var body = JsonDocument.Parse(Assert.Single(_platform.Requests).Body).RootElement;
        Assert.Equal(("pay_01", "rf_01", 500L, 1999L, "顾客退货"), (
            body.GetProperty("outTradeNo").GetString(), body.GetProperty("outRefundNo").GetString(), body.GetProperty("refundAmount").GetInt64(),
            body.GetProperty("totalAmount").GetInt64(), body.GetProperty("reason").GetString()));
        Assert.False(body.TryGetProperty("orderNo", out _));
    }

    [Theory]
    [InlineData("PROCESSING", ChannelRefundStatus.Processing)]
    [InlineData("SUCCESS", ChannelRefundStatus.Succeeded)]
    [InlineData("FAILED", ChannelRefundStatus.Failed)]
    public async Task RefundQueryMapsEachRefundStatus(string status, ChannelRefundStatus expected)
    {
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Refund(status));
        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.QueryRefundAsync(_account, "pay_01", "rf_01", CancellationToken.None));
        Assert.Equal(expected, ok.Value.Status);
        Assert.Equal($"/ecny/v1/refunds/rf_01?merchantNo={EcnyTestData.MerchantNo}", Assert.Single(_platform.Requests).Target);
    }

    [Fact]
    public async Task AMissingRefundIsNotFound()
    {
        _platform.Respond = _ => new PlatformAnswer(404, """{"code":"REFUND_NOT_EXIST","message":"退款单不存在"}""");
        Assert.Equal(ChannelRefundStatus.NotFound, Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.QueryRefundAsync(_account, "pay_01", "rf_01", CancellationToken.None)).Value.Status);
    }

    [Fact]
    public async Task AStaleAnswerIsRefusedAsAReplay()
    {
        var clock = new ShiftedClock(TimeSpan.FromMinutes(6));
        var channel = new EcnyChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, clock);
        _platform.Respond = _ => new PlatformAnswer(200, EcnyTestData.Order("SUCCESS"));
        var unknown = Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await channel.QueryAsync(_account, "pay_01", CancellationToken.None));
        Assert.Contains("five-minute", unknown.Reason, StringComparison.Ordinal);
    }
}

/// <summary>The system clock moved by a fixed amount: our side six minutes ahead of the platform.</summary>
internal sealed class ShiftedClock(TimeSpan shift) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + shift;
}
