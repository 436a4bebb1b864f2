using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

/// <summary>The payer-pays-twice hook and refunds that name a transaction instead of the order.</summary>
public sealed class DuplicatePaymentTests
{
    // Only the settle hook settles, so a test sees PROCESSING for as long as it needs to.
    private static readonly Dictionary<string, string?> NeverSettle = new() { ["Sandbox:RefundSettleSeconds"] = "-1" };

    [Fact]
    public async Task A_duplicate_payment_is_a_second_transaction_of_the_order_notified_like_the_first()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        await using var receiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var (outTradeNo, codeUrl) = await CreateAsync(merchant, total: 250, receiver.NotifyUrl);
        var (firstStatus, first) = await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve" });
        Assert.Equal(200, firstStatus);
        var firstNotice = await NextTransactionAsync(receiver, merchant);

        var (status, second) = await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve", ["duplicate"] = true });

        Assert.Equal(200, status);
        string firstId = first.GetProperty("transactionId").GetString()!;
        string secondId = second.GetProperty("transactionId").GetString()!;
        Assert.Matches("^[0-9]{28}$", secondId);
        Assert.NotEqual(firstId, secondId);
        Assert.Equal(firstId, firstNotice.GetProperty("transaction_id").GetString());

        var secondNotice = await NextTransactionAsync(receiver, merchant);
        Assert.Equal(secondId, secondNotice.GetProperty("transaction_id").GetString());
        Assert.Equal(outTradeNo, secondNotice.GetProperty("out_trade_no").GetString());
        Assert.Equal("SUCCESS", secondNotice.GetProperty("trade_state").GetString());
        Assert.Equal(250, secondNotice.GetProperty("amount").GetProperty("total").GetInt32());
        Assert.Equal(250, secondNotice.GetProperty("amount").GetProperty("payer_total").GetInt32());

        // Queries keep answering the order's own payment; inspection shows both.
        Assert.Equal(firstId, (await merchant.QueryAsync(outTradeNo)).Json.GetProperty("transaction_id").GetString());
        var inspected = (await sandbox.InspectAsync(outTradeNo))!.Value;
        Assert.Equal(firstId, inspected.GetProperty("transactionId").GetString());
        Assert.Equal([secondId], inspected.GetProperty("duplicateTransactionIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(2, inspected.GetProperty("notifications").GetArrayLength());
    }

    [Fact]
    public async Task A_duplicate_needs_a_paid_order_and_an_approval()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var (outTradeNo, codeUrl) = await CreateAsync(merchant, total: 100);

        var unpaid = await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve", ["duplicate"] = true });
        var declined = await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "decline", ["duplicate"] = true });

        Assert.Equal(409, unpaid.Status);
        Assert.Equal("ORDER_NOT_PAID", unpaid.Body.GetProperty("code").GetString());
        Assert.Equal(400, declined.Status);
        Assert.Equal("PARAM_ERROR", declined.Body.GetProperty("code").GetString());
        var inspected = (await sandbox.InspectAsync(outTradeNo))!.Value;
        Assert.Equal("NOTPAY", inspected.GetProperty("tradeState").GetString());
        Assert.Equal(0, inspected.GetProperty("duplicateTransactionIds").GetArrayLength());
    }

    [Fact]
    public async Task A_duplicate_payment_is_refunded_by_its_transaction_id_and_leaves_the_first_payment_whole()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        await using var refundReceiver = await NotificationReceiver.StartAsync();
        using var merchant = await sandbox.OnboardAsync();
        var (outTradeNo, codeUrl) = await CreateAsync(merchant, total: 100);
        await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve" });
        var (_, second) = await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve", ["duplicate"] = true });
        string secondId = second.GetProperty("transactionId").GetString()!;
        var outRefundNo = TestMerchant.NewOutRefundNo();

        var answer = await merchant.RefundAsync(ByTransaction(secondId, outRefundNo, 100, 100, refundReceiver.NotifyUrl));

        Assert.Equal(200, answer.Status);
        Assert.Equal("PROCESSING", answer.Json.GetProperty("status").GetString());
        Assert.Equal(secondId, answer.Json.GetProperty("transaction_id").GetString());
        Assert.Equal(outTradeNo, answer.Json.GetProperty("out_trade_no").GetString());
        Assert.Equal(secondId, (await sandbox.InspectRefundAsync(outRefundNo))!.Value.GetProperty("transactionId").GetString());

        // The duplicate holds its own total: nothing more of it can be refunded, all of the first still can.
        Assert.Equal(400, (await merchant.RefundAsync(ByTransaction(secondId, TestMerchant.NewOutRefundNo(), 1, 100))).Status);
        Assert.Equal(200, (await sandbox.SettleRefundAsync(outRefundNo, "SUCCESS")).Status);
        var notice = NativeOrderTests.Parse(merchant.Decrypt(
            NativeOrderTests.Parse(Encoding.UTF8.GetString((await refundReceiver.NextAsync()).Body)).GetProperty("resource")));
        Assert.Equal(secondId, notice.GetProperty("transaction_id").GetString());
        Assert.Equal("SUCCESS", (await merchant.QueryAsync(outTradeNo)).Json.GetProperty("trade_state").GetString());
        var ofTheOrder = await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, TestMerchant.NewOutRefundNo(), 100, 100));
        Assert.Equal(200, ofTheOrder.Status);
        Assert.NotEqual(secondId, ofTheOrder.Json.GetProperty("transaction_id").GetString());
    }

    [Fact]
    public async Task The_same_out_refund_no_for_another_transaction_of_the_order_is_refused()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var (outTradeNo, codeUrl) = await CreateAsync(merchant, total: 100);
        await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve" });
        var (_, second) = await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve", ["duplicate"] = true });
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(outTradeNo, outRefundNo, 10, 100))).Status);

        var other = await merchant.RefundAsync(ByTransaction(second.GetProperty("transactionId").GetString()!, outRefundNo, 10, 100));

        Assert.Equal(400, other.Status);
        Assert.Equal("INVALID_REQUEST", other.Code);
    }

    [Fact]
    public async Task A_refund_names_exactly_one_of_transaction_id_and_out_trade_no_and_only_the_merchants_own()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        using var stranger = await sandbox.OnboardAsync();
        var (outTradeNo, codeUrl) = await CreateAsync(merchant, total: 100);
        var (_, paid) = await DecideAsync(sandbox, codeUrl, new JsonObject { ["decision"] = "approve" });
        string transactionId = paid.GetProperty("transactionId").GetString()!;

        var both = ByTransaction(transactionId, TestMerchant.NewOutRefundNo(), 10, 100);
        both["out_trade_no"] = outTradeNo;
        var neither = ByTransaction(transactionId, TestMerchant.NewOutRefundNo(), 10, 100);
        neither.Remove("transaction_id");

        Assert.Equal("PARAM_ERROR", (await merchant.RefundAsync(both)).Code);
        Assert.Equal("PARAM_ERROR", (await merchant.RefundAsync(neither)).Code);
        Assert.Equal("PARAM_ERROR", (await merchant.RefundAsync(ByTransaction("42-not/an id", TestMerchant.NewOutRefundNo(), 10, 100))).Code);
        var unknown = await merchant.RefundAsync(ByTransaction("4200" + new string('1', 24), TestMerchant.NewOutRefundNo(), 10, 100));
        Assert.Equal(404, unknown.Status);
        Assert.Equal("RESOURCE_NOT_EXISTS", unknown.Code);
        var foreign = await stranger.RefundAsync(ByTransaction(transactionId, TestMerchant.NewOutRefundNo(), 10, 100));
        Assert.Equal(404, foreign.Status);
        var own = await merchant.RefundAsync(ByTransaction(transactionId, TestMerchant.NewOutRefundNo(), 10, 100));
        Assert.Equal(200, own.Status);
        Assert.Equal(transactionId, own.Json.GetProperty("transaction_id").GetString());
    }

    [Fact]
    public async Task Order_inspection_counts_the_queries_the_channel_answered()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var (outTradeNo, _) = await CreateAsync(merchant, total: 100);
        Assert.Equal(0, (await sandbox.InspectAsync(outTradeNo))!.Value.GetProperty("queryCalls").GetInt32());

        await merchant.QueryAsync(outTradeNo);
        await merchant.QueryAsync(outTradeNo);

        Assert.Equal(2, (await sandbox.InspectAsync(outTradeNo))!.Value.GetProperty("queryCalls").GetInt32());
    }

    private static JsonObject ByTransaction(string transactionId, string outRefundNo, int refund, int total, string? notifyUrl = null)
    {
        var request = new JsonObject
        {
            ["transaction_id"] = transactionId,
            ["out_refund_no"] = outRefundNo,
            ["reason"] = "重复支付",
            ["amount"] = new JsonObject { ["refund"] = refund, ["total"] = total, ["currency"] = "CNY" },
        };
        if (notifyUrl is not null)
        {
            request["notify_url"] = notifyUrl;
        }

        return request;
    }

    private static async Task<(string OutTradeNo, string CodeUrl)> CreateAsync(
        TestMerchant merchant, int total, string notifyUrl = TestMerchant.UnreachableNotifyUrl)
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var created = await merchant.CreateNativeAsync(merchant.NativeOrder(outTradeNo, notifyUrl, total));
        Assert.Equal(200, created.Status);
        return (outTradeNo, created.Json.GetProperty("code_url").GetString()!);
    }

    private static async Task<(int Status, JsonElement Body)> DecideAsync(SandboxHost sandbox, string codeUrl, JsonObject decision)
    {
        using var response = await sandbox.Http.PostAsJsonAsync(new Uri(codeUrl).PathAndQuery, decision);
        return ((int)response.StatusCode, NativeOrderTests.Parse(await response.Content.ReadAsStringAsync()));
    }

    /// <summary>The next TRANSACTION.SUCCESS notification, checked and decrypted.</summary>
    private static async Task<JsonElement> NextTransactionAsync(NotificationReceiver receiver, TestMerchant merchant)
    {
        var notification = await receiver.NextAsync();
        merchant.AssertSignedByPlatform(notification.Headers, notification.Body);
        var envelope = NativeOrderTests.Parse(Encoding.UTF8.GetString(notification.Body));
        Assert.Equal("TRANSACTION.SUCCESS", envelope.GetProperty("event_type").GetString());
        return NativeOrderTests.Parse(merchant.Decrypt(envelope.GetProperty("resource")));
    }
}
