using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Alipay;

/// <summary>Precreate, the payer, query, close and expiry, as Alipay's trades behave.</summary>
public sealed class AlipayTradeTests(SharedSandbox shared) : IClassFixture<SharedSandbox>
{
    private readonly SandboxHost _sandbox = shared.Host;

    [Fact]
    public async Task A_precreated_code_nobody_has_scanned_is_not_a_trade_yet()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        await app.PrecreateAsync(outTradeNo);

        var query = await app.QueryAsync(outTradeNo);
        var close = await app.CallAsync("alipay.trade.close", new JsonObject { ["out_trade_no"] = outTradeNo });

        Assert.Equal(("40004", "ACQ.TRADE_NOT_EXIST"), (query.Code, query.SubCode));
        Assert.Equal("ACQ.TRADE_NOT_EXIST", close.SubCode);
    }

    [Fact]
    public async Task Scanning_creates_the_trade_waiting_for_the_buyer()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo, totalAmount: "88.8");

        await AlipayPayer.ScanAsync(_sandbox, qrCode);
        var query = await app.QueryAsync(outTradeNo);

        Assert.Equal(("10000", "WAIT_BUYER_PAY", "88.80"), (query.Code, query["trade_status"], query["total_amount"]));
        Assert.Matches("^[0-9]{28}$", query["trade_no"]);
        Assert.Null(query["send_pay_date"]);
    }

    [Fact]
    public async Task An_approved_payment_is_trade_success_with_its_payment_date()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo, totalAmount: "19.99");

        var (status, body) = await AlipayPayer.DecideAsync(_sandbox, qrCode, "approve");
        var query = await app.QueryAsync(outTradeNo);

        Assert.Equal((200, "TRADE_SUCCESS"), (status, body.GetProperty("tradeStatus").GetString()));
        Assert.Equal(("TRADE_SUCCESS", "19.99", "19.99"), (query["trade_status"], query["total_amount"], query["buyer_pay_amount"]));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", query["send_pay_date"]);
    }

    [Fact]
    public async Task A_declined_attempt_leaves_the_trade_payable_as_alipay_does()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo);

        var (declined, body) = await AlipayPayer.DecideAsync(_sandbox, qrCode, "decline");
        Assert.Equal((200, "WAIT_BUYER_PAY"), (declined, body.GetProperty("tradeStatus").GetString()));
        Assert.Equal("WAIT_BUYER_PAY", (await app.QueryAsync(outTradeNo))["trade_status"]);

        var (approved, _) = await AlipayPayer.DecideAsync(_sandbox, qrCode, "approve");
        Assert.Equal(200, approved);
        Assert.Equal("TRADE_SUCCESS", (await app.QueryAsync(outTradeNo))["trade_status"]);
    }

    [Fact]
    public async Task Precreating_again_with_the_same_terms_answers_the_same_code_and_other_terms_are_refused()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var expiry = DateTimeOffset.UtcNow.AddHours(1);
        var first = await app.PrecreateAsync(outTradeNo, timeExpire: expiry);

        var again = await app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo, timeExpire: expiry), AlipayTestApp.UnreachableNotifyUrl);
        var other = await app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo, "0.02", expiry), AlipayTestApp.UnreachableNotifyUrl);

        Assert.Equal(first, again["qr_code"]);
        Assert.Equal("ACQ.CONTEXT_INCONSISTENT", other.SubCode);
        Assert.Equal(2, (await AlipayPayer.InspectAsync(_sandbox, outTradeNo))!.Value.GetProperty("precreateCalls").GetInt32());
    }

    [Fact]
    public async Task Precreating_a_paid_trade_again_is_refused()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var expiry = DateTimeOffset.UtcNow.AddHours(1);
        await AlipayPayer.DecideAsync(_sandbox, await app.PrecreateAsync(outTradeNo, timeExpire: expiry), "approve");

        var again = await app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo, timeExpire: expiry), AlipayTestApp.UnreachableNotifyUrl);

        Assert.Equal("ACQ.TRADE_HAS_SUCCESS", again.SubCode);
    }

    [Theory]
    [InlineData("0.001")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1e2")]
    public async Task An_amount_that_is_not_plain_yuan_is_refused(string total)
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);

        var reply = await app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(AlipayTestApp.NewOutTradeNo(), total));

        Assert.Equal(("40004", "ACQ.INVALID_PARAMETER"), (reply.Code, reply.SubCode));
    }

    [Fact]
    public async Task Closing_a_waiting_trade_closes_it_and_a_paid_one_cannot_be_closed()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var waiting = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.ScanAsync(_sandbox, await app.PrecreateAsync(waiting));
        var paid = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(_sandbox, await app.PrecreateAsync(paid), "approve");

        var closed = await app.CallAsync("alipay.trade.close", new JsonObject { ["out_trade_no"] = waiting });
        var refused = await app.CallAsync("alipay.trade.close", new JsonObject { ["out_trade_no"] = paid });

        Assert.Equal("10000", closed.Code);
        Assert.Equal("TRADE_CLOSED", (await app.QueryAsync(waiting))["trade_status"]);
        Assert.Equal("ACQ.TRADE_STATUS_ERROR", refused.SubCode);
        Assert.Equal("TRADE_SUCCESS", (await app.QueryAsync(paid))["trade_status"]);
    }

    [Fact]
    public async Task A_closed_trade_cannot_be_paid_unless_forced()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo);
        await AlipayPayer.ScanAsync(_sandbox, qrCode);
        await app.CallAsync("alipay.trade.close", new JsonObject { ["out_trade_no"] = outTradeNo });

        Assert.Equal(409, (await AlipayPayer.DecideAsync(_sandbox, qrCode, "approve")).Status);
        Assert.Equal(200, (await AlipayPayer.DecideAsync(_sandbox, qrCode, "approve", force: true)).Status);
        Assert.Equal("TRADE_SUCCESS", (await app.QueryAsync(outTradeNo))["trade_status"]);
    }

    [Fact]
    public async Task A_scanned_trade_closes_at_its_time_expire()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo, timeExpire: DateTimeOffset.UtcNow.AddSeconds(8));
        await AlipayPayer.ScanAsync(_sandbox, qrCode);

        await Eventually.MatchAsync(() => app.QueryAsync(outTradeNo), q => q["trade_status"] == "TRADE_CLOSED", TimeSpan.FromSeconds(30));

        Assert.Equal(409, (await AlipayPayer.DecideAsync(_sandbox, qrCode, "approve")).Status);
    }

    [Fact]
    public async Task An_expired_code_nobody_scanned_cannot_be_paid_and_never_becomes_a_trade()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo, timeExpire: DateTimeOffset.UtcNow.AddMinutes(-1));

        var (status, body) = await AlipayPayer.DecideAsync(_sandbox, qrCode, "approve");

        Assert.Equal((409, "TRADE_EXPIRED"), (status, body.GetProperty("code").GetString()));
        Assert.Equal("ACQ.TRADE_NOT_EXIST", (await app.QueryAsync(outTradeNo)).SubCode);
    }

    [Fact]
    public async Task A_page_payment_link_leads_to_the_cashier_where_the_payer_decides()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var biz = AlipayTestApp.Precreate(outTradeNo, "12.30");
        biz["product_code"] = "FAST_INSTANT_TRADE_PAY";
        var parameters = app.SignedParameters("alipay.trade.page.pay", biz, AlipayTestApp.UnreachableNotifyUrl);
        var link = "http://localhost/gateway.do?" + string.Join("&", parameters.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));

        using var page = await _sandbox.Http.GetAsync(new Uri(link).PathAndQuery);
        Assert.Contains("¥12.30", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("ACQ.TRADE_NOT_EXIST", (await app.QueryAsync(outTradeNo)).SubCode);

        var (status, body) = await AlipayPayer.DecideAsync(_sandbox, link, "approve");

        Assert.Equal((200, "TRADE_SUCCESS"), (status, body.GetProperty("tradeStatus").GetString()));
        Assert.Equal("12.30", (await app.QueryAsync(outTradeNo))["total_amount"]);
    }

    [Fact]
    public async Task A_page_payment_link_altered_after_signing_is_refused()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var biz = AlipayTestApp.Precreate(outTradeNo, "12.30");
        biz["product_code"] = "FAST_INSTANT_TRADE_PAY";
        var parameters = app.SignedParameters("alipay.trade.page.pay", biz);
        parameters["biz_content"] = parameters["biz_content"].Replace("12.30", "0.01", StringComparison.Ordinal);
        var link = "http://localhost/gateway.do?" + string.Join("&", parameters.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));

        var (status, body) = await AlipayPayer.DecideAsync(_sandbox, link, "approve");

        Assert.Equal((400, "isv.invalid-signature"), (status, body.GetProperty("code").GetString()));
        Assert.Null(await AlipayPayer.InspectAsync(_sandbox, outTradeNo));
    }
}
