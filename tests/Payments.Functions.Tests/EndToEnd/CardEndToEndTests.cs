using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Functions.Demo;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Storefront -> function app -> sandbox acquirer's hosted page (card entry, 3-D Secure code) ->
/// HMAC-signed JSON webhook -> merchant webhook, over real HTTP between real processes.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class CardEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private const string ApprovedCard = "4111111111111111";
    private const string DeclinedCard = "4000000000000002";
    private const string ChallengeCode = "123456";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private Task<string> CreateAsync(long amount = 1999, int? expiresInSeconds = null) =>
        Shop.CreatePaymentAsync("card", "page", amount, "CARD-", "Card E2E", expiresInSeconds, currency: "EUR");

    /// <summary>What the payer's browser does on the acquirer's page: enter the card, then the bank's code.</summary>
    private async Task<JsonElement> PayAsync(string pageUrl, string cardNumber, string? code = ChallengeCode)
    {
        var entered = await fx.Http.PostAsJsonAsync(pageUrl, new { cardNumber, expiry = "12/39", cvc = "737" });
        Assert.Equal(HttpStatusCode.OK, entered.StatusCode);
        var answer = JsonDocument.Parse(await entered.Content.ReadAsStringAsync()).RootElement;
        if (code is null || !answer.TryGetProperty("challengeUrl", out var challengeUrl))
        {
            return answer;
        }

        var challenged = await fx.Http.PostAsJsonAsync(new Uri(fx.SandboxUrl, challengeUrl.GetString()!.TrimStart('/')), new { otp = code });
        Assert.Equal(HttpStatusCode.OK, challenged.StatusCode);
        return JsonDocument.Parse(await challenged.Content.ReadAsStringAsync()).RootElement;
    }

    private Task<JsonElement?> SandboxSessionAsync(string paymentId) => fx.SandboxStateAsync($"sandbox/card/sessions/{paymentId}");

    [Fact]
    public async Task ACardPaymentPassesTheChallengeAndSucceedsFromTheSignedWebhook()
    {
        string id = await CreateAsync(amount: 1999);
        var nextAction = (await Shop.WaitForStatusAsync(id, "pending")).GetProperty("nextAction");
        Assert.Equal("redirect", nextAction.GetProperty("type").GetString());
        string url = nextAction.GetProperty("url").GetString()!;
        Assert.StartsWith(new Uri(fx.SandboxUrl, "card/pay/").ToString(), url, StringComparison.Ordinal);
        Assert.Contains("EUR 19.99", await fx.Http.GetStringAsync(url), StringComparison.Ordinal);

        Assert.Equal("authorised", (await PayAsync(url, ApprovedCard)).GetProperty("status").GetString());
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        Assert.StartsWith("PSP", paid.GetProperty("channelTransactionId").GetString(), StringComparison.Ordinal);
        Assert.Equal(1999, paid.GetProperty("amount").GetInt64());
        var hook = await Shop.WaitForHookAsync(id, "payment.succeeded");
        Assert.True(DemoWebhookInbox.Verify(hook.Signature, hook.Body, [fx.App.WebhookSecret], DateTimeOffset.UtcNow), "webhook signature must verify with the app's webhook secret");

        // We answered the acquirer's way ("[accepted]") at once, so it never retried.
        var session = await Eventually.ValueAsync(() => SandboxSessionAsync(id), s => s!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged webhook");
        Assert.Equal(1, session!.Value.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        Assert.Single(await fx.RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADeclinedCardFailsThePaymentAndTheMerchantHearsOfIt()
    {
        string id = await CreateAsync();
        var answer = await PayAsync(await Shop.PayerUrlAsync(id), DeclinedCard);
        Assert.Equal("refused", answer.GetProperty("status").GetString());

        await Shop.WaitForStatusAsync(id, "failed");
        await Shop.WaitForHookAsync(id, "payment.failed");
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.succeeded");
    }

    [Fact]
    public async Task AnExpiredSessionClosesThePaymentAndItsPageNoLongerTakesACard()
    {
        string id = await CreateAsync(expiresInSeconds: 3);
        string url = await Shop.PayerUrlAsync(id);

        await Shop.WaitForStatusAsync(id, "closed");

        var late = await fx.Http.PostAsJsonAsync(url, new { cardNumber = ApprovedCard, expiry = "12/39", cvc = "737" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("expired", (await SandboxSessionAsync(id))!.Value.GetProperty("status").GetString());
        Assert.Equal("closed", (await Shop.PaymentAsync(id)).GetProperty("status").GetString());
        await Shop.WaitForHookAsync(id, "payment.closed");
    }

    [Fact]
    public async Task CallbacksWithABadSignatureAreRefusedAndChangeNothing()
    {
        string id = await CreateAsync();
        var before = await Shop.WaitForStatusAsync(id, "pending");
        var account = await fx.ChannelAccountAsync(fx.App.CardChannelAccountId);
        string body = $$"""{"notificationId":"forged-{{Guid.NewGuid():N}}","eventCode":"AUTHORISATION","success":true,"merchantAccount":"{{account.Credential("merchantAccount")}}","merchantReference":"{{id}}","pspReference":"PSPFORGED","amount":{"value":1999,"currency":"EUR"},"eventDate":"2026-11-24T10:01:02+00:00"}""";
        string otherKey = RandomNumberGenerator.GetHexString(64);
        string signedByAnotherKey = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(otherKey), Encoding.UTF8.GetBytes(body)));

        foreach (string? signature in new[] { signedByAnotherKey, new string('0', 64), "not-hex", null })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fx.ApiUrl, $"api/v1/callbacks/card/{fx.App.CardChannelAccountId}"))
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            if (signature is not null)
            {
                request.Headers.Add("X-Card-Signature", signature);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Http.SendAsync(request)).StatusCode);
        }

        await fx.AssertUntouchedAsync(Shop, before);
    }

    [Fact]
    public async Task DuplicateWebhooksWithOneNotificationIdAreHarmless()
    {
        await fx.FaultAsync("notify", "duplicate", channel: "card");
        string id = await CreateAsync();
        await PayAsync(await Shop.PayerUrlAsync(id), ApprovedCard);
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");

        var session = await Eventually.ValueAsync(() => SandboxSessionAsync(id), s => s!.Value.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean(), Within, "the acknowledged webhook");
        Assert.True(session!.Value.GetProperty("notifications")[0].GetProperty("deliveries").GetInt32() >= 2, "the sandbox should have sent the webhook twice");
        await fx.AssertSuccessStoredOnceAsync(id);
        Assert.Equal(paid.GetProperty("channelTransactionId").GetString(), (await Shop.PaymentAsync(id)).GetProperty("channelTransactionId").GetString());
    }

    [Fact]
    public async Task PartialRefundsSucceedAndTheSettlementReportListsThePaymentAndBothRefunds()
    {
        string id = await CreateAsync(amount: 1000);
        await PayAsync(await Shop.PayerUrlAsync(id), "5555555555554444");
        await Shop.WaitForStatusAsync(id, "succeeded");

        string first = await Shop.RefundAsync(id, "R-1", 300);
        await Shop.WaitForRefundAsync(first, "succeeded");
        string rest = await Shop.RefundAsync(id, "R-2", 700);
        await Shop.WaitForRefundAsync(rest, "succeeded");

        var payment = await Shop.PaymentAsync(id);
        Assert.Equal(("succeeded", 1000L), (payment.GetProperty("status").GetString(), payment.GetProperty("amountRefunded").GetInt64()));
        var session = (await SandboxSessionAsync(id))!.Value;
        Assert.Equal(new[] { first, rest }.Order(), session.GetProperty("refunds").EnumerateArray().Select(r => r.GetProperty("reference").GetString()!).Order());

        // Reports are per booking day in the account's zone (the sandbox's default is Beijing time); the
        // payment and its refunds may straddle midnight.
        var lines = await fx.StatementLinesAsync(new Channels.Card.CardChannel(fx.Http), fx.App.CardChannelAccountId, payment.GetProperty("succeededAt").GetDateTimeOffset(), DateTimeOffset.UtcNow);

        var paid = Assert.Single(lines, l => l.Id == id);
        Assert.Equal((Core.Reconciliation.TransactionKind.Payment, 1000L, 15L), (paid.Kind, paid.Amount.MinorUnits, paid.Fee!.Value.MinorUnits));
        Assert.Equal(payment.GetProperty("channelTransactionId").GetString(), paid.ChannelTransactionId);
        Assert.Equal((300L, id), (Assert.Single(lines, l => l.Id == first).Amount.MinorUnits, Assert.Single(lines, l => l.Id == first).PaymentId));
        Assert.Equal(700L, Assert.Single(lines, l => l.Id == rest).Amount.MinorUnits);
    }

    [Fact]
    public async Task NoCardNumberIsStoredInAnyTableOrWrittenToAnyLog()
    {
        // A full card journey first, so there is something to leak: card entry, challenge, webhook, refund.
        string id = await CreateAsync(amount: 2500);
        string url = await Shop.PayerUrlAsync(id);
        var authorised = await PayAsync(url, ApprovedCard);
        Assert.Equal(("visa", "1111"), (authorised.GetProperty("card").GetProperty("brand").GetString(), authorised.GetProperty("card").GetProperty("last4").GetString()));
        await Shop.WaitForStatusAsync(id, "succeeded");
        await Shop.WaitForRefundAsync(await Shop.RefundAsync(id, "R-PAN", 500), "succeeded");
        await Eventually.TrueAsync(
            async () => (await fx.RowsAsync(id)).Count(r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal) && r.GetBoolean("Processed") == true) == 2,
            Within,
            "both webhooks processed");
        Assert.Equal([ApprovedCard], PanScanner.Find($"cardNumber={ApprovedCard}"));

        var findings = new List<string>();
        var service = new TableServiceClient(fx.Storage.ConnectionString);
        int entities = 0;
        await foreach (var table in service.QueryAsync())
        {
            if (!table.Name.StartsWith(fx.Storage.TablePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            await foreach (var entity in service.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                entities++;
                foreach (var (key, value) in entity)
                {
                    string text = value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                    findings.AddRange(PanScanner.Find(text).Select(pan => $"{table.Name}/{entity.PartitionKey}/{entity.RowKey}.{key}: {PanScanner.InContext(text, pan)}"));
                }
            }
        }

        var logLines = fx.Functions.Output.Select(line => ("functions", line)).Concat(fx.Sandbox.Output.Select(line => ("sandbox", line))).ToList();
        foreach (var (process, line) in logLines)
        {
            findings.AddRange(PanScanner.Find(line).Select(pan => $"{process} log: {PanScanner.InContext(line, pan)}"));
        }

        Assert.True(entities > 0 && logLines.Count > 0, "the scan must have read something");
        Assert.True(findings.Count == 0, "card numbers found:\n" + string.Join('\n', findings));
    }
}
