using System.Net;
using System.Text;
using System.Text.Json;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox WeChat Pay -> callback -> webhook, over real HTTP
/// between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class WeChatPayEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private Task<string> CreateAsync(long amount = 1999, int? expiresInSeconds = null) =>
        Shop.CreatePaymentAsync("wechatpay", "qr", amount, "E2E-", "E2E", expiresInSeconds);

    private static string Status(JsonElement p) => p.GetProperty("status").GetString()!;

    [Fact]
    public async Task AnApprovedPaymentSucceedsAndTheMerchantGetsSignedWebhooks()
    {
        string id = await CreateAsync();
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        var nextAction = pending.GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^4200[0-9]{24}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.NotEqual(JsonValueKind.Null, paid.GetProperty("succeededAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, paid.GetProperty("nextAction").ValueKind);

        var hooks = await Eventually.ValueAsync(() => Task.FromResult(Shop.HooksFor(id)), l => l.Any(h => h.Type == "payment.succeeded"), Within, "the payment.succeeded webhook");
        foreach (var hook in hooks)
        {
            Assert.StartsWith("evt_", hook.EventId, StringComparison.Ordinal);
            Assert.True(DemoWebhookInbox.Verify(hook.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");
            Assert.Equal(hook.EventId, JsonDocument.Parse(hook.Body).RootElement.GetProperty("id").GetString());
        }

        var succeeded = hooks.First(h => h.Type == "payment.succeeded");
        var data = JsonDocument.Parse(succeeded.Body).RootElement.GetProperty("data");
        Assert.Equal(id, data.GetProperty("id").GetString());
        Assert.Equal("succeeded", data.GetProperty("status").GetString());
        Assert.Contains(hooks, h => h.Type == "payment.pending");
    }

    [Fact]
    public async Task ADeclinedPaymentFailsThroughTheFollowUpQuery()
    {
        // WeChat Pay does not notify declines: only our own follow-up query can find out.
        string id = await CreateAsync();
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "decline");

        var failed = await Shop.WaitForStatusAsync(id, "failed");
        Assert.Equal("PAYERROR", failed.GetProperty("failure").GetProperty("code").GetString());
        await Shop.WaitForHookAsync(id, "payment.failed");
    }

    [Fact]
    public async Task AnExpiredPaymentIsClosedAtTheChannel()
    {
        string id = await CreateAsync(expiresInSeconds: 3);
        await Shop.WaitForStatusAsync(id, "pending");
        await Shop.WaitForStatusAsync(id, "closed");

        var order = await fx.SandboxOrderAsync(id);
        Assert.Equal("CLOSED", order!.Value.GetProperty("tradeState").GetString());
        Assert.True(order.Value.GetProperty("closeCalls").GetInt32() >= 1);
        await Shop.WaitForHookAsync(id, "payment.closed");

        // The payer is too late now; the order stays closed and so does the payment.
        var late = await fx.DecideAsync(order.Value.GetProperty("codeUrl").GetString()!, "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task AStorefrontClosingAPaymentClosesItAtTheChannel()
    {
        string id = await CreateAsync();
        await Shop.WaitForStatusAsync(id, "pending");
        var response = await fx.Client.SendAsync(HttpMethod.Post, $"/api/v1/payments/{id}/close", "{}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Shop.WaitForStatusAsync(id, "closed");
        Assert.Equal("CLOSED", (await fx.SandboxOrderAsync(id))!.Value.GetProperty("tradeState").GetString());
    }

    [Fact]
    public async Task DuplicateCallbacksAreHarmless()
    {
        await fx.FaultAsync("notify", "duplicate");
        string id = await CreateAsync();
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve");
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        var order = await fx.SandboxOrderAsync(id);
        Assert.True(order!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the callback twice");
        await fx.AssertSuccessStoredOnceAsync(id);
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), (await Shop.PaymentAsync(id)).GetProperty("channelTransactionId").GetString());
    }

    [Fact]
    public async Task ACallbackThatArrivesBeforeTheCreateAnswerIsStoredStillWins()
    {
        // The sandbox creates the order but holds its answer; meanwhile the payer pays and the callback lands.
        await fx.FaultAsync("create", "timeout", delayMs: 1500);
        string id = await CreateAsync();
        var order = await Eventually.ValueAsync(() => fx.SandboxOrderAsync(id), o => o is not null, Within, "the order at the sandbox");
        Assert.Equal("created", Status(await Shop.PaymentAsync(id)));

        await fx.DecideAsync(order!.Value.GetProperty("codeUrl").GetString()!, "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");

        // The held create answer arrives after the callback; it must not drag the payment back to pending.
        var after = await Shop.PaymentAsync(id, waitForSeconds: 3);
        Assert.Equal("succeeded", Status(after));
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.pending");
    }

    [Fact]
    public async Task AChannelTimeoutOnCreateLeavesThePaymentForAQueryNeverFailed()
    {
        await fx.FaultAsync("create", "timeout", delayMs: 30_000);
        string id = await CreateAsync();

        // Our 2 s client timeout fires; the order exists at the channel; the follow-up query finds it and
        // an identical create recovers the QR code.
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        Assert.Equal(JsonValueKind.Object, pending.GetProperty("nextAction").ValueKind);
        var order = await fx.SandboxOrderAsync(id);
        Assert.Equal(2, order!.Value.GetProperty("createCalls").GetInt32());
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.failed");
    }

    [Fact]
    public async Task FiftyConcurrentIdenticalCreatesPlaceOneChannelOrder()
    {
        string orderNo = "E2E-" + Guid.NewGuid().ToString("N")[..16];
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.Client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":500,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Race"}""")));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        string id = JsonDocument.Parse(await responses[0].Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await Shop.WaitForStatusAsync(id, "pending");
        Assert.Equal(1, (await fx.SandboxOrderAsync(id))!.Value.GetProperty("createCalls").GetInt32());
        Assert.Single(await fx.RowsAsync(id), r => r.RowKey == "payment");
    }

    [Fact]
    public async Task TheMerchantEndpointBeingDownDelaysTheWebhookButNeverLosesIt()
    {
        string id = await CreateAsync();
        fx.Receiver.FailFor(id, 3);
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");

        await Eventually.TrueAsync(() => Task.FromResult(Shop.HooksFor(id).Any(h => h.Type == "payment.succeeded" && h.AnsweredStatus == 204)),
            Within, "a delivered payment.succeeded webhook");
        var attempts = Shop.HooksFor(id).Where(h => h.Type == "payment.succeeded").ToList();
        Assert.Single(attempts.Select(h => h.EventId).Distinct());
        Assert.Single(attempts.Select(h => h.Body).Distinct());
        Assert.Equal(3, Shop.HooksFor(id).Count(h => h.AnsweredStatus == 503));
    }

    [Fact]
    public async Task ACallbackWhoseAmountDiffersNeverMarksThePaymentPaidAndRaisesAnAlert()
    {
        string id = await CreateAsync(amount: 1000);
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        // Keep queries from telling the truth for a while, so only the callback speaks.
        await fx.FaultAsync("query", "error", count: 1000);
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve", notifyTotal: 1);

        await Eventually.TrueAsync(async () =>
        {
            return (await fx.RowsAsync(id)).Any(r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal) && r.GetBoolean("Processed") == true);
        }, Within, "the callback to be processed");

        Assert.Equal("pending", Status(await Shop.PaymentAsync(id)));
        Assert.Contains(fx.Functions.Output, line => line.Contains("ALERT", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal));
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.succeeded");

        // Once the channel answers queries again, the truth (paid the full amount) settles it.
        await fx.ClearFaultsAsync();
        await Shop.WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ACallbackWithABadSignatureIsRefusedAndChangesNothing()
    {
        string id = await CreateAsync();
        var before = await Shop.WaitForStatusAsync(id, "pending");
        using var forged = new HttpRequestMessage(HttpMethod.Post, new Uri(fx.ApiUrl, $"api/v1/callbacks/wechatpay/{fx.App.ChannelAccountId}"))
        {
            Content = new StringContent("""{"id":"EV-forged","event_type":"TRANSACTION.SUCCESS","resource":{"algorithm":"AEAD_AES_256_GCM","ciphertext":"AAAA","nonce":"abcdefghijkl","associated_data":"transaction"}}""", Encoding.UTF8, "application/json"),
        };
        forged.Headers.Add("Wechatpay-Timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        forged.Headers.Add("Wechatpay-Nonce", "forgednonce123");
        forged.Headers.Add("Wechatpay-Serial", "FORGED");
        forged.Headers.Add("Wechatpay-Signature", Convert.ToBase64String(new byte[256]));

        var response = await fx.Http.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await fx.AssertUntouchedAsync(Shop, before);
    }

    [Fact]
    public async Task APoisonMessageIsDeadLetteredWithItsReasonAndBlocksNothing()
    {
        await fx.Clients.Queue(Core.Messaging.Queues.ChannelNotifications).SendMessageAsync("{ this is not json");

        var letter = await Eventually.ValueAsync(
            async () => (await fx.Clients.Queue("channel-notifications-deadletter").PeekMessagesAsync(32)).Value.Select(m => m.MessageText).FirstOrDefault(t => t.Contains("this is not json", StringComparison.Ordinal)),
            t => t is not null, TimeSpan.FromSeconds(60), "the poison message in channel-notifications-deadletter");
        var dead = JsonDocument.Parse(letter!).RootElement;
        Assert.Equal(10, dead.GetProperty("DeliveryCount").GetInt64());
        Assert.False(string.IsNullOrEmpty(dead.GetProperty("Reason").GetString()));

        // Meanwhile payments keep flowing through the same queue.
        string id = await CreateAsync();
        var pending = await Shop.WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");
    }
}
