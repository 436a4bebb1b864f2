using System.Text;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Alipay;

/// <summary>trade_status_sync notifications: signed forms, retried until the merchant answers "success".</summary>
public sealed class AlipayNotificationTests
{
    [Fact]
    public async Task A_payment_is_notified_as_a_signed_form_that_verifies_without_sign_type()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await AlipayNotifyReceiver.StartAsync();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo, receiver.NotifyUrl, "19.99");

        await AlipayPayer.DecideAsync(sandbox, qrCode, "approve");
        var (contentType, body) = await receiver.NextAsync();

        Assert.StartsWith("application/x-www-form-urlencoded", contentType, StringComparison.Ordinal);
        Assert.Contains("charset=utf-8", contentType, StringComparison.OrdinalIgnoreCase);
        var form = app.VerifyNotification(body);
        var query = await app.QueryAsync(outTradeNo);
        Assert.Equal("RSA2", form["sign_type"]);
        Assert.Equal("trade_status_sync", form["notify_type"]);
        Assert.Equal(app.AppId, form["app_id"]);
        Assert.Equal(outTradeNo, form["out_trade_no"]);
        Assert.Equal(query["trade_no"], form["trade_no"]);
        Assert.Equal(("TRADE_SUCCESS", "19.99"), (form["trade_status"], form["total_amount"]));
        Assert.Equal("沙箱测试 Sandbox test", form["subject"]);
        Assert.Equal(query["send_pay_date"], form["gmt_payment"]);
        await Eventually.MatchAsync(
            () => AlipayPayer.InspectAsync(sandbox, outTradeNo),
            t => t!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
    }

    [Fact]
    public async Task Anything_but_success_is_retried_with_the_same_notify_id_and_the_same_signature()
    {
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:Alipay:NotifyRetrySeconds"] = "0.2,0.2" });
        await using var receiver = await AlipayNotifyReceiver.StartAsync(delivery => delivery switch
        {
            0 => "fail",
            1 => "SUCCESS",
            _ => "success",
        });
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();

        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo, receiver.NotifyUrl), "approve");
        var first = app.VerifyNotification((await receiver.NextAsync()).Body);
        var second = app.VerifyNotification((await receiver.NextAsync()).Body);
        var third = app.VerifyNotification((await receiver.NextAsync()).Body);

        Assert.Equal(first["notify_id"], third["notify_id"]);
        Assert.Equal(first["sign"], second["sign"]);
        var inspected = await Eventually.MatchAsync(
            () => AlipayPayer.InspectAsync(sandbox, outTradeNo),
            t => t!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
        Assert.Equal(3, inspected!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task A_duplicate_fault_delivers_each_attempt_twice()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await AlipayNotifyReceiver.StartAsync();
        await sandbox.AddAlipayFaultAsync("notify", "duplicate");
        using var app = await AlipayTestApp.OnboardAsync(sandbox);

        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(AlipayTestApp.NewOutTradeNo(), receiver.NotifyUrl), "approve");
        var first = await receiver.NextAsync();
        var second = await receiver.NextAsync();

        Assert.Equal(Encoding.UTF8.GetString(first.Body), Encoding.UTF8.GetString(second.Body));
    }

    [Fact]
    public async Task A_drop_fault_sends_nothing_but_queries_tell_the_truth()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await AlipayNotifyReceiver.StartAsync();
        await sandbox.AddAlipayFaultAsync("notify", "drop");
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();

        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo, receiver.NotifyUrl), "approve");

        Assert.Equal("TRADE_SUCCESS", (await app.QueryAsync(outTradeNo))["trade_status"]);
        var inspected = await AlipayPayer.InspectAsync(sandbox, outTradeNo);
        Assert.True(inspected!.Value.GetProperty("notifications")[0].GetProperty("dropped").GetBoolean());
        Assert.Equal(0, receiver.Deliveries);
    }

    [Fact]
    public async Task A_trade_the_payer_opened_is_notified_closed_when_it_expires()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await AlipayNotifyReceiver.StartAsync();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var qrCode = await app.PrecreateAsync(outTradeNo, receiver.NotifyUrl, timeExpire: DateTimeOffset.UtcNow.AddSeconds(10));
        await AlipayPayer.ScanAsync(sandbox, qrCode);

        // No query or other read here: the expiry timer alone must close and notify.
        var form = app.VerifyNotification((await receiver.NextAsync(TimeSpan.FromSeconds(45))).Body);

        Assert.Equal(("TRADE_CLOSED", outTradeNo), (form["trade_status"], form["out_trade_no"]));
        Assert.False(form.ContainsKey("gmt_payment"));
        Assert.True(form.ContainsKey("gmt_close"));
    }
}
