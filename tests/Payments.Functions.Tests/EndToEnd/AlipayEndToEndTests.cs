using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox Alipay gateway -> signed form callback -> webhook, over
/// real HTTP between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class AlipayEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private Task<string> CreateAsync(string method = "qr", long amount = 1999, int? expiresInSeconds = null) =>
        Shop.CreatePaymentAsync("alipay", method, amount, "ALI-", "支付宝 E2E", expiresInSeconds);

    private Task<JsonElement?> SandboxTradeAsync(string paymentId) => fx.SandboxStateAsync($"sandbox/alipay/trades/{paymentId}");

    [Fact]
    public async Task AnApprovedQrPaymentSucceedsFromTheCallbackAndTheMerchantGetsASignedWebhook()
    {
        string id = await CreateAsync(amount: 1999);
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        var nextAction = pending.GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());
        Assert.StartsWith(new Uri(fx.SandboxUrl, "alipay/qr/").ToString(), nextAction.GetProperty("url").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^[0-9]{28}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.Equal(1999, paid.GetProperty("amount").GetInt64());
        var hook = await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.True(DemoWebhookInbox.Verify(hook.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // Our callback answered Alipay's way ("success"), so the sandbox stopped retrying.
        var trade = await Eventually.ValueAsync(() => SandboxTradeAsync(id), t => t!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.Equal(1, trade!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Single(await fx.RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APagePaymentSendsThePayerToTheCashierAndSucceeds()
    {
        string id = await CreateAsync(method: "page", amount: 1230);
        var nextAction = (await Shop.WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("redirect", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "gateway.do?").ToString(), url, StringComparison.Ordinal);

        var cashier = await fx.Http.GetStringAsync(url);
        Assert.Contains("¥12.30", cashier, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(url, "approve")).StatusCode);

        await Shop.WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ADeclinedAttemptLeavesThePaymentPendingAndItClosesAtExpiry()
    {
        // Alipay has no failed trade: a refused attempt leaves the trade payable until it times out.
        string id = await CreateAsync(expiresInSeconds: 4);
        string payUrl = await Shop.PayerUrlAsync(id);

        var declined = await fx.DecideAsync(payUrl, "decline");
        Assert.Equal(HttpStatusCode.OK, declined.StatusCode);
        Assert.Equal("WAIT_BUYER_PAY", JsonDocument.Parse(await declined.Content.ReadAsStringAsync()).RootElement.GetProperty("tradeStatus").GetString());
        Assert.Equal("pending", (await Shop.PaymentAsync(id)).GetProperty("status").GetString());

        await Shop.WaitForStatusAsync(id, "closed");
        Assert.Equal("TRADE_CLOSED", (await SandboxTradeAsync(id))!.Value.GetProperty("tradeStatus").GetString());
        await Shop.WaitForHookAsync(id, "payment.closed");
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.failed");
    }

    [Fact]
    public async Task AnExpiredPaymentIsClosedAndItsCodeNoLongerPays()
    {
        string id = await CreateAsync(expiresInSeconds: 3);
        string payUrl = await Shop.PayerUrlAsync(id);

        await Shop.WaitForStatusAsync(id, "closed");

        var late = await fx.DecideAsync(payUrl, "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("closed", (await Shop.PaymentAsync(id)).GetProperty("status").GetString());
        await Shop.WaitForHookAsync(id, "payment.closed");
    }

    [Fact]
    public async Task CallbacksWithABadSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync();
        var before = await Shop.WaitForStatusAsync(id, "pending");
        var fields = new Dictionary<string, string>
        {
            ["notify_id"] = "forged-" + Guid.NewGuid().ToString("N"),
            ["notify_type"] = "trade_status_sync",
            ["notify_time"] = "2026-11-24 10:01:03",
            ["app_id"] = "2021000000000001",
            ["charset"] = "utf-8",
            ["version"] = "1.0",
            ["sign_type"] = "RSA2",
            ["out_trade_no"] = id,
            ["trade_no"] = "2026112422001412345678901234",
            ["trade_status"] = "TRADE_SUCCESS",
            ["total_amount"] = "19.99",
            ["gmt_payment"] = "2026-11-24 10:01:02",
        };
        using var forger = RSA.Create(2048);
        string content = string.Join("&", fields.Where(f => f.Key != "sign_type").OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value));
        string signedByAnotherKey = Convert.ToBase64String(forger.SignData(Encoding.UTF8.GetBytes(content), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        foreach (string sign in new[] { signedByAnotherKey, Convert.ToBase64String(new byte[256]), "" })
        {
            var form = new Dictionary<string, string>(fields) { ["sign"] = sign };
            var response = await fx.Http.PostAsync(new Uri(fx.ApiUrl, $"api/v1/callbacks/alipay/{fx.App.AlipayChannelAccountId}"), new FormUrlEncodedContent(form));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await fx.AssertUntouchedAsync(Shop, before);
    }

    [Fact]
    public async Task DuplicateCallbacksWithOneNotifyIdAreHarmless()
    {
        await fx.FaultAsync("notify", "duplicate", channel: "alipay");
        string id = await CreateAsync();
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        var trade = await Eventually.ValueAsync(() => SandboxTradeAsync(id), t => t!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.True(trade!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the callback twice");
        await fx.AssertSuccessStoredOnceAsync(id);
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), (await Shop.PaymentAsync(id)).GetProperty("channelTransactionId").GetString());
    }

    [Fact]
    public async Task RefundsSucceedAtOnceAndRefundingTheRestDoesNotCloseThePayment()
    {
        string id = await CreateAsync(amount: 1000);
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");

        string firstId = await Shop.RefundAsync(id, "R-1", 300, reason: "顾客退货");
        await Shop.WaitForRefundAsync(firstId, "succeeded");

        // The rest: Alipay closes the trade (TRADE_CLOSED) and says so in a notification carrying out_biz_no.
        string restId = await Shop.RefundAsync(id, "R-2", 700);
        await Shop.WaitForRefundAsync(restId, "succeeded");

        var trade = await Eventually.ValueAsync(
            () => SandboxTradeAsync(id),
            t => t!.Value.GetProperty("notifications").EnumerateArray().Count(n => n.GetProperty("acknowledged").GetBoolean()) == 3,
            Within,
            "the payment and both refund notifications acknowledged");
        Assert.Equal("TRADE_CLOSED", trade!.Value.GetProperty("tradeStatus").GetString());
        Assert.Equal(new[] { firstId, restId }.Order(), trade.Value.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("outRequestNo").GetString()!).Order());
        await Eventually.TrueAsync(
            async () => (await fx.RowsAsync(id)).Count(r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal) && r.GetBoolean("Processed") == true) == 3,
            Within,
            "all three callbacks processed");

        var payment = await Shop.PaymentAsync(id);
        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1000, payment.GetProperty("amountRefunded").GetInt64());
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.closed");
        await Shop.WaitForHookAsync(restId, "refund.succeeded");
    }

    [Fact]
    public async Task TheAdapterReadsTheDaysBillFromTheSandboxWithThePaymentAndItsRefund()
    {
        string id = await CreateAsync(amount: 2500);
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");
        string refundId = await Shop.RefundAsync(id, "R-1", 400);
        var refund = await Shop.WaitForRefundAsync(refundId, "succeeded");

        // Bills are per Beijing day; the payment and the refund may straddle midnight.
        var lines = await fx.StatementLinesAsync(new Channels.Alipay.AlipayChannel(fx.Http, TimeProvider.System), fx.App.AlipayChannelAccountId!,
            (await Shop.PaymentAsync(id)).GetProperty("succeededAt").GetDateTimeOffset(), refund.GetProperty("succeededAt").GetDateTimeOffset());

        var payment = Assert.Single(lines, l => l.Id == id);
        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 2500L, 15L), (payment.Kind, payment.Amount.MinorUnits, payment.Fee!.Value.MinorUnits));
        Assert.Equal((await Shop.PaymentAsync(id)).GetProperty("channelTransactionId").GetString(), payment.ChannelTransactionId);
        var refundLine = Assert.Single(lines, l => l.Id == refundId);
        Assert.Equal((Core.Reconciliation.TransactionKind.Refund, 400L, id), (refundLine.Kind, refundLine.Amount.MinorUnits, refundLine.PaymentId));
    }
}
