using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox Alipay gateway -> signed form callback -> webhook, over
/// real HTTP between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class AlipayEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private static string NewOrderNo() => "ALI-" + Guid.NewGuid().ToString("N")[..16];

    private async Task<string> CreateAsync(string method = "qr", long amount = 1999, int? expiresInSeconds = null)
    {
        string expiry = expiresInSeconds is null ? "" : $",\"expiresInSeconds\":{expiresInSeconds}";
        string orderNo = NewOrderNo();
        var response = await fx.Client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":{{amount}},"currency":"CNY","channel":"alipay","method":"{{method}}","subject":"支付宝 E2E {{orderNo}}"{{expiry}}}""");
        Assert.True(response.StatusCode is HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
    }

    private async Task<JsonElement> GetAsync(string id, int waitForSeconds = 0)
    {
        var response = await fx.Client.GetAsync($"/api/v1/payments/{id}" + (waitForSeconds > 0 ? $"?waitForSeconds={waitForSeconds}" : ""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    /// <summary>Long-polls until the payment has the status; the API's own wait, not a sleep.</summary>
    private async Task<JsonElement> WaitForStatusAsync(string id, string status) =>
        await Eventually.ValueAsync(() => GetAsync(id, waitForSeconds: 2), p => p.GetProperty("status").GetString() == status,
            Within, $"{id} to be {status} ({fx.Functions.Tail(15)})");

    private async Task<string> PayUrlAsync(string id) =>
        (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction").GetProperty("url").GetString()!;

    private async Task<JsonElement?> SandboxTradeAsync(string paymentId)
    {
        var response = await fx.Http.GetAsync(new Uri(fx.SandboxUrl, $"sandbox/alipay/trades/{paymentId}"));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    private async Task AlipayFaultAsync(string operation, string mode) =>
        (await fx.Http.PostAsJsonAsync(new Uri(fx.SandboxUrl, "sandbox/faults"), new { channel = "alipay", operation, mode, count = 1, delayMs = 0 })).EnsureSuccessStatusCode();

    private List<ReceivedHook> HooksFor(string subjectId) =>
        fx.Receiver.Received.Where(h => h.Body.Contains(subjectId, StringComparison.Ordinal)).ToList();

    private static string EventType(ReceivedHook hook) => JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString()!;

    private Task<List<TableEntity>> RowsAsync(string paymentId) =>
        fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == paymentId).ToListAsync().AsTask();

    [Fact]
    public async Task AnApprovedQrPaymentSucceedsFromTheCallbackAndTheMerchantGetsASignedWebhook()
    {
        string id = await CreateAsync(amount: 1999);
        var pending = await WaitForStatusAsync(id, "pending");
        var nextAction = pending.GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());
        Assert.StartsWith(new Uri(fx.SandboxUrl, "alipay/qr/").ToString(), nextAction.GetProperty("url").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^[0-9]{28}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.Equal(1999, paid.GetProperty("amount").GetInt64());
        var hook = await Eventually.ValueAsync(() => Task.FromResult(HooksFor(id).FirstOrDefault(h => EventType(h) == "payment.succeeded")), h => h is not null, Within, "the payment.succeeded webhook");
        Assert.True(DemoWebhookInbox.Verify(hook!.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // Our callback answered Alipay's way ("success"), so the sandbox stopped retrying.
        var trade = await Eventually.ValueAsync(() => SandboxTradeAsync(id), t => t!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.Equal(1, trade!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Single(await RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APagePaymentSendsThePayerToTheCashierAndSucceeds()
    {
        string id = await CreateAsync(method: "page", amount: 1230);
        var nextAction = (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("redirect", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "gateway.do?").ToString(), url, StringComparison.Ordinal);

        var cashier = await fx.Http.GetStringAsync(url);
        Assert.Contains("¥12.30", cashier, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(url, "approve")).StatusCode);

        await WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ADeclinedAttemptLeavesThePaymentPendingAndItClosesAtExpiry()
    {
        // Alipay has no failed trade: a refused attempt leaves the trade payable until it times out.
        string id = await CreateAsync(expiresInSeconds: 4);
        string payUrl = await PayUrlAsync(id);

        var declined = await fx.DecideAsync(payUrl, "decline");
        Assert.Equal(HttpStatusCode.OK, declined.StatusCode);
        Assert.Equal("WAIT_BUYER_PAY", JsonDocument.Parse(await declined.Content.ReadAsStringAsync()).RootElement.GetProperty("tradeStatus").GetString());
        Assert.Equal("pending", (await GetAsync(id)).GetProperty("status").GetString());

        await WaitForStatusAsync(id, "closed");
        Assert.Equal("TRADE_CLOSED", (await SandboxTradeAsync(id))!.Value.GetProperty("tradeStatus").GetString());
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.closed")), Within, "payment.closed webhook");
        Assert.DoesNotContain(HooksFor(id), h => EventType(h) == "payment.failed");
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
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.closed")), Within, "payment.closed webhook");
    }

    [Fact]
    public async Task CallbacksWithABadSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync();
        var before = await WaitForStatusAsync(id, "pending");
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

        var after = await GetAsync(id);
        Assert.Equal(before.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.Equal("pending", after.GetProperty("status").GetString());
        Assert.DoesNotContain(await RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DuplicateCallbacksWithOneNotifyIdAreHarmless()
    {
        await AlipayFaultAsync("notify", "duplicate");
        string id = await CreateAsync();
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        var paid = await WaitForStatusAsync(id, "succeeded");

        var trade = await Eventually.ValueAsync(() => SandboxTradeAsync(id), t => t!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.True(trade!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the callback twice");
        var rows = await RowsAsync(id);
        Assert.Single(rows, r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
        Assert.Single(rows, r => r.RowKey.StartsWith("event|", StringComparison.Ordinal) && r.RowKey.Contains(Core.Ids.EventId(id, "payment.succeeded"), StringComparison.Ordinal));
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), (await GetAsync(id)).GetProperty("channelTransactionId").GetString());
    }

    [Fact]
    public async Task RefundsSucceedAtOnceAndRefundingTheRestDoesNotCloseThePayment()
    {
        string id = await CreateAsync(amount: 1000);
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        await WaitForStatusAsync(id, "succeeded");

        var first = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-1","amount":300,"reason":"顾客退货"}""");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        string firstId = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(firstId, "succeeded");

        // The rest: Alipay closes the trade (TRADE_CLOSED) and says so in a notification carrying out_biz_no.
        var rest = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-2","amount":700}""");
        string restId = JsonDocument.Parse(await rest.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(restId, "succeeded");

        var trade = await Eventually.ValueAsync(
            () => SandboxTradeAsync(id),
            t => t!.Value.GetProperty("notifications").EnumerateArray().Count(n => n.GetProperty("acknowledged").GetBoolean()) == 3,
            Within,
            "the payment and both refund notifications acknowledged");
        Assert.Equal("TRADE_CLOSED", trade!.Value.GetProperty("tradeStatus").GetString());
        Assert.Equal(new[] { firstId, restId }.Order(), trade.Value.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("outRequestNo").GetString()!).Order());
        await Eventually.TrueAsync(
            async () => (await RowsAsync(id)).Count(r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal) && r.GetBoolean("Processed") == true) == 3,
            Within,
            "all three callbacks processed");

        var payment = await GetAsync(id);
        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1000, payment.GetProperty("amountRefunded").GetInt64());
        Assert.DoesNotContain(HooksFor(id), h => EventType(h) == "payment.closed");
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(restId).Any(h => EventType(h) == "refund.succeeded")), Within, "refund.succeeded webhook");
    }

    [Fact]
    public async Task TheAdapterReadsTheDaysBillFromTheSandboxWithThePaymentAndItsRefund()
    {
        string id = await CreateAsync(amount: 2500);
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        await WaitForStatusAsync(id, "succeeded");
        var refund = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-1","amount":400}""");
        string refundId = JsonDocument.Parse(await refund.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(refundId, "succeeded");
        var channel = new Channels.Alipay.AlipayChannel(fx.Http, TimeProvider.System);
        var account = await fx.ChannelAccountAsync(fx.App.AlipayChannelAccountId);

        // Bills are per Beijing day; the payment and the refund may straddle midnight.
        var days = new[] { (await GetAsync(id)).GetProperty("succeededAt"), JsonDocument.Parse(await (await fx.Client.GetAsync($"/api/v1/refunds/{refundId}")).Content.ReadAsStringAsync()).RootElement.GetProperty("succeededAt") }
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

        var payment = Assert.Single(lines, l => l.Id == id);
        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 2500L, 15L), (payment.Kind, payment.Amount.MinorUnits, payment.Fee!.Value.MinorUnits));
        Assert.Equal((await GetAsync(id)).GetProperty("channelTransactionId").GetString(), payment.ChannelTransactionId);
        var refundLine = Assert.Single(lines, l => l.Id == refundId);
        Assert.Equal((Core.Reconciliation.TransactionKind.Refund, 400L, id), (refundLine.Kind, refundLine.Amount.MinorUnits, refundLine.PaymentId));
    }

    private async Task WaitForRefundAsync(string refundId, string status) =>
        await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await (await fx.Client.GetAsync($"/api/v1/refunds/{refundId}")).Content.ReadAsStringAsync()).RootElement,
            r => r.TryGetProperty("status", out var s) && s.GetString() == status,
            Within,
            $"{refundId} to be {status} ({fx.Functions.Tail(10)})");
}
