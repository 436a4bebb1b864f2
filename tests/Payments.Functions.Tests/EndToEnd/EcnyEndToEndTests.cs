using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
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

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private async Task<string> CreateAsync(string method = "qr", long amount = 1999, int? expiresInSeconds = null)
    {
        string expiry = expiresInSeconds is null ? "" : $",\"expiresInSeconds\":{expiresInSeconds}";
        string orderNo = "ECNY-" + Guid.NewGuid().ToString("N")[..16];
        var response = await fx.Client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":{{amount}},"currency":"CNY","channel":"ecny","method":"{{method}}","subject":"数字人民币 E2E {{orderNo}}"{{expiry}}}""");
        Assert.True(response.StatusCode is HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> GetAsync(string id, int waitForSeconds = 0)
    {
        var response = await fx.Client.GetAsync($"/api/v1/payments/{id}" + (waitForSeconds > 0 ? $"?waitForSeconds={waitForSeconds}" : ""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private async Task<JsonElement> WaitForStatusAsync(string id, string status) =>
        await Eventually.ValueAsync(() => GetAsync(id, waitForSeconds: 2), p => p.GetProperty("status").GetString() == status,
            Within, $"{id} to be {status} ({fx.Functions.Tail(15)})");

    private async Task<string> PayUrlAsync(string id) =>
        (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction").GetProperty("url").GetString()!;

    private async Task<JsonElement?> SandboxOrderAsync(string paymentId)
    {
        var response = await fx.Http.GetAsync(new Uri(fx.SandboxUrl, $"sandbox/ecny/orders/{paymentId}"));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    private List<ReceivedHook> HooksFor(string subjectId) =>
        fx.Receiver.Received.Where(h => h.Body.Contains(subjectId, StringComparison.Ordinal)).ToList();

    private static string EventType(ReceivedHook hook) => JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString()!;

    private Task<List<TableEntity>> RowsAsync(string paymentId) =>
        fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == paymentId).ToListAsync().AsTask();

    private async Task WaitForRefundAsync(string refundId, string status) =>
        await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await (await fx.Client.GetAsync($"/api/v1/refunds/{refundId}")).Content.ReadAsStringAsync()).RootElement,
            r => r.TryGetProperty("status", out var s) && s.GetString() == status,
            Within,
            $"{refundId} to be {status} ({fx.Functions.Tail(10)})");

    [Fact]
    public async Task AnApprovedQrPaymentSucceedsFromTheSignedNotificationAndTheMerchantGetsAWebhook()
    {
        string id = await CreateAsync(amount: 1999);
        var nextAction = (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());
        Assert.StartsWith(new Uri(fx.SandboxUrl, "ecny/qr/").ToString(), nextAction.GetProperty("url").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^EC[0-9]{26}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.Equal(1999, paid.GetProperty("amount").GetInt64());
        var hook = await Eventually.ValueAsync(() => Task.FromResult(HooksFor(id).FirstOrDefault(h => EventType(h) == "payment.succeeded")), h => h is not null, Within, "the payment.succeeded webhook");
        Assert.True(DemoWebhookInbox.Verify(hook!.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // Our callback acknowledged the e-CNY way ({"code":"SUCCESS"}), so the sandbox stopped after one attempt.
        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.Equal(1, order!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Single(await RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAppPaymentSendsThePayerToTheWalletAndSucceeds()
    {
        string id = await CreateAsync(method: "app", amount: 1230);
        var nextAction = (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("redirect", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "ecny/wallet/").ToString(), url, StringComparison.Ordinal);

        Assert.Contains("¥12.30", await fx.Http.GetStringAsync(url), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(url, "approve")).StatusCode);
        await WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ADeclineFailsThePaymentAndTheMerchantHearsOfIt()
    {
        string id = await CreateAsync();
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(await PayUrlAsync(id), "decline")).StatusCode);

        var failed = await WaitForStatusAsync(id, "failed");
        Assert.Contains("PAYER_DECLINED", failed.ToString(), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.failed")), Within, "payment.failed webhook");
    }

    [Fact]
    public async Task AnExpiredPaymentIsClosedAndItsCodeNoLongerPays()
    {
        string id = await CreateAsync(expiresInSeconds: 3);
        string payUrl = await PayUrlAsync(id);

        await WaitForStatusAsync(id, "closed");

        var late = await fx.DecideAsync(payUrl, "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("closed", (await GetAsync(id)).GetProperty("status").GetString());
        Assert.Equal("CLOSED", (await SandboxOrderAsync(id))!.Value.GetProperty("status").GetString());
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.closed")), Within, "payment.closed webhook");
    }

    [Fact]
    public async Task CallbacksWithABadSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync();
        var before = await WaitForStatusAsync(id, "pending");
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

        var after = await GetAsync(id);
        Assert.Equal(before.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.Equal("pending", after.GetProperty("status").GetString());
        Assert.DoesNotContain(await RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DuplicateNotificationsWithOneIdAreHarmless()
    {
        (await fx.Http.PostAsJsonAsync(new Uri(fx.SandboxUrl, "sandbox/faults"), new { channel = "ecny", operation = "notify", mode = "duplicate", count = 1, delayMs = 0 })).EnsureSuccessStatusCode();
        string id = await CreateAsync();
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        var paid = await WaitForStatusAsync(id, "succeeded");

        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.True(order!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the notification twice");
        var rows = await RowsAsync(id);
        Assert.Single(rows, r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
        Assert.Single(rows, r => r.RowKey.StartsWith("event|", StringComparison.Ordinal) && r.RowKey.Contains(Core.Ids.EventId(id, "payment.succeeded"), StringComparison.Ordinal));
        Assert.Single(HooksFor(id), h => EventType(h) == "payment.succeeded");
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), (await GetAsync(id)).GetProperty("channelTransactionId").GetString());
    }

    [Fact]
    public async Task PartialRefundsSucceedAndTheAdapterReadsThemFromTheDaysStatement()
    {
        string id = await CreateAsync(amount: 1000);
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        await WaitForStatusAsync(id, "succeeded");

        var first = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-1","amount":300,"reason":"顾客退货"}""");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        string firstId = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(firstId, "succeeded");
        var rest = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-2","amount":700}""");
        string restId = JsonDocument.Parse(await rest.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(restId, "succeeded");

        var order = await Eventually.ValueAsync(
            () => SandboxOrderAsync(id),
            o => o!.Value.GetProperty("notifications").EnumerateArray().Count(n => n.GetProperty("acknowledged").GetBoolean()) == 3,
            Within,
            "the payment and both refund notifications acknowledged");
        Assert.Equal("REFUND", order!.Value.GetProperty("status").GetString());
        Assert.Equal(new[] { firstId, restId }.Order(), order.Value.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("outRefundNo").GetString()!).Order());
        var payment = await GetAsync(id);
        Assert.Equal(("succeeded", 1000L), (payment.GetProperty("status").GetString(), payment.GetProperty("amountRefunded").GetInt64()));
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(restId).Any(h => EventType(h) == "refund.succeeded")), Within, "refund.succeeded webhook");

        var channel = new EcnyChannel(fx.Http, TimeProvider.System);
        var account = await fx.ChannelAccountAsync(fx.App.EcnyChannelAccountId);
        var days = new[] { payment.GetProperty("succeededAt"), JsonDocument.Parse(await (await fx.Client.GetAsync($"/api/v1/refunds/{restId}")).Content.ReadAsStringAsync()).RootElement.GetProperty("succeededAt") }
            .Select(at => DateOnly.FromDateTime(at.GetDateTimeOffset().ToOffset(TimeSpan.FromHours(8)).DateTime))
            .Distinct();
        var lines = new List<Core.Reconciliation.StatementLine>();
        foreach (var day in days)
        {
            var download = Assert.IsType<Core.Channels.ChannelResult<Stream>.Ok>(await channel.DownloadStatementAsync(account, day, CancellationToken.None));
            await using var statement = download.Value;
            await foreach (var line in channel.ParseStatementAsync(statement, CancellationToken.None))
            {
                lines.Add(line);
            }
        }

        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 1000L), Assert.Single(lines, l => l.Id == id) is var p ? (p.Kind, p.Amount.MinorUnits) : default);
        Assert.Equal((300L, id), Assert.Single(lines, l => l.Id == firstId) is var r1 ? (r1.Amount.MinorUnits, r1.PaymentId) : default);
        Assert.Equal((700L, id), Assert.Single(lines, l => l.Id == restId) is var r2 ? (r2.Amount.MinorUnits, r2.PaymentId) : default);
    }
}
