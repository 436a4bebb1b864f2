using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Alipay;

/// <summary>alipay.trade.refund is synchronous; refund query names a refund only once it is made.</summary>
public sealed class AlipayRefundTests
{
    private static JsonObject Refund(string outTradeNo, string amount, string? outRequestNo) => outRequestNo is null
        ? new JsonObject { ["out_trade_no"] = outTradeNo, ["refund_amount"] = amount }
        : new JsonObject { ["out_trade_no"] = outTradeNo, ["refund_amount"] = amount, ["out_request_no"] = outRequestNo, ["refund_reason"] = "顾客退货" };

    private static JsonObject RefundQuery(string outTradeNo, string outRequestNo) =>
        new() { ["out_trade_no"] = outTradeNo, ["out_request_no"] = outRequestNo, ["query_options"] = new JsonArray("gmt_refund_pay") };

    [Fact]
    public async Task A_partial_refund_moves_money_at_once_and_is_notified_with_its_request_number()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await AlipayNotifyReceiver.StartAsync();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo, receiver.NotifyUrl, "10.00"), "approve");
        await receiver.NextAsync();

        var refund = await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "3.00", "ref_1"));
        var notice = app.VerifyNotification((await receiver.NextAsync()).Body);
        var query = await app.CallAsync("alipay.trade.fastpay.refund.query", RefundQuery(outTradeNo, "ref_1"));

        Assert.Equal(("10000", "Y", "3.00"), (refund.Code, refund["fund_change"], refund["refund_fee"]));
        Assert.Equal(("ref_1", "3.00", "TRADE_SUCCESS"), (notice["out_biz_no"], notice["refund_fee"], notice["trade_status"]));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$", notice["gmt_refund"]);
        Assert.Equal(("ref_1", "3.00", "10.00", "REFUND_SUCCESS"), (query["out_request_no"], query["refund_amount"], query["total_amount"], query["refund_status"]));
        Assert.NotNull(query["gmt_refund_pay"]);
        Assert.Equal("TRADE_SUCCESS", (await app.QueryAsync(outTradeNo))["trade_status"]);
    }

    [Fact]
    public async Task Refunding_the_rest_closes_the_trade_and_the_notification_says_trade_closed()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await AlipayNotifyReceiver.StartAsync();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo, receiver.NotifyUrl, "10.00"), "approve");
        await receiver.NextAsync();

        await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "3.00", "ref_1"));
        await receiver.NextAsync();
        var last = await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "7.00", "ref_2"));
        var notice = app.VerifyNotification((await receiver.NextAsync()).Body);
        var trade = await app.QueryAsync(outTradeNo);

        Assert.Equal(("Y", "10.00"), (last["fund_change"], last["refund_fee"]));
        Assert.Equal(("TRADE_CLOSED", "ref_2", "10.00"), (notice["trade_status"], notice["out_biz_no"], notice["refund_fee"]));
        Assert.Equal("TRADE_CLOSED", trade["trade_status"]);
        Assert.NotNull(trade["send_pay_date"]); // closed by refund, not unpaid: it still shows when it was paid
    }

    [Fact]
    public async Task A_repeated_refund_request_moves_no_money_and_a_changed_one_is_refused()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo, totalAmount: "10.00"), "approve");
        await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "3.00", "ref_1"));

        var repeat = await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "3.00", "ref_1"));
        var changed = await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "4.00", "ref_1"));

        Assert.Equal(("10000", "N", "3.00"), (repeat.Code, repeat["fund_change"], repeat["refund_fee"]));
        Assert.Equal("40004", changed.Code);
        var inspected = await AlipayPayer.InspectAsync(sandbox, outTradeNo);
        Assert.Equal(2, inspected!.Value.GetProperty("refunds")[0].GetProperty("calls").GetInt32());
    }

    [Fact]
    public async Task Refunds_never_exceed_the_total_even_when_sent_together()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo, totalAmount: "10.00"), "approve");

        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "3.00", $"ref_{i}"))));

        Assert.Equal(3, replies.Count(r => r.Code == "10000"));
        Assert.All(replies.Where(r => r.Code != "10000"), r => Assert.Equal("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", r.SubCode));
    }

    [Fact]
    public async Task An_unpaid_trade_cannot_be_refunded()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo);

        var beforeScan = await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "0.01", "ref_1"));
        await AlipayPayer.ScanAsync(sandbox, qrCode);
        var waiting = await app.CallAsync("alipay.trade.refund", Refund(outTradeNo, "0.01", "ref_1"));

        Assert.Equal("ACQ.TRADE_NOT_EXIST", beforeScan.SubCode);
        Assert.Equal("ACQ.TRADE_STATUS_ERROR", waiting.SubCode);
    }

    [Fact]
    public async Task A_refund_query_for_a_refund_never_made_has_no_refund_data()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo), "approve");

        var query = await app.CallAsync("alipay.trade.fastpay.refund.query", RefundQuery(outTradeNo, "ref_never"));

        Assert.Equal("10000", query.Code);
        Assert.Null(query["refund_amount"]);
        Assert.Null(query["out_request_no"]);
    }
}
