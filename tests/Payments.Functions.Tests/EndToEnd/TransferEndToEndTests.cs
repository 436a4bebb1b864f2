using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox bank (virtual account and reference) -> the payer's transfer(s) ->
/// HMAC-signed notification and follow-up queries -> merchant webhook, over real HTTP between real processes.
/// The payer sets the amount here, so partial, exact and excess transfers all reach the core.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class TransferEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(40);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private Task<string> CreateAsync(long amount = 10000, int? expiresInSeconds = null) =>
        Shop.CreatePaymentAsync("transfer", "page", amount, "XFER-", "Transfer E2E", expiresInSeconds);

    /// <summary>The payer's bank sending money to the reference: the amount still due, or <paramref name="amount"/> fen.</summary>
    private async Task<JsonElement> TransferAsync(string pageUrl, string decision = "approve", long? amount = null)
    {
        var response = await fx.Http.PostAsJsonAsync(pageUrl, amount is null ? (object)new { decision } : new { decision, amount });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    private async Task<JsonElement> SandboxCollectionAsync(string paymentId)
    {
        var response = await fx.Http.GetAsync(new Uri(fx.SandboxUrl, $"sandbox/transfer/collections/{paymentId}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
    }

    /// <summary>The one automatic refund the core made for <paramref name="paymentId"/>, once it succeeded.</summary>
    private async Task<JsonElement> AutomaticRefundAsync(string paymentId, string prefix)
    {
        var refunds = await Eventually.ValueAsync(
            () => Shop.RefundsAsync(paymentId),
            d => d.EnumerateArray().Any(r => r.GetProperty("merchantRefundNo").GetString()!.StartsWith(prefix, StringComparison.Ordinal) && r.GetProperty("status").GetString() == "succeeded"),
            Within,
            $"the {prefix} refund of {paymentId} to succeed ({fx.Functions.Tail(10)})");
        return Assert.Single(refunds.EnumerateArray(), r => r.GetProperty("merchantRefundNo").GetString()!.StartsWith(prefix, StringComparison.Ordinal));
    }

    private async Task<List<JsonElement>> ExceptionsAboutAsync(string paymentId)
    {
        var response = await fx.AdminAsync(HttpMethod.Get, "/api/v1/admin/exceptions?limit=100&status=all&kind=payment", fx.OperatorKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("data").EnumerateArray()
            .Where(e => e.GetProperty("paymentId").GetString() == paymentId)];
    }

    [Fact]
    public async Task AnExactTransferSucceedsThePaymentFromTheSignedNotificationAndTheMerchantHearsOfIt()
    {
        string id = await CreateAsync(amount: 12345);
        var nextAction = (await Shop.WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("bank_transfer", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "transfer/pay/").ToString(), url, StringComparison.Ordinal);
        string page = await fx.Http.GetStringAsync(url);
        Assert.Contains("CNY 123.45", page, StringComparison.Ordinal);
        Assert.Contains((await SandboxCollectionAsync(id)).GetProperty("collectionId").GetString()!, url, StringComparison.Ordinal);

        Assert.Equal("PAID", (await TransferAsync(url)).GetProperty("status").GetString());
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        var collection = await SandboxCollectionAsync(id);
        Assert.Equal(collection.GetProperty("collectionId").GetString(), paid.GetProperty("channelTransactionId").GetString());
        Assert.Equal(12345, paid.GetProperty("amount").GetInt64());
        var hook = await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.True(DemoWebhookInbox.Verify(hook.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // We acknowledged the bank's way at once, so it never retried.
        var acknowledged = await Eventually.ValueAsync(() => SandboxCollectionAsync(id), c => c.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.Equal(1, acknowledged.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Equal(0, (await Shop.RefundsAsync(id)).GetArrayLength());
    }

    [Fact]
    public async Task APartialTransferKeepsThePaymentPendingAndListedUntilATopUpPaysIt()
    {
        string id = await CreateAsync(amount: 10000);
        string url = await Shop.PayerUrlAsync(id);
        Assert.Equal("PARTIALLY_PAID", (await TransferAsync(url, amount: 3000)).GetProperty("status").GetString());

        var exception = (await Eventually.ValueAsync(() => ExceptionsAboutAsync(id), l => l.Count > 0, Within, $"the partial payment's exception ({fx.Functions.Tail(10)})")).Single();
        Assert.StartsWith("partial_payment", exception.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("pending", (await Shop.PaymentAsync(id)).GetProperty("status").GetString());
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.succeeded");

        Assert.Equal("PAID", (await TransferAsync(url, amount: 7000)).GetProperty("status").GetString());
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");
        Assert.Equal(10000, paid.GetProperty("amount").GetInt64());
        await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.Equal(0, (await Shop.RefundsAsync(id)).GetArrayLength());
        Assert.Equal(10000, (await SandboxCollectionAsync(id)).GetProperty("amountCredited").GetInt64());
    }

    [Fact]
    public async Task AnOverpaymentSucceedsForTheAmountDueTheExcessGoesBackAndTheMerchantCanStillRefundEverything()
    {
        string id = await CreateAsync(amount: 10000);
        Assert.Equal("PAID", (await TransferAsync(await Shop.PayerUrlAsync(id), amount: 15000)).GetProperty("status").GetString());

        var paid = await Shop.WaitForStatusAsync(id, "succeeded");
        Assert.Equal(10000, paid.GetProperty("amount").GetInt64());
        string collectionId = paid.GetProperty("channelTransactionId").GetString()!;
        var excess = await AutomaticRefundAsync(id, "auto-over-");
        Assert.Equal(("auto-over-" + collectionId, 5000L), (excess.GetProperty("merchantRefundNo").GetString(), excess.GetProperty("amount").GetInt64()));
        Assert.Contains(await ExceptionsAboutAsync(id), e => e.GetProperty("reason").GetString()!.StartsWith("overpayment", StringComparison.Ordinal));
        var view = JsonDocument.Parse(await (await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/payments/{id}", fx.AuditorKey)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(15000, view.GetProperty("amountReceived").GetInt64());
        Assert.Contains(view.GetProperty("refunds").EnumerateArray(), r => r.GetProperty("automatic").GetBoolean() && r.GetProperty("channelTransactionId").GetString() == collectionId);

        string refundId = await Shop.RefundAsync(id, "R-ALL", 10000);
        await Shop.WaitForRefundAsync(refundId, "succeeded");
        var payment = await Shop.PaymentAsync(id);
        Assert.Equal(("succeeded", 10000L), (payment.GetProperty("status").GetString(), payment.GetProperty("amountRefunded").GetInt64()));

        var atBank = (await SandboxCollectionAsync(id)).GetProperty("refunds").EnumerateArray().ToList();
        Assert.Equal(
            new[] { (excess.GetProperty("id").GetString()!, 5000L), (refundId, 10000L) }.Order(),
            atBank.Select(r => (r.GetProperty("refundRef").GetString()!, r.GetProperty("amount").GetInt64())).Order());
        Assert.All(atBank, r => Assert.Equal("SUCCEEDED", r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task APartialTransferThenExpiryClosesThePaymentAndReturnsWhatArrived()
    {
        string id = await CreateAsync(amount: 10000, expiresInSeconds: 8);
        Assert.Equal("PARTIALLY_PAID", (await TransferAsync(await Shop.PayerUrlAsync(id), amount: 2500)).GetProperty("status").GetString());

        await Shop.WaitForStatusAsync(id, "closed");
        var returned = await AutomaticRefundAsync(id, "auto-partial-");
        Assert.Equal(2500, returned.GetProperty("amount").GetInt64());
        var collection = await SandboxCollectionAsync(id);
        Assert.Equal("EXPIRED", collection.GetProperty("status").GetString());
        var atBank = Assert.Single(collection.GetProperty("refunds").EnumerateArray());
        Assert.Equal((returned.GetProperty("id").GetString(), 2500L, "SUCCEEDED"), (atBank.GetProperty("refundRef").GetString(), atBank.GetProperty("amount").GetInt64(), atBank.GetProperty("status").GetString()));
        Assert.Contains(await ExceptionsAboutAsync(id), e => e.GetProperty("reason").GetString()!.StartsWith("partial_payment_returned", StringComparison.Ordinal));
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.succeeded");
    }

    [Fact]
    public async Task ADeclinedTransferCreditsNothingAndTheReferenceStillTakesTheRealOne()
    {
        string id = await CreateAsync(amount: 5000);
        string url = await Shop.PayerUrlAsync(id);
        var declined = await TransferAsync(url, decision: "decline");
        Assert.Equal(("REJECTED", 0L), (declined.GetProperty("outcome").GetString(), declined.GetProperty("amountCredited").GetInt64()));

        var collection = await SandboxCollectionAsync(id);
        Assert.Equal((1, 0, "OPEN"), (collection.GetProperty("rejectedTransfers").GetInt32(), collection.GetProperty("notifications").GetArrayLength(), collection.GetProperty("status").GetString()));
        Assert.Equal("pending", (await Shop.PaymentAsync(id)).GetProperty("status").GetString());

        await TransferAsync(url);
        await Shop.WaitForStatusAsync(id, "succeeded");
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.failed");
    }

    [Fact]
    public async Task AReferenceThatExpiresWithNothingCreditedClosesThePaymentWithoutARefund()
    {
        string id = await CreateAsync(expiresInSeconds: 4);
        string url = await Shop.PayerUrlAsync(id);

        await Shop.WaitForStatusAsync(id, "closed");
        await Shop.WaitForHookAsync(id, "payment.closed");
        Assert.Equal("EXPIRED", (await SandboxCollectionAsync(id)).GetProperty("status").GetString());
        Assert.Equal("RETURNED", (await TransferAsync(url)).GetProperty("outcome").GetString());
        Assert.Equal(0, (await Shop.RefundsAsync(id)).GetArrayLength());
        Assert.Equal("closed", (await Shop.PaymentAsync(id)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task CallbacksWithABadSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync(amount: 12345);
        var before = await Shop.WaitForStatusAsync(id, "pending");
        var account = await fx.ChannelAccountAsync(fx.App.TransferChannelAccountId);
        string collectionId = (await SandboxCollectionAsync(id)).GetProperty("collectionId").GetString()!;
        string body = $$$"""{"notificationId":"EVTFORGED{{{Guid.NewGuid():N}}}","eventType":"CREDIT_RECEIVED","corporateId":"{{{account.Credential("corporateId")}}}","occurredAt":"2026-11-24T10:01:02+00:00","collection":{"collectionId":"{{{collectionId}}}","merchantRef":"{{{id}}}","status":"PAID","currency":"CNY","amountDue":12345,"amountCredited":12345,"amountRefunded":0,"expiresAt":"2026-11-25T10:00:00+00:00","paidAt":"2026-11-24T10:01:00+00:00","credits":[{"creditId":"CRFORGED","amount":12345,"creditedAt":"2026-11-24T10:01:00+00:00"}]}}""";
        string timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        string Sign(string keyHex) => Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(keyHex), Encoding.UTF8.GetBytes($"{timestamp}\n{nonce}\n{body}")));

        // Another key, the request key instead of the notification key, zeros, not hex, none.
        foreach (string? signature in new[] { Sign(RandomNumberGenerator.GetHexString(64)), Sign(account.Credential("apiKeyHex")), new string('0', 64), "not-hex", null })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fx.ApiUrl, $"api/v1/callbacks/transfer/{fx.App.TransferChannelAccountId}"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Bank-Timestamp", timestamp);
            request.Headers.Add("X-Bank-Nonce", nonce);
            if (signature is not null)
            {
                request.Headers.Add("X-Bank-Signature", signature);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Http.SendAsync(request)).StatusCode);
        }

        await fx.AssertUntouchedAsync(Shop, before);
    }

    [Fact]
    public async Task ADuplicatedNotificationIsStoredOnceAndTheMerchantHearsOnce()
    {
        await fx.FaultAsync("notify", "duplicate", channel: "transfer");
        string id = await CreateAsync();
        await TransferAsync(await Shop.PayerUrlAsync(id));
        await Shop.WaitForStatusAsync(id, "succeeded");

        var collection = await Eventually.ValueAsync(() => SandboxCollectionAsync(id), c => c.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged notification");
        Assert.True(collection.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the notification twice");
        await fx.AssertSuccessStoredOnceAsync(id);
        await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.Single(Shop.HooksFor(id), h => h.Type == "payment.succeeded");
    }

    [Fact]
    public async Task MerchantRefundsGoBackToThePayerAndTheStatementListsTheCreditAndBothReturns()
    {
        string id = await CreateAsync(amount: 10000);
        await TransferAsync(await Shop.PayerUrlAsync(id));
        await Shop.WaitForStatusAsync(id, "succeeded");

        string first = await Shop.RefundAsync(id, "R-1", 3000);
        await Shop.WaitForRefundAsync(first, "succeeded");
        string rest = await Shop.RefundAsync(id, "R-2", 7000);
        await Shop.WaitForRefundAsync(rest, "succeeded");
        var tooMuch = await fx.Client.PostAsync($"/api/v1/payments/{id}/refunds", """{"merchantRefundNo":"R-3","amount":1}""");
        Assert.False(tooMuch.IsSuccessStatusCode);

        var payment = await Shop.PaymentAsync(id);
        Assert.Equal(("succeeded", 10000L), (payment.GetProperty("status").GetString(), payment.GetProperty("amountRefunded").GetInt64()));

        // Statements are per value day in Beijing time; the payment and its refunds may straddle midnight.
        var lines = await fx.StatementLinesAsync(new Channels.Transfer.TransferChannel(fx.Http), fx.App.TransferChannelAccountId, payment.GetProperty("succeededAt").GetDateTimeOffset(), DateTimeOffset.UtcNow);

        var credit = Assert.Single(lines, l => l.Id == id);
        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 10000L, payment.GetProperty("channelTransactionId").GetString()), (credit.Kind, credit.Amount.MinorUnits, credit.ChannelTransactionId));
        Assert.Equal((3000L, id), (Assert.Single(lines, l => l.Id == first).Amount.MinorUnits, Assert.Single(lines, l => l.Id == first).PaymentId));
        Assert.Equal(7000L, Assert.Single(lines, l => l.Id == rest).Amount.MinorUnits);
    }
}
