using System.Text;
using System.Text.Json;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

public sealed class NotificationTests
{
    [Fact]
    public async Task A_payment_notification_is_signed_by_the_platform_and_decrypts_to_the_transaction()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var codeUrl = await CreateAsync(merchant, outTradeNo, receiver.NotifyUrl);

        await sandbox.DecideAsync(codeUrl, "approve");
        var notification = await receiver.NextAsync();

        merchant.AssertSignedByPlatform(notification.Headers, notification.Body);
        Assert.StartsWith("application/json", notification.Headers["Content-Type"], StringComparison.Ordinal);
        using var envelope = JsonDocument.Parse(notification.Body);
        var root = envelope.RootElement;
        Assert.True(Guid.TryParse(root.GetProperty("id").GetString(), out _));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$", root.GetProperty("create_time").GetString());
        Assert.Equal("encrypt-resource", root.GetProperty("resource_type").GetString());
        Assert.Equal("TRANSACTION.SUCCESS", root.GetProperty("event_type").GetString());
        Assert.Equal("支付成功", root.GetProperty("summary").GetString());
        var resource = root.GetProperty("resource");
        Assert.Equal("transaction", resource.GetProperty("original_type").GetString());
        Assert.Equal("transaction", resource.GetProperty("associated_data").GetString());
        Assert.Matches("^[A-Za-z0-9]{12}$", resource.GetProperty("nonce").GetString());

        var transaction = merchant.Decrypt(resource);

        Assert.Equal((await merchant.QueryAsync(outTradeNo)).Body, transaction);
        Assert.Equal("SUCCESS", NativeOrderTests.Parse(transaction).GetProperty("trade_state").GetString());
        var inspected = await Eventually.MatchAsync(
            () => sandbox.InspectAsync(outTradeNo),
            o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
        Assert.Equal(1, inspected!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task An_unacknowledged_notification_is_retried_with_the_same_event_id()
    {
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:NotifyRetrySeconds"] = "1,1" });
        await using var receiver = await NotificationReceiver.StartAsync(delivery => delivery == 0 ? 500 : 204);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var codeUrl = await CreateAsync(merchant, outTradeNo, receiver.NotifyUrl);

        await sandbox.DecideAsync(codeUrl, "approve");
        var refused = await receiver.NextAsync();
        var retried = await receiver.NextAsync();

        merchant.AssertSignedByPlatform(retried.Headers, retried.Body);
        Assert.Equal(IdOf(refused), IdOf(retried));
        var inspected = await Eventually.MatchAsync(
            () => sandbox.InspectAsync(outTradeNo),
            o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
        var record = inspected!.Value.GetProperty("notifications")[0];
        Assert.Equal(IdOf(refused), record.GetProperty("id").GetString());
        Assert.Equal(2, record.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task Retries_stop_when_the_schedule_is_exhausted()
    {
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:NotifyRetrySeconds"] = "0.1,0.1" });
        await using var receiver = await NotificationReceiver.StartAsync(_ => 500);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var codeUrl = await CreateAsync(merchant, outTradeNo, receiver.NotifyUrl);

        await sandbox.DecideAsync(codeUrl, "approve");
        for (var i = 0; i < 3; i++)
        {
            await receiver.NextAsync();
        }

        var inspected = await Eventually.MatchAsync(
            () => sandbox.InspectAsync(outTradeNo),
            o => o!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32() == 3);
        Assert.False(inspected!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
    }

    [Fact]
    public async Task A_dropped_notification_is_never_sent_though_the_order_is_paid()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var dropped = TestMerchant.NewOutTradeNo();
        var delivered = TestMerchant.NewOutTradeNo();
        var droppedCode = await CreateAsync(merchant, dropped, receiver.NotifyUrl);
        var deliveredCode = await CreateAsync(merchant, delivered, receiver.NotifyUrl);
        await sandbox.AddFaultAsync("notify", "drop");

        await sandbox.DecideAsync(droppedCode, "approve");
        await sandbox.DecideAsync(deliveredCode, "approve");

        // The second payment's notification is queued after the first would have been, so its
        // arrival bounds the wait for one that must never come.
        var only = await receiver.NextAsync();
        Assert.Equal(delivered, OutTradeNoOf(merchant, only));
        Assert.Equal("SUCCESS", (await merchant.QueryAsync(dropped)).Json.GetProperty("trade_state").GetString());
        var record = (await sandbox.InspectAsync(dropped))!.Value.GetProperty("notifications")[0];
        Assert.True(record.GetProperty("dropped").GetBoolean());
        Assert.Equal(0, record.GetProperty("attempts").GetInt32());
        Assert.False(receiver.TryTake(out _));
    }

    [Fact]
    public async Task A_duplicated_notification_arrives_twice_with_one_event_id()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var codeUrl = await CreateAsync(merchant, outTradeNo, receiver.NotifyUrl);
        await sandbox.AddFaultAsync("notify", "duplicate");

        await sandbox.DecideAsync(codeUrl, "approve");
        var first = await receiver.NextAsync();
        var second = await receiver.NextAsync();

        Assert.Equal(IdOf(first), IdOf(second));
        merchant.AssertSignedByPlatform(second.Headers, second.Body);
        var inspected = await Eventually.MatchAsync(
            () => sandbox.InspectAsync(outTradeNo),
            o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
        Assert.Equal(2, inspected!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32());
    }

    [Fact]
    public async Task A_delayed_notification_arrives_after_the_delay()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var codeUrl = await CreateAsync(merchant, TestMerchant.NewOutTradeNo(), receiver.NotifyUrl);
        await sandbox.AddFaultAsync("notify", "delay", delayMs: 300);

        var started = System.Diagnostics.Stopwatch.StartNew();
        await sandbox.DecideAsync(codeUrl, "approve");
        await receiver.NextAsync();

        // Timers may fire a tick early against the stopwatch; the margin is far below the delay.
        Assert.True(started.ElapsedMilliseconds >= 250, $"arrived after {started.ElapsedMilliseconds} ms");
    }

    private static async Task<string> CreateAsync(TestMerchant merchant, string outTradeNo, string notifyUrl)
    {
        var created = await merchant.CreateNativeAsync(merchant.NativeOrder(outTradeNo, notifyUrl));
        Assert.Equal(200, created.Status);
        return created.Json.GetProperty("code_url").GetString()!;
    }

    private static string? IdOf(ReceivedNotification notification) =>
        NativeOrderTests.Parse(Encoding.UTF8.GetString(notification.Body)).GetProperty("id").GetString();

    private static string? OutTradeNoOf(TestMerchant merchant, ReceivedNotification notification) =>
        NativeOrderTests.Parse(merchant.Decrypt(
            NativeOrderTests.Parse(Encoding.UTF8.GetString(notification.Body)).GetProperty("resource")))
            .GetProperty("out_trade_no").GetString();
}
