using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox UnionPay gateway -> signed form notification -> webhook, over
/// real HTTP between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class UnionPayEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private async Task<string> CreateAsync(string method = "qr", long amount = 1999, int? expiresInSeconds = null, string? returnUrl = null)
    {
        string extra = (expiresInSeconds is null ? "" : $",\"expiresInSeconds\":{expiresInSeconds}") + (returnUrl is null ? "" : $",\"returnUrl\":\"{returnUrl}\"");
        string orderNo = "UPOP-" + Guid.NewGuid().ToString("N")[..16];
        var response = await fx.Client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":{{amount}},"currency":"CNY","channel":"unionpay","method":"{{method}}","subject":"银联 E2E {{orderNo}}"{{extra}}}""");
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

    /// <summary>Our payment id as UnionPay's orderId: no underscore.</summary>
    private static string OrderId(string paymentId) => "pay" + paymentId["pay_".Length..];

    private async Task<JsonElement?> SandboxOrderAsync(string paymentId)
    {
        var response = await fx.Http.GetAsync(new Uri(fx.SandboxUrl, $"sandbox/unionpay/orders/{OrderId(paymentId)}"));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    private async Task FaultAsync(string operation, string mode) =>
        (await fx.Http.PostAsJsonAsync(new Uri(fx.SandboxUrl, "sandbox/faults"), new { channel = "unionpay", operation, mode, count = 1, delayMs = 0 })).EnsureSuccessStatusCode();

    private List<ReceivedHook> HooksFor(string subjectId) =>
        fx.Receiver.Received.Where(h => h.Body.Contains(subjectId, StringComparison.Ordinal)).ToList();

    private static string EventType(ReceivedHook hook) => JsonDocument.Parse(hook.Body).RootElement.GetProperty("type").GetString()!;

    private Task<List<TableEntity>> RowsAsync(string paymentId) =>
        fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == paymentId).ToListAsync().AsTask();

    [Fact]
    public async Task AnApprovedQrPaymentSucceedsFromTheNotificationAndTheMerchantGetsASignedWebhook()
    {
        string id = await CreateAsync(amount: 1999);
        var nextAction = (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("qr_code", nextAction.GetProperty("type").GetString());
        Assert.StartsWith(new Uri(fx.SandboxUrl, "unionpay/qr/").ToString(), nextAction.GetProperty("url").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(nextAction.GetProperty("url").GetString()!, "approve")).StatusCode);
        var paid = await WaitForStatusAsync(id, "succeeded");

        Assert.Matches("^[0-9]{21}$", paid.GetProperty("channelTransactionId").GetString());
        Assert.Equal(1999, paid.GetProperty("amount").GetInt64());
        var hook = await Eventually.ValueAsync(() => Task.FromResult(HooksFor(id).FirstOrDefault(h => EventType(h) == "payment.succeeded")), h => h is not null, Within, "the payment.succeeded webhook");
        Assert.True(DemoWebhookInbox.Verify(hook!.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // Our callback answered 200, so the sandbox stopped retrying after one attempt.
        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.Equal(1, order!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), order.Value.GetProperty("queryId").GetString());
        Assert.Single(await RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APagePaymentSendsTheBrowserToTheFrontTransactionWithTheStorefrontsReturnUrlAndSucceeds()
    {
        string id = await CreateAsync(method: "page", amount: 1230, returnUrl: "https://shop.example/orders/42");
        var nextAction = (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("redirect", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "gateway/api/frontTransReq.do?").ToString(), url, StringComparison.Ordinal);
        Assert.Contains("frontUrl=" + Uri.EscapeDataString("https://shop.example/orders/42"), url, StringComparison.Ordinal);
        Assert.Contains("orderId=" + OrderId(id), url, StringComparison.Ordinal);

        var cashier = await fx.Http.GetStringAsync(url);
        Assert.Contains("¥12.30", cashier, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(url, "approve")).StatusCode);

        await WaitForStatusAsync(id, "succeeded");
    }

    [Fact]
    public async Task ADeclinedPaymentFailsFromTheQuerySinceUnionPayNotifiesOnlySuccess()
    {
        string id = await CreateAsync();
        var declined = await fx.DecideAsync(await PayUrlAsync(id), "decline");
        Assert.Equal(HttpStatusCode.OK, declined.StatusCode);

        await WaitForStatusAsync(id, "failed");
        Assert.Empty((await SandboxOrderAsync(id))!.Value.GetProperty("notifications").EnumerateArray());
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.failed")), Within, "payment.failed webhook");
    }

    [Fact]
    public async Task AnUnpaidPaymentClosesAtExpiryAndItsCodeNoLongerPays()
    {
        string id = await CreateAsync(expiresInSeconds: 3);
        string payUrl = await PayUrlAsync(id);

        await WaitForStatusAsync(id, "closed");

        var late = await fx.DecideAsync(payUrl, "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("expired", (await SandboxOrderAsync(id))!.Value.GetProperty("status").GetString());
        Assert.Equal("closed", (await GetAsync(id)).GetProperty("status").GetString());
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.closed")), Within, "payment.closed webhook");
    }

    [Fact]
    public async Task NotificationsWithoutAUnionPayCertificateAndSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync();
        var before = await WaitForStatusAsync(id, "pending");
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

        var after = await GetAsync(id);
        Assert.Equal(before.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.Equal("pending", after.GetProperty("status").GetString());
        Assert.DoesNotContain(await RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADuplicatedNotificationIsStoredAndWebhookedOnce()
    {
        await FaultAsync("notify", "duplicate");
        string id = await CreateAsync();
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        await WaitForStatusAsync(id, "succeeded");

        var order = await Eventually.ValueAsync(() => SandboxOrderAsync(id), o => o!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.True(order!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the notification twice");
        var rows = await RowsAsync(id);
        Assert.Single(rows, r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
        Assert.Single(rows, r => r.RowKey.StartsWith("event|", StringComparison.Ordinal) && r.RowKey.Contains(Core.Ids.EventId(id, "payment.succeeded"), StringComparison.Ordinal));
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(id).Any(h => EventType(h) == "payment.succeeded")), Within, "payment.succeeded webhook");
        Assert.Single(HooksFor(id).Where(h => EventType(h) == "payment.succeeded").Select(h => JsonDocument.Parse(h.Body).RootElement.GetProperty("id").GetString()).Distinct());
    }

    [Fact]
    public async Task APartialRefundAndASecondForTheRestBothSucceedByNotification()
    {
        string id = await CreateAsync(amount: 1000);
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        await WaitForStatusAsync(id, "succeeded");

        var first = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-1","amount":300,"reason":"顾客退货"}""");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        string firstId = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(firstId, "succeeded");

        var rest = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-2","amount":700}""");
        Assert.Equal(HttpStatusCode.Accepted, rest.StatusCode);
        string restId = JsonDocument.Parse(await rest.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(restId, "succeeded");

        var order = await Eventually.ValueAsync(
            () => SandboxOrderAsync(id),
            o => o!.Value.GetProperty("notifications").EnumerateArray().Count(n => n.GetProperty("acknowledged").GetBoolean()) == 3,
            Within,
            "the payment and both refund notifications acknowledged");
        Assert.Equal(new[] { 300L, 700L }, order!.Value.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("txnAmt").GetInt64()).Order());
        var payment = await GetAsync(id);
        Assert.Equal("succeeded", payment.GetProperty("status").GetString());
        Assert.Equal(1000, payment.GetProperty("amountRefunded").GetInt64());
        await Eventually.TrueAsync(() => Task.FromResult(HooksFor(restId).Any(h => EventType(h) == "refund.succeeded")), Within, "refund.succeeded webhook");
    }

    [Fact]
    public async Task TheAdapterReadsTheDaysSettlementFileWithThePaymentAndItsRefund()
    {
        string id = await CreateAsync(amount: 2500);
        await fx.DecideAsync(await PayUrlAsync(id), "approve");
        await WaitForStatusAsync(id, "succeeded");
        var refund = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-1","amount":400}""");
        string refundId = JsonDocument.Parse(await refund.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        await WaitForRefundAsync(refundId, "succeeded");
        var channel = new Channels.UnionPay.UnionPayChannel(fx.Http, TimeProvider.System);
        var account = await fx.ChannelAccountAsync(fx.App.UnionPayChannelAccountId!);

        // Files are per Beijing day; the payment and the refund may straddle midnight.
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
        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 2500L, 14L), (payment.Kind, payment.Amount.MinorUnits, payment.Fee!.Value.MinorUnits));
        Assert.Equal((await GetAsync(id)).GetProperty("channelTransactionId").GetString(), payment.ChannelTransactionId);
        var refundLine = Assert.Single(lines, l => l.Id == refundId);
        Assert.Equal((Core.Reconciliation.TransactionKind.Refund, 400L, -2L, id), (refundLine.Kind, refundLine.Amount.MinorUnits, refundLine.Fee!.Value.MinorUnits, refundLine.PaymentId));
    }

    private async Task WaitForRefundAsync(string refundId, string status) =>
        await Eventually.ValueAsync(
            async () => JsonDocument.Parse(await (await fx.Client.GetAsync($"/api/v1/refunds/{refundId}")).Content.ReadAsStringAsync()).RootElement,
            r => r.TryGetProperty("status", out var s) && s.GetString() == status,
            Within,
            $"{refundId} to be {status} ({fx.Functions.Tail(10)})");
}
