using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Payments.Channels.Ecny;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox e-CNY operator (SM2-signed JSON) -> wallet page -> signed notification
/// -> webhook, over real HTTP between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class EcnyEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private Task<string> CreateAsync(string method = "qr", long amount = 1999, int? expiresInSeconds = null) =>
        Shop.CreatePaymentAsync("ecny", method, amount, "ECNY-", "数字人民币 E2E", expiresInSeconds);

    private Task<JsonElement?> SandboxOrderAsync(string paymentId) => fx.SandboxStateAsync($"sandbox/ecny/orders/{paymentId}");

    [Fact]
    public async Task AnApprovedQrPaymentSucceedsFromTheSignedNotificationAndTheMerchantGetsAWebhook()
    {
        string id = await CreateAsync(amount: 1999);
        var nextAction = (await Shop.WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());
        Assert.StartsWith(new Uri(fx.SandboxUrl, "ecny/qr/").ToString(), nextAction.GetProperty("url").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^EC[0-9]{26}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.Equal(1999, paid.GetProperty("amount").GetInt64());
        var hook = await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.True(DemoWebhookInbox.Verify(hook.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // Our callback acknowledged the e-CNY way ({"code":"SUCCESS"}), so the sandbox stopped after one attempt.
        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.Equal(1, order!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Single(await fx.RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAppPaymentSendsThePayerToTheWalletAndSucceeds()
    {
        string id = await CreateAsync(method: "app", amount: 1230);
        var nextAction = (await Shop.WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("redirect", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "ecny/wallet/").ToString(), url, StringComparison.Ordinal);

        Assert.Contains("¥12.30", await fx.Http.GetStringAsync(url), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(url, "approve")).StatusCode);
        await Shop.WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ADeclineFailsThePaymentAndTheMerchantHearsOfIt()
    {
        string id = await CreateAsync();
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(await Shop.PayerUrlAsync(id), "decline")).StatusCode);

        var failed = await Shop.WaitForStatusAsync(id, "failed");
        Assert.Contains("PAYER_DECLINED", failed.ToString(), StringComparison.Ordinal);
        await Shop.WaitForHookAsync(id, "payment.failed");
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
        Assert.Equal("CLOSED", (await SandboxOrderAsync(id))!.Value.GetProperty("status").GetString());
        await Shop.WaitForHookAsync(id, "payment.closed");
    }

    [Fact]
    public async Task CallbacksWithABadSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync();
        var before = await Shop.WaitForStatusAsync(id, "pending");
        var account = await fx.ChannelAccountAsync(fx.App.EcnyChannelAccountId);
        string body = $$$"""{"id":"EN-forged-{{{Guid.NewGuid():N}}}","eventType":"PAYMENT.SUCCESS","createTime":"2026-11-24T10:01:03+08:00","resourceType":"order","resource":{"merchantNo":"{{{account.Credential("merchantNo")}}}","outTradeNo":"{{{id}}}","orderNo":"EC20261124000000000000000001","tradeType":"QR","status":"SUCCESS","amount":1999,"currency":"CNY","payTime":"2026-11-24T10:01:02+08:00"}}""";
        string timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var forger = EcnySigner.ImportPrivateKeyPem(EcnySigner.GenerateKeyPairPem().PrivateKeyPem);
        string forged = EcnySigner.Sign(forger, EcnySigner.BuildResponseMessage(timestamp, "N1", body));

        foreach (string signature in new[] { forged, Convert.ToBase64String(new byte[72]), "" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fx.ApiUrl, $"api/v1/callbacks/ecny/{fx.App.EcnyChannelAccountId}"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("Ecny-Serial", account.Credential("platformSerialNo"));
            request.Headers.Add("Ecny-Timestamp", timestamp);
            request.Headers.Add("Ecny-Nonce", "N1");
            request.Headers.Add("Ecny-Signature", signature);
            var response = await fx.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        await fx.AssertUntouchedAsync(Shop, before);
    }

    [Fact]
    public async Task DuplicateNotificationsWithOneIdAreHarmless()
    {
        await fx.FaultAsync("notify", "duplicate", channel: "ecny");
        string id = await CreateAsync();
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.True(order!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the notification twice");
        await fx.AssertSuccessStoredOnceAsync(id);
        await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.Single(Shop.HooksFor(id), h => h.Type == "payment.succeeded");
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), (await Shop.PaymentAsync(id)).GetProperty("channelTransactionId").GetString());
    }

    [Fact]
    public async Task PartialRefundsSucceedAndTheAdapterReadsThemFromTheDaysStatement()
    {
        string id = await CreateAsync(amount: 1000);
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");

        string firstId = await Shop.RefundAsync(id, "R-1", 300, reason: "顾客退货");
        await Shop.WaitForRefundAsync(firstId, "succeeded");
        string restId = await Shop.RefundAsync(id, "R-2", 700);
        var rest = await Shop.WaitForRefundAsync(restId, "succeeded");

        var order = await Eventually.ValueAsync(
            () => SandboxOrderAsync(id),
            o => o!.Value.GetProperty("notifications").EnumerateArray().Count(n => n.GetProperty("acknowledged").GetBoolean()) == 3,
            Within,
            "the payment and both refund notifications acknowledged");
        Assert.Equal("REFUND", order!.Value.GetProperty("status").GetString());
        Assert.Equal(new[] { firstId, restId }.Order(), order.Value.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("outRefundNo").GetString()!).Order());
        var payment = await Shop.PaymentAsync(id);
        Assert.Equal(("succeeded", 1000L), (payment.GetProperty("status").GetString(), payment.GetProperty("amountRefunded").GetInt64()));
        await Shop.WaitForHookAsync(restId, "refund.succeeded");

        var lines = await fx.StatementLinesAsync(new EcnyChannel(fx.Http, TimeProvider.System), fx.App.EcnyChannelAccountId,
            payment.GetProperty("succeededAt").GetDateTimeOffset(), rest.GetProperty("succeededAt").GetDateTimeOffset());

        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 1000L), Assert.Single(lines, l => l.Id == id) is var p ? (p.Kind, p.Amount.MinorUnits) : default);
        Assert.Equal((300L, id), Assert.Single(lines, l => l.Id == firstId) is var r1 ? (r1.Amount.MinorUnits, r1.PaymentId) : default);
        Assert.Equal((700L, id), Assert.Single(lines, l => l.Id == restId) is var r2 ? (r2.Amount.MinorUnits, r2.PaymentId) : default);
    }
}
