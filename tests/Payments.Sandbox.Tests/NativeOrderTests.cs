using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

public sealed class NativeOrderTests(SharedSandbox shared) : IClassFixture<SharedSandbox>, IAsyncLifetime
{
    private readonly SandboxHost _sandbox = shared.Host;
    private TestMerchant _merchant = null!;

    public async Task InitializeAsync() => _merchant = await _sandbox.OnboardAsync();

    public Task DisposeAsync()
    {
        _merchant.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Create_query_approve_query_walks_the_order_from_NOTPAY_to_SUCCESS()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        Assert.Equal(30, outTradeNo.Length);

        var created = await _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo, total: 1234));
        Assert.Equal(200, created.Status);
        var codeUrl = created.Json.GetProperty("code_url").GetString()!;
        Assert.StartsWith("http://localhost/pay/wechatpay/", codeUrl, StringComparison.Ordinal);

        var unpaid = await _merchant.QueryAsync(outTradeNo);
        Assert.Equal(200, unpaid.Status);
        Assert.Equal("NOTPAY", unpaid.Json.GetProperty("trade_state").GetString());
        Assert.Equal("NATIVE", unpaid.Json.GetProperty("trade_type").GetString());
        Assert.False(unpaid.Json.TryGetProperty("transaction_id", out _));
        Assert.False(unpaid.Json.TryGetProperty("success_time", out _));
        Assert.False(unpaid.Json.TryGetProperty("payer", out _));

        var page = await _sandbox.Http.GetStringAsync(new Uri(codeUrl).PathAndQuery);
        Assert.Contains("12.34", page, StringComparison.Ordinal);
        Assert.Contains("Sandbox test order", page, StringComparison.Ordinal);

        var (status, decision) = await _sandbox.DecideAsync(codeUrl, "approve");
        Assert.Equal(200, status);
        Assert.Equal(outTradeNo, decision.GetProperty("outTradeNo").GetString());
        Assert.Equal("SUCCESS", decision.GetProperty("tradeState").GetString());

        var paid = (await _merchant.QueryAsync(outTradeNo)).Json;
        Assert.Equal("SUCCESS", paid.GetProperty("trade_state").GetString());
        Assert.Matches("^[0-9]{28}$", paid.GetProperty("transaction_id").GetString());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$", paid.GetProperty("success_time").GetString());
        Assert.False(string.IsNullOrEmpty(paid.GetProperty("payer").GetProperty("openid").GetString()));
        Assert.Equal(1234, paid.GetProperty("amount").GetProperty("total").GetInt32());
        Assert.Equal(1234, paid.GetProperty("amount").GetProperty("payer_total").GetInt32());
        Assert.Equal("CNY", paid.GetProperty("amount").GetProperty("currency").GetString());
        Assert.Equal(_merchant.MchId, paid.GetProperty("mchid").GetString());
        Assert.Equal(outTradeNo, paid.GetProperty("out_trade_no").GetString());
    }

    [Fact]
    public async Task A_repeated_create_is_idempotent_only_with_identical_parameters()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var order = _merchant.NativeOrder(outTradeNo);

        var first = await _merchant.CreateNativeAsync(order);
        var again = await _merchant.CreateNativeAsync(JsonNode.Parse(order.ToJsonString())!.AsObject());
        var changed = _merchant.NativeOrder(outTradeNo, total: 2);
        changed["time_expire"] = order["time_expire"]!.GetValue<string>();
        var different = await _merchant.CreateNativeAsync(changed);

        Assert.Equal(200, first.Status);
        Assert.Equal(200, again.Status);
        Assert.Equal(first.Json.GetProperty("code_url").GetString(), again.Json.GetProperty("code_url").GetString());
        Assert.Equal(400, different.Status);
        Assert.Equal("INVALID_REQUEST", different.Code);
        Assert.Equal("201 商户订单号重复", different.Json.GetProperty("message").GetString());
        Assert.Equal(2, (await _sandbox.InspectAsync(outTradeNo))!.Value.GetProperty("createCalls").GetInt32());
    }

    [Fact]
    public async Task A_closed_order_cannot_be_paid_unless_forced_and_a_paid_one_cannot_be_closed()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var order = _merchant.NativeOrder(outTradeNo);
        var codeUrl = (await _merchant.CreateNativeAsync(order)).Json.GetProperty("code_url").GetString()!;

        var closed = await _merchant.CloseAsync(outTradeNo);
        var closedAgain = await _merchant.CloseAsync(outTradeNo);
        var (status, refusal) = await _sandbox.DecideAsync(codeUrl, "approve");
        var recreate = await _merchant.CreateNativeAsync(order);

        Assert.Equal(204, closed.Status);
        Assert.Equal("", closed.Body);
        Assert.Equal(204, closedAgain.Status);
        Assert.Equal(409, status);
        Assert.Equal("ORDER_CLOSED", refusal.GetProperty("code").GetString());
        Assert.Equal("CLOSED", (await _merchant.QueryAsync(outTradeNo)).Json.GetProperty("trade_state").GetString());
        Assert.Equal(400, recreate.Status);
        Assert.Equal("ORDER_CLOSED", recreate.Code);

        // The late payment: the payer completes on a code the merchant already closed.
        var (forcedStatus, forced) = await _sandbox.DecideAsync(codeUrl, "approve", force: true);
        var closeAfterPaid = await _merchant.CloseAsync(outTradeNo);
        var createAfterPaid = await _merchant.CreateNativeAsync(order);

        Assert.Equal(200, forcedStatus);
        Assert.Equal("SUCCESS", forced.GetProperty("tradeState").GetString());
        Assert.Equal(400, closeAfterPaid.Status);
        Assert.Equal("ORDERPAID", closeAfterPaid.Code);
        Assert.Equal(400, createAfterPaid.Status);
        Assert.Equal("ORDERPAID", createAfterPaid.Code);
        Assert.Equal(3, (await _sandbox.InspectAsync(outTradeNo))!.Value.GetProperty("closeCalls").GetInt32());
    }

    [Fact]
    public async Task A_declined_order_is_PAYERROR_without_notification_and_cannot_be_decided_again()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var codeUrl = (await _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo))).Json.GetProperty("code_url").GetString()!;

        var (status, declined) = await _sandbox.DecideAsync(codeUrl, "decline");
        var (againStatus, again) = await _sandbox.DecideAsync(codeUrl, "approve");
        var query = (await _merchant.QueryAsync(outTradeNo)).Json;

        Assert.Equal(200, status);
        Assert.Equal("PAYERROR", declined.GetProperty("tradeState").GetString());
        Assert.Equal(409, againStatus);
        Assert.Equal("ALREADY_DECIDED", again.GetProperty("code").GetString());
        Assert.Equal("PAYERROR", query.GetProperty("trade_state").GetString());
        Assert.Equal("支付失败，请重新下单支付", query.GetProperty("trade_state_desc").GetString());
        Assert.Equal(0, (await _sandbox.InspectAsync(outTradeNo))!.Value.GetProperty("notifications").GetArrayLength());
        Assert.Equal(204, (await _merchant.CloseAsync(outTradeNo)).Status);
    }

    [Fact]
    public async Task A_decision_after_time_expire_is_refused()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        var order = _merchant.NativeOrder(outTradeNo, timeExpire: DateTimeOffset.UtcNow.AddMinutes(-1));
        var codeUrl = (await _merchant.CreateNativeAsync(order)).Json.GetProperty("code_url").GetString()!;

        var (status, body) = await _sandbox.DecideAsync(codeUrl, "approve");

        Assert.Equal(409, status);
        Assert.Equal("ORDER_EXPIRED", body.GetProperty("code").GetString());
    }

    public static TheoryData<string, Action<JsonObject>> InvalidOrders => new()
    {
        { "out_trade_no too short", o => o["out_trade_no"] = "pay_1" },
        { "out_trade_no too long", o => o["out_trade_no"] = new string('a', 33) },
        { "out_trade_no with a space", o => o["out_trade_no"] = "pay 123456" },
        { "out_trade_no with a trailing newline", o => o["out_trade_no"] = "pay_123456\n" },
        { "total zero", o => o["amount"]!["total"] = 0 },
        { "total missing", o => o["amount"]!.AsObject().Remove("total") },
        { "total not a number", o => o["amount"]!["total"] = "1" },
        { "currency not CNY", o => o["amount"]!["currency"] = "USD" },
        { "description missing", o => o.Remove("description") },
        { "notify_url relative", o => o["notify_url"] = "/notify" },
        { "notify_url not http", o => o["notify_url"] = "ftp://example.com/notify" },
        { "mchid not the signer's", o => o["mchid"] = "1900000000" },
        { "time_expire with fractional seconds", o => o["time_expire"] = "2030-01-01T10:00:00.000+08:00" },
    };

    [Theory]
    [MemberData(nameof(InvalidOrders))]
    public async Task An_invalid_create_is_PARAM_ERROR(string reason, Action<JsonObject> spoil)
    {
        var order = _merchant.NativeOrder(TestMerchant.NewOutTradeNo());
        spoil(order);

        var response = await _merchant.CreateNativeAsync(order);

        Assert.True(response.Status == 400, $"{reason}: {response.Status} {response.Body}");
        Assert.Equal("PARAM_ERROR", response.Code);
    }

    [Fact]
    public async Task Out_trade_no_accepts_every_documented_character()
    {
        var response = await _merchant.CreateNativeAsync(_merchant.NativeOrder("Ab0_-|*xyz"));

        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task Unknown_orders_are_ORDER_NOT_EXIST_for_query_and_close()
    {
        var query = await _merchant.QueryAsync("pay_doesnotexist");
        var close = await _merchant.CloseAsync("pay_doesnotexist");

        Assert.Equal(404, query.Status);
        Assert.Equal("ORDER_NOT_EXIST", query.Code);
        Assert.Equal(404, close.Status);
        Assert.Equal("ORDER_NOT_EXIST", close.Code);
    }

    [Fact]
    public async Task Another_merchants_order_is_invisible()
    {
        using var other = await _sandbox.OnboardAsync();
        var outTradeNo = TestMerchant.NewOutTradeNo();
        Assert.Equal(200, (await _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo))).Status);

        var query = await other.QueryAsync(outTradeNo);

        Assert.Equal(404, query.Status);
    }

    [Fact]
    public async Task Health_answers_200()
    {
        using var response = await _sandbox.Http.GetAsync("/health");

        Assert.Equal(200, (int)response.StatusCode);
    }

    internal static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
