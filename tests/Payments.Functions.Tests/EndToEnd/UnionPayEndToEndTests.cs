using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox UnionPay gateway -> signed form notification -> webhook, over
/// real HTTP between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class UnionPayEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private Task<string> CreateAsync(string method = "qr", long amount = 1999, int? expiresInSeconds = null, string? returnUrl = null) =>
        Shop.CreatePaymentAsync("unionpay", method, amount, "UPOP-", "银联 E2E", expiresInSeconds, returnUrl: returnUrl);

    /// <summary>Our payment id as UnionPay's orderId: no underscore.</summary>
    private static string OrderId(string paymentId) => "pay" + paymentId["pay_".Length..];

    private Task<JsonElement?> SandboxOrderAsync(string paymentId) => fx.SandboxStateAsync($"sandbox/unionpay/orders/{OrderId(paymentId)}");

    [Fact]
    public async Task AnApprovedQrPaymentSucceedsFromTheNotificationAndTheMerchantGetsASignedWebhook()
    {
        string id = await CreateAsync(amount: 1999);
        var nextAction = (await Shop.WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());
        Assert.StartsWith(new Uri(fx.SandboxUrl, "unionpay/qr/").ToString(), nextAction.GetProperty("url").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^[0-9]{21}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.Equal(1999, paid.GetProperty("amount").GetInt64());
        var hook = await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.True(DemoWebhookInbox.Verify(hook.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // Our callback answered 200, so the sandbox stopped retrying after one attempt.
        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.Equal(1, order!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), order.Value.GetProperty("queryId").GetString());
        Assert.Single(await fx.RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APagePaymentSendsTheBrowserToTheFrontTransactionWithTheStorefrontsReturnUrlAndSucceeds()
    {
        string id = await CreateAsync(method: "page", amount: 1230, returnUrl: "https://shop.example/orders/42");
        var nextAction = (await Shop.WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("redirect", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "gateway/api/frontTransReq.do?").ToString(), url, StringComparison.Ordinal);
        Assert.Contains("frontUrl=" + Uri.EscapeDataString("https://shop.example/orders/42"), url, StringComparison.Ordinal);
        Assert.Contains("orderId=" + OrderId(id), url, StringComparison.Ordinal);

        var cashier = await fx.Http.GetStringAsync(url);
        Assert.Contains("¥12.30", cashier, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(url, "approve")).StatusCode);

        await Shop.WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ADeclinedPaymentFailsFromTheQuerySinceUnionPayNotifiesOnlySuccess()
    {
        string id = await CreateAsync();
        var declined = await fx.DecideAsync(await Shop.PayerUrlAsync(id), "decline");
        Assert.Equal(HttpStatusCode.OK, declined.StatusCode);

        await Shop.WaitForStatusAsync(id, "failed");
        Assert.Empty((await SandboxOrderAsync(id))!.Value.GetProperty("notifications").EnumerateArray());
        await Shop.WaitForHookAsync(id, "payment.failed");
    }

    [Fact]
    public async Task AnUnpaidPaymentClosesAtExpiryAndItsCodeNoLongerPays()
    {
        string id = await CreateAsync(expiresInSeconds: 3);
        string payUrl = await Shop.PayerUrlAsync(id);

        await Shop.WaitForStatusAsync(id, "closed");

        var late = await fx.DecideAsync(payUrl, "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("expired", (await SandboxOrderAsync(id))!.Value.GetProperty("status").GetString());
        Assert.Equal("closed", (await Shop.PaymentAsync(id)).GetProperty("status").GetString());
        await Shop.WaitForHookAsync(id, "payment.closed");
    }

    [Fact]
    public async Task NotificationsWithoutAUnionPayCertificateAndSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync();
        var before = await Shop.WaitForStatusAsync(id, "pending");
        var account = await fx.ChannelAccountAsync(fx.App.UnionPayChannelAccountId!);
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["version"] = "5.1.0",
            ["encoding"] = "UTF-8",
            ["signMethod"] = "01",
            ["txnType"] = "01",
            ["txnSubType"] = "07",
            ["bizType"] = "000000",
            ["accessType"] = "0",
            ["merId"] = account.Credential("merId"),
            ["orderId"] = OrderId(id),
            ["txnTime"] = "20261124100102",
            ["txnAmt"] = "1999",
            ["currencyCode"] = "156",
            ["queryId"] = "612411241001020000001",
            ["traceTime"] = "1124100103",
            ["respCode"] = "00",
            ["respMsg"] = "success",
        };

        // A certificate with UnionPay's name that the forger issued itself: well signed, but not chained to the root.
        using var forgerKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=041@Z12400000000001@中国银联股份有限公司@00000001", forgerKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var forged = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        fields["signPubKeyCert"] = forged.ExportCertificatePem();
        string content = string.Join("&", fields.Select(f => f.Key + "=" + f.Value));
        byte[] hex = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))));
        string forgedSignature = Convert.ToBase64String(forgerKey.SignData(hex, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        foreach (string signature in new[] { forgedSignature, Convert.ToBase64String(new byte[256]), "" })
        {
            var form = new Dictionary<string, string>(fields) { ["signature"] = signature };
            var response = await fx.Http.PostAsync(new Uri(fx.ApiUrl, $"api/v1/callbacks/unionpay/{fx.App.UnionPayChannelAccountId}"), new FormUrlEncodedContent(form));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await fx.AssertUntouchedAsync(Shop, before);
    }

    [Fact]
    public async Task ADuplicatedNotificationIsStoredAndWebhookedOnce()
    {
        await fx.FaultAsync("notify", "duplicate", channel: "unionpay");
        string id = await CreateAsync();
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");

        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.True(order!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the notification twice");
        await fx.AssertSuccessStoredOnceAsync(id);
        await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.Single(Shop.HooksFor(id).Where(h => h.Type == "payment.succeeded").Select(h => JsonDocument.Parse(h.Body).RootElement.GetProperty("id").GetString()).Distinct());
    }

    [Fact]
    public async Task APartialRefundAndASecondForTheRestBothSucceedByNotification()
    {
        string id = await CreateAsync(amount: 1000);
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");

        string firstId = await Shop.RefundAsync(id, "R-1", 300, reason: "顾客退货");
        await Shop.WaitForRefundAsync(firstId, "succeeded");

        string restId = await Shop.RefundAsync(id, "R-2", 700);
        await Shop.WaitForRefundAsync(restId, "succeeded");

        var order = await Eventually.ValueAsync(
            () => SandboxOrderAsync(id),
            o => o!.Value.GetProperty("notifications").EnumerateArray().Count(n => n.GetProperty("acknowledged").GetBoolean()) == 3,
            Within,
            "the payment and both refund notifications acknowledged");
        Assert.Equal(new[] { 300L, 700L }, order!.Value.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("txnAmt").GetInt64()).Order());
        var payment = await Shop.PaymentAsync(id);
        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1000, payment.GetProperty("amountRefunded").GetInt64());
        await Shop.WaitForHookAsync(restId, "refund.succeeded");
    }

    [Fact]
    public async Task TheAdapterReadsTheDaysSettlementFileWithThePaymentAndItsRefund()
    {
        string id = await CreateAsync(amount: 2500);
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");
        string refundId = await Shop.RefundAsync(id, "R-1", 400);
        var refund = await Shop.WaitForRefundAsync(refundId, "succeeded");

        // Files are per Beijing day; the payment and the refund may straddle midnight.
        var lines = await fx.StatementLinesAsync(new Channels.UnionPay.UnionPayChannel(fx.Http, TimeProvider.System), fx.App.UnionPayChannelAccountId,
            (await Shop.PaymentAsync(id)).GetProperty("succeededAt").GetDateTimeOffset(), refund.GetProperty("succeededAt").GetDateTimeOffset());

        var payment = Assert.Single(lines, l => l.Id == id);
        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 2500L, 14L), (payment.Kind, payment.Amount.MinorUnits, payment.Fee!.Value.MinorUnits));
        Assert.Equal((await Shop.PaymentAsync(id)).GetProperty("channelTransactionId").GetString(), payment.ChannelTransactionId);
        var refundLine = Assert.Single(lines, l => l.Id == refundId);
        Assert.Equal((Core.Reconciliation.TransactionKind.Refund, 400L, -2L, id), (refundLine.Kind, refundLine.Amount.MinorUnits, refundLine.Fee!.Value.MinorUnits, refundLine.PaymentId));
    }
}
