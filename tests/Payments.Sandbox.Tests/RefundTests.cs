using System.Text;
using System.Text.Json;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

public sealed class RefundTests
{
    // Only the settle hook settles, so a test sees PROCESSING for as long as it needs to.
    private static readonly Dictionary<string, string?> NeverSettle = new() { ["Sandbox:RefundSettleSeconds"] = "-1" };

    [Fact]
    public async Task A_refund_is_PROCESSING_then_settles_to_SUCCESS_and_notifies_its_notify_url()
    {
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:RefundSettleSeconds"] = "0.2" });
        await using var refundReceiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 1999);
        var transactionId = (await merchant.QueryAsync(outTradeNo)).Json.GetProperty("transaction_id").GetString();
        var outRefundNo = TestMerchant.NewOutRefundNo();

        var answer = await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 500, 1999, refundReceiver.NotifyUrl));

        Assert.Equal(200, answer.Status);
        var refund = answer.Json;
        Assert.Equal("PROCESSING", refund.GetProperty("status").GetString());
        Assert.Matches("^50[0-9]{27}$", refund.GetProperty("refund_id").GetString());
        Assert.Equal(outRefundNo, refund.GetProperty("out_refund_no").GetString());
        Assert.Equal(outTradeNo, refund.GetProperty("out_trade_no").GetString());
        Assert.Equal(transactionId, refund.GetProperty("transaction_id").GetString());
        Assert.Equal("ORIGINAL", refund.GetProperty("channel").GetString());
        Assert.False(string.IsNullOrEmpty(refund.GetProperty("user_received_account").GetString()));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$", refund.GetProperty("create_time").GetString());
        Assert.False(refund.TryGetProperty("success_time", out _));
        var amount = refund.GetProperty("amount");
        Assert.Equal(1999, amount.GetProperty("total").GetInt32());
        Assert.Equal(500, amount.GetProperty("refund").GetInt32());
        Assert.Equal(1999, amount.GetProperty("payer_total").GetInt32());
        Assert.Equal(500, amount.GetProperty("payer_refund").GetInt32());
        Assert.Equal(500, amount.GetProperty("settlement_refund").GetInt32());
        Assert.Equal(1999, amount.GetProperty("settlement_total").GetInt32());
        Assert.Equal(0, amount.GetProperty("discount_refund").GetInt32());
        Assert.Equal("CNY", amount.GetProperty("currency").GetString());

        var notification = await refundReceiver.NextAsync();

        merchant.AssertSignedByPlatform(notification.Headers, notification.Body);
        var envelope = NativeOrderTests.Parse(Encoding.UTF8.GetString(notification.Body));
        Assert.True(Guid.TryParse(envelope.GetProperty("id").GetString(), out _));
        Assert.Equal("encrypt-resource", envelope.GetProperty("resource_type").GetString());
        Assert.Equal("REFUND.SUCCESS", envelope.GetProperty("event_type").GetString());
        var resource = envelope.GetProperty("resource");
        Assert.Equal("refund", resource.GetProperty("original_type").GetString());
        Assert.Equal("refund", resource.GetProperty("associated_data").GetString());
        var notice = NativeOrderTests.Parse(merchant.Decrypt(resource));
        Assert.Equal(merchant.MchId, notice.GetProperty("mchid").GetString());
        Assert.Equal(outTradeNo, notice.GetProperty("out_trade_no").GetString());
        Assert.Equal(transactionId, notice.GetProperty("transaction_id").GetString());
        Assert.Equal(outRefundNo, notice.GetProperty("out_refund_no").GetString());
        Assert.Equal(refund.GetProperty("refund_id").GetString(), notice.GetProperty("refund_id").GetString());
        Assert.Equal("SUCCESS", notice.GetProperty("refund_status").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$", notice.GetProperty("success_time").GetString());
        Assert.Equal(500, notice.GetProperty("amount").GetProperty("refund").GetInt32());
        Assert.Equal(1999, notice.GetProperty("amount").GetProperty("total").GetInt32());

        var settled = (await merchant.QueryRefundAsync(outRefundNo)).Json;
        Assert.Equal("SUCCESS", settled.GetProperty("status").GetString());
        Assert.Equal(notice.GetProperty("success_time").GetString(), settled.GetProperty("success_time").GetString());
        Assert.Equal("REFUND", (await merchant.QueryAsync(outTradeNo)).Json.GetProperty("trade_state").GetString());
        var inspected = await Eventually.MatchAsync(
            () => sandbox.InspectRefundAsync(outRefundNo),
            r => r!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
        Assert.Equal(outTradeNo, inspected!.Value.GetProperty("outTradeNo").GetString());
        Assert.Equal("SUCCESS", inspected.Value.GetProperty("status").GetString());
        Assert.Equal(500, inspected.Value.GetProperty("amount").GetInt32());
        Assert.Equal(1, inspected.Value.GetProperty("refundCalls").GetInt32());
    }

    [Fact]
    public async Task A_refund_without_notify_url_is_notified_to_the_orders()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        await using var orderReceiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100, orderReceiver.NotifyUrl);
        await orderReceiver.NextAsync();
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 100, 100))).Status);

        Assert.Equal(200, (await sandbox.SettleRefundAsync(outRefundNo, "SUCCESS")).Status);

        var notification = await orderReceiver.NextAsync();
        Assert.Equal("REFUND.SUCCESS", NativeOrderTests.Parse(Encoding.UTF8.GetString(notification.Body)).GetProperty("event_type").GetString());
    }

    [Fact]
    public async Task The_same_out_refund_no_answers_the_same_refund_and_refuses_other_terms()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        var outRefundNo = TestMerchant.NewOutRefundNo();

        var first = await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 30, 100));
        var repeated = await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 30, 100));
        var altered = await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 40, 100));

        Assert.Equal(200, first.Status);
        Assert.Equal(200, repeated.Status);
        Assert.Equal(first.Json.GetProperty("refund_id").GetString(), repeated.Json.GetProperty("refund_id").GetString());
        Assert.Equal(400, altered.Status);
        Assert.Equal("INVALID_REQUEST", altered.Code);
        var inspected = (await sandbox.InspectRefundAsync(outRefundNo))!.Value;
        Assert.Equal(2, inspected.GetProperty("refundCalls").GetInt32());
        Assert.Equal(30, inspected.GetProperty("amount").GetInt32());

        // Refunded once: 70 of the 100 are still refundable, and not a cent more.
        Assert.Equal(400, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, TestMerchant.NewOutRefundNo(), 71, 100))).Status);
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, TestMerchant.NewOutRefundNo(), 70, 100))).Status);
    }

    [Fact]
    public async Task An_out_refund_no_of_one_order_is_refused_for_another()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var first = await PaidOrderAsync(sandbox, merchant, total: 100);
        var second = await PaidOrderAsync(sandbox, merchant, total: 100);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(first, outRefundNo, 10, 100))).Status);

        var reused = await merchant.RefundAsync(TestMerchant.RefundRequest(second, outRefundNo, 10, 100));

        Assert.Equal(400, reused.Status);
        Assert.Equal("INVALID_REQUEST", reused.Code);
        Assert.Equal(first, (await merchant.QueryRefundAsync(outRefundNo)).Json.GetProperty("out_trade_no").GetString());
    }

    [Fact]
    public async Task A_refund_beyond_what_is_left_is_refused()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, TestMerchant.NewOutRefundNo(), 60, 100))).Status);
        var tooMuchRefundNo = TestMerchant.NewOutRefundNo();

        var tooMuch = await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, tooMuchRefundNo, 50, 100));

        Assert.Equal(400, tooMuch.Status);
        Assert.Equal("INVALID_REQUEST", tooMuch.Code);
        Assert.Equal("RESOURCE_NOT_EXISTS", (await merchant.QueryRefundAsync(tooMuchRefundNo)).Code);
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, TestMerchant.NewOutRefundNo(), 40, 100))).Status);
    }

    [Fact]
    public async Task Of_twenty_concurrent_refunds_of_10_against_100_exactly_ten_are_accepted()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        var refundNos = Enumerable.Range(0, 20).Select(_ => TestMerchant.NewOutRefundNo()).ToArray();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var calls = refundNos.Select(async outRefundNo =>
        {
            await start.Task;
            return await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 10, 100));
        }).ToArray();
        start.SetResult();
        var answers = await Task.WhenAll(calls);

        Assert.Equal(10, answers.Count(a => a.Status == 200));
        Assert.All(answers.Where(a => a.Status != 200), a => Assert.Equal("INVALID_REQUEST", a.Code));
        var held = 0;
        foreach (var outRefundNo in refundNos)
        {
            held += (await sandbox.InspectRefundAsync(outRefundNo))?.GetProperty("amount").GetInt32() ?? 0;
        }

        Assert.Equal(100, held);
    }

    [Fact]
    public async Task The_settle_hook_closes_a_refund_notifies_REFUND_CLOSED_and_frees_its_amount()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        await using var receiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 100, 100, receiver.NotifyUrl))).Status);
        Assert.Equal("PROCESSING", (await merchant.QueryRefundAsync(outRefundNo)).Json.GetProperty("status").GetString());

        var (status, inspection) = await sandbox.SettleRefundAsync(outRefundNo, "CLOSED");

        Assert.Equal(200, status);
        Assert.Equal("CLOSED", inspection.GetProperty("status").GetString());
        var notification = await receiver.NextAsync();
        merchant.AssertSignedByPlatform(notification.Headers, notification.Body);
        var envelope = NativeOrderTests.Parse(Encoding.UTF8.GetString(notification.Body));
        Assert.Equal("REFUND.CLOSED", envelope.GetProperty("event_type").GetString());
        var notice = NativeOrderTests.Parse(merchant.Decrypt(envelope.GetProperty("resource")));
        Assert.Equal("CLOSED", notice.GetProperty("refund_status").GetString());
        Assert.False(notice.TryGetProperty("success_time", out _));
        var closed = (await merchant.QueryRefundAsync(outRefundNo)).Json;
        Assert.Equal("CLOSED", closed.GetProperty("status").GetString());
        Assert.Equal("SUCCESS", (await merchant.QueryAsync(outTradeNo)).Json.GetProperty("trade_state").GetString());

        Assert.Equal(409, (await sandbox.SettleRefundAsync(outRefundNo, "SUCCESS")).Status);
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, TestMerchant.NewOutRefundNo(), 100, 100))).Status);
    }

    [Fact]
    public async Task The_settle_hook_can_make_a_refund_ABNORMAL_which_still_holds_its_amount_until_it_is_re_applied()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        await using var receiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 100, 100, receiver.NotifyUrl))).Status);

        Assert.Equal(200, (await sandbox.SettleRefundAsync(outRefundNo, "ABNORMAL")).Status);

        var envelope = NativeOrderTests.Parse(Encoding.UTF8.GetString((await receiver.NextAsync()).Body));
        Assert.Equal("REFUND.ABNORMAL", envelope.GetProperty("event_type").GetString());
        Assert.Equal("ABNORMAL", (await merchant.QueryRefundAsync(outRefundNo)).Json.GetProperty("status").GetString());
        Assert.Equal(400, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, TestMerchant.NewOutRefundNo(), 1, 100))).Status);

        Assert.Equal(200, (await sandbox.SettleRefundAsync(outRefundNo, "SUCCESS")).Status);
        Assert.Equal("SUCCESS", (await merchant.QueryRefundAsync(outRefundNo)).Json.GetProperty("status").GetString());
        Assert.Equal(409, (await sandbox.SettleRefundAsync(outRefundNo, "CLOSED")).Status);
    }

    [Fact]
    public async Task The_settle_hook_refuses_an_unknown_refund_and_an_unknown_status()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 10, 100))).Status);

        Assert.Equal(404, (await sandbox.SettleRefundAsync(TestMerchant.NewOutRefundNo(), "SUCCESS")).Status);
        Assert.Equal(400, (await sandbox.SettleRefundAsync(outRefundNo, "PROCESSING")).Status);
        Assert.Equal("PROCESSING", (await merchant.QueryRefundAsync(outRefundNo)).Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_timeout_fault_on_refund_still_creates_the_refund()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        await sandbox.AddFaultAsync("refund", "timeout", delayMs: 20_000);
        using var clientTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 10, 100), clientTimeout.Token));

        var inspected = await Eventually.MatchAsync(() => sandbox.InspectRefundAsync(outRefundNo), r => r is not null);
        Assert.Equal(1, inspected!.Value.GetProperty("refundCalls").GetInt32());
        Assert.Equal("PROCESSING", (await merchant.QueryRefundAsync(outRefundNo)).Json.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Error_faults_on_refund_and_refund_query_answer_500_and_refund_nothing()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = await PaidOrderAsync(sandbox, merchant, total: 100);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        await sandbox.AddFaultAsync("refund", "error");
        await sandbox.AddFaultAsync("refundQuery", "error");

        var refused = await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 10, 100));
        var unanswered = await merchant.QueryRefundAsync(outRefundNo);

        Assert.Equal(500, refused.Status);
        Assert.Equal("SYSTEM_ERROR", refused.Code);
        Assert.Equal(500, unanswered.Status);
        Assert.Null(await sandbox.InspectRefundAsync(outRefundNo));
        Assert.Equal(404, (await merchant.QueryRefundAsync(outRefundNo)).Status);
    }

    [Fact]
    public async Task A_refund_of_an_unpaid_order_is_refused_and_of_an_unknown_order_is_not_found()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var unpaid = TestMerchant.NewOutTradeNo();
        Assert.Equal(200, (await merchant.CreateNativeAsync(merchant.NativeOrder(unpaid, total: 100))).Status);
        var outRefundNo = TestMerchant.NewOutRefundNo();

        var refused = await merchant.RefundAsync(TestMerchant.RefundRequest(unpaid, outRefundNo, 10, 100));
        var unknown = await merchant.RefundAsync(TestMerchant.RefundRequest(TestMerchant.NewOutTradeNo(), TestMerchant.NewOutRefundNo(), 10, 100));

        Assert.Equal(400, refused.Status);
        Assert.Equal("INVALID_REQUEST", refused.Code);
        Assert.Null(await sandbox.InspectRefundAsync(outRefundNo));
        Assert.Equal(404, unknown.Status);
        Assert.Equal("RESOURCE_NOT_EXISTS", unknown.Code);
    }

    [Fact]
    public async Task A_refund_query_of_an_unknown_refund_is_RESOURCE_NOT_EXISTS()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();

        var answer = await merchant.QueryRefundAsync(TestMerchant.NewOutRefundNo());

        Assert.Equal(404, answer.Status);
        Assert.Equal("RESOURCE_NOT_EXISTS", answer.Code);
    }

    [Theory]
    [InlineData("""{"out_trade_no":"pay_000000","out_refund_no":"ref_1","amount":{"refund":0,"total":100,"currency":"CNY"}}""")]
    [InlineData("""{"out_trade_no":"pay_000000","out_refund_no":"ref_1","amount":{"refund":10,"total":100,"currency":"USD"}}""")]
    [InlineData("""{"out_trade_no":"pay_000000","out_refund_no":"ref 1","amount":{"refund":10,"total":100,"currency":"CNY"}}""")]
    [InlineData("""{"out_trade_no":"pay_000000","out_refund_no":"ref_1","notify_url":"ftp://x/y","amount":{"refund":10,"total":100,"currency":"CNY"}}""")]
    [InlineData("""{"out_trade_no":"pay_000000","out_refund_no":"ref_1","amount":{"refund":10,"total":100}}""")]
    [InlineData("""{"out_trade_no":"pay_000000","out_refund_no":"ref_1","reason":"退退退退退退退退退退退退退退退退退退退退退退退退退退退","amount":{"refund":10,"total":100,"currency":"CNY"}}""")]
    public async Task A_malformed_refund_request_is_PARAM_ERROR(string body)
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();

        var answer = await merchant.SendAsync(HttpMethod.Post, "/v3/refund/domestic/refunds", body);

        Assert.Equal(400, answer.Status);
        Assert.Equal("PARAM_ERROR", answer.Code);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("-2")]
    public void The_sandbox_refuses_to_start_with_a_bad_settle_delay(string setting)
    {
        var startup = Record.Exception(() => new SandboxHost(new Dictionary<string, string?> { ["Sandbox:RefundSettleSeconds"] = setting }));

        Assert.Contains("Sandbox:RefundSettleSeconds", startup?.ToString() ?? "", StringComparison.Ordinal);
    }

    private static async Task<string> PaidOrderAsync(
        SandboxHost sandbox, TestMerchant merchant, int total, string notifyUrl = TestMerchant.UnreachableNotifyUrl)
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var created = await merchant.CreateNativeAsync(merchant.NativeOrder(outTradeNo, notifyUrl, total));
        Assert.Equal(200, created.Status);
        var (status, _) = await sandbox.DecideAsync(created.Json.GetProperty("code_url").GetString()!, "approve");
        Assert.Equal(200, status);
        return outTradeNo;
    }
}
