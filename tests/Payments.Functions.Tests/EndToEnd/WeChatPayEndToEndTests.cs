using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox WeChat Pay -> callback -> webhook, over real HTTP
/// between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class WeChatPayEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private static string NewOrderNo() => "E2E-" + Guid.NewGuid().ToString("N")[..16];

    private async Task<JsonElement> CreateAsync(string orderNo, long amount = 1999, int? expiresInSeconds = null)
    {
        string expiry = expiresInSeconds is null ? "" : $",\"expiresInSeconds\":{expiresInSeconds}";
        var response = await fx.Client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":{{amount}},"currency":"CNY","channel":"wechatpay","method":"qr","subject":"E2E {{orderNo}}"{{expiry}}}""");
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private async Task<JsonElement> GetAsync(string id, int waitForSeconds = 0)
    {
        var response = await fx.Client.GetAsync($"/api/v1/payments/{id}" + (waitForSeconds > 0 ? $"?waitForSeconds={waitForSeconds}" : ""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    /// <summary>Long-polls until the payment has the status; the API's own wait, not a sleep.</summary>
    private async Task<JsonElement> WaitForStatusAsync(string id, string status, TimeSpan? within = null) =>
        await Eventually.ValueAsync(() => GetAsync(id, waitForSeconds: 2), p => p.GetProperty("status").GetString() == status,
            within ?? Within, $"{id} to be {status} ({fx.Functions.Tail(15)})");

    private static string Status(JsonElement p) => p.GetProperty("status").GetString()!;

    private List<ReceivedHook> HooksFor(string paymentId) =>
        fx.Receiver.Received.Where(h => h.Body.Contains(paymentId, StringComparison.Ordinal)).ToList();

    private static string EventType(ReceivedHook hook) => JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString()!;

    [Fact]
    public async Task AnApprovedPaymentSucceedsAndTheMerchantGetsSignedWebhooks()
    {
        var created = await CreateAsync(NewOrderNo());
        string id = created.GetProperty("id").GetString()!;
        var pending = await WaitForStatusAsync(id, "pending");
        var nextAction = pending.GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^4200[0-9]{24}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.NotEqual(JsonValueKind.Null, paid.GetProperty("succeededAt").ValueKind);
        Assert.Equal(JsonValueKind.Null, paid.GetProperty("nextAction").ValueKind);

        var hooks = await Eventually.ValueAsync(() => Task.FromResult(HooksFor(id)), l => l.Any(h => EventType(h) == "payment.succeeded"), Within, "the payment.succeeded webhook");
        foreach (var hook in hooks)
        {
            Assert.StartsWith("evt_", hook.EventId, StringComparison.Ordinal);
            Assert.True(DemoWebhookInbox.Verify(hook.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");
            Assert.Equal(hook.EventId, JsonDocument.Parse(hook.Body).RootElement.GetProperty("id").GetString());
        }

        var succeeded = hooks.First(h => EventType(h) == "payment.succeeded");
        var data = JsonDocument.Parse(succeeded.Body).RootElement.GetProperty("data");
        Assert.Equal(id, data.GetProperty("id").GetString());
        Assert.Equal("succeeded", data.GetProperty("status").GetString());
        Assert.Contains(hooks, h => EventType(h) == "payment.pending");
    }

    [Fact]
    public async Task ADeclinedPaymentFailsThroughTheFollowUpQuery()
    {
        // WeChat Pay does not notify declines: only our own follow-up query can find out.
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;
        var pending = await WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "decline");

        var failed = await WaitForStatusAsync(id, "failed");
        Assert.Equal("PAYERROR", failed.GetProperty("failure").GetProperty("code").GetString());
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.failed")), Within, "payment.failed webhook");
    }

    [Fact]
    public async Task AnExpiredPaymentIsClosedAtTheChannel()
    {
        string id = (await CreateAsync(NewOrderNo(), expiresInSeconds: 3)).GetProperty("id").GetString()!;
        await WaitForStatusAsync(id, "pending");
        await WaitForStatusAsync(id, "closed");

        var order = await fx.SandboxOrderAsync(id);
        Assert.Equal("CLOSED", order!.Value.GetProperty("tradeState").GetString());
        Assert.True(order.Value.GetProperty("closeCalls").GetInt32() >= 1);
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.closed")), Within, "payment.closed webhook");

        // The payer is too late now; the order stays closed and so does the payment.
        var late = await fx.DecideAsync(order.Value.GetProperty("codeUrl").GetString()!, "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Fact]
    public async Task AStorefrontClosingAPaymentClosesItAtTheChannel()
    {
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;
        await WaitForStatusAsync(id, "pending");
        var response = await fx.Client.SendAsync(HttpMethod.Post, $"/api/v1/payments/{id}/close", "{}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await WaitForStatusAsync(id, "closed");
        Assert.Equal("CLOSED", (await fx.SandboxOrderAsync(id))!.Value.GetProperty("tradeState").GetString());
    }

    [Fact]
    public async Task DuplicateCallbacksAreHarmless()
    {
        await fx.FaultAsync("notify", "duplicate");
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;
        var pending = await WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve");
        var paid = await WaitForStatusAsync(id, "succeeded");

        var order = await fx.SandboxOrderAsync(id);
        Assert.True(order!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the callback twice");
        var inbox = await fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == id).ToListAsync();
        Assert.Single(inbox, e => e.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
        Assert.Single(inbox, e => e.RowKey.StartsWith("event|", StringComparison.Ordinal) && e.RowKey.Contains(Core.Ids.EventId(id, "payment.succeeded"), StringComparison.Ordinal));
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), (await GetAsync(id)).GetProperty("channelTransactionId").GetString());
    }

    [Fact]
    public async Task ACallbackThatArrivesBeforeTheCreateAnswerIsStoredStillWins()
    {
        // The sandbox creates the order but holds its answer; meanwhile the payer pays and the callback lands.
        await fx.FaultAsync("create", "timeout", delayMs: 1500);
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;
        var order = await Eventually.ValueAsync(() => fx.SandboxOrderAsync(id), o => o is not null, Within, "the order at the sandbox");
        Assert.Equal("created", Status(await GetAsync(id)));

        await fx.DecideAsync(order!.Value.GetProperty("codeUrl").GetString()!, "approve");
        await WaitForStatusAsync(id, "succeeded");

        // The held create answer arrives after the callback; it must not drag the payment back to pending.
        var after = await GetAsync(id, waitForSeconds: 3);
        Assert.Equal("succeeded", Status(after));
        Assert.DoesNotContain(HooksFor(id), h => EventType(h) == "payment.pending");
    }

    [Fact]
    public async Task AChannelTimeoutOnCreateLeavesThePaymentForAQueryNeverFailed()
    {
        await fx.FaultAsync("create", "timeout", delayMs: 30_000);
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;

        // Our 2 s client timeout fires; the order exists at the channel; the follow-up query finds it and
        // an identical create recovers the QR code.
        var pending = await WaitForStatusAsync(id, "pending");
        Assert.Equal(JsonValueKind.Object, pending.GetProperty("nextAction").ValueKind);
        var order = await fx.SandboxOrderAsync(id);
        Assert.Equal(2, order!.Value.GetProperty("createCalls").GetInt32());
        Assert.DoesNotContain(HooksFor(id), h => EventType(h) == "payment.failed");
    }

    [Fact]
    public async Task FiftyConcurrentIdenticalCreatesPlaceOneChannelOrder()
    {
        string orderNo = NewOrderNo();
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.Client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":500,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Race"}""")));
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        string id = JsonDocument.Parse(await responses[0].Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await WaitForStatusAsync(id, "pending");
        Assert.Equal(1, (await fx.SandboxOrderAsync(id))!.Value.GetProperty("createCalls").GetInt32());
        var rows = await fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == id && e.RowKey == "payment").ToListAsync();
        Assert.Single(rows);
    }

    [Fact]
    public async Task TheMerchantEndpointBeingDownDelaysTheWebhookButNeverLosesIt()
    {
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;
        fx.Receiver.FailFor(id, 3);
        var pending = await WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve");
        await WaitForStatusAsync(id, "succeeded");

        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.succeeded" && h.AnsweredStatus == 204)),
            Within, "a delivered payment.succeeded webhook");
        var attempts = HooksFor(id).Where(h => EventType(h) == "payment.succeeded").ToList();
        Assert.Single(attempts.Select(h => h.EventId).Distinct());
        Assert.Single(attempts.Select(h => h.Body).Distinct());
        Assert.Equal(3, HooksFor(id).Count(h => h.AnsweredStatus == 503));
    }

    [Fact]
    public async Task ACallbackWhoseAmountDiffersNeverMarksThePaymentPaidAndRaisesAnAlert()
    {
        string id = (await CreateAsync(NewOrderNo(), amount: 1000)).GetProperty("id").GetString()!;
        var pending = await WaitForStatusAsync(id, "pending");
        // Keep queries from telling the truth for a while, so only the callback speaks.
        await fx.FaultAsync("query", "error", count: 1000);
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve", notifyTotal: 1);

        await Eventually.TrueAsync(async () =>
        {
            var rows = await fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == id).ToListAsync();
            return rows.Any(r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal) && r.GetBoolean("Processed") == true);
        }, Within, "the callback to be processed");

        Assert.Equal("pending", Status(await GetAsync(id)));
        Assert.Contains(fx.Functions.Output, line => line.Contains("ALERT", StringComparison.Ordinal) && line.Contains(id, StringComparison.Ordinal));
        Assert.DoesNotContain(HooksFor(id), h => EventType(h) == "payment.succeeded");

        // Once the channel answers queries again, the truth (paid the full amount) settles it.
        await fx.ClearFaultsAsync();
        await WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ACallbackWithABadSignatureIsRefusedAndChangesNothing()
    {
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;
        var before = await WaitForStatusAsync(id, "pending");
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
        var after = await GetAsync(id);
        Assert.Equal(before.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.DoesNotContain(await fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == id).ToListAsync(), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
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
        string id = (await CreateAsync(NewOrderNo())).GetProperty("id").GetString()!;
        var pending = await WaitForStatusAsync(id, "pending");
        await fx.DecideAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!, "approve");
        await WaitForStatusAsync(id, "succeeded");
    }
}
