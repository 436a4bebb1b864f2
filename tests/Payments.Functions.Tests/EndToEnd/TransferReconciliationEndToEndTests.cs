using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Payments.Core.Reconciliation;
using Payments.Infrastructure.Reconciliation;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// T+1 reconciliation of a bank transfer account, where the payer sets the amount, through real processes: a reference
/// paid in two credits, one over-paid (the excess returned automatically) and one closed holding a partial credit (returned
/// automatically), reconciled against the bank statement the sandbox serves, which lists every credit and every return.
/// The fixture is this class's own (its own sandbox, function app and tables), so its statements carry only these flows.
/// </summary>
public sealed class TransferReconciliationEndToEndTests(ReconciliationFixture fx) : IClassFixture<ReconciliationFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    private string Account => fx.Statements.TransferChannelAccountId!;

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Id(JsonElement e) => e.GetProperty("id").GetString()!;

    /// <summary>A transfer payment of <paramref name="due"/> fen, and the page where the payer's bank sends money to its reference.</summary>
    private static async Task<(string Id, string PageUrl)> CreateAsync(Storefront shop, long due)
    {
        string id = await shop.CreatePaymentAsync("transfer", "page", due, "XREC-", "Reconciled", expiresInSeconds: 1800);
        return (id, await shop.PayerUrlAsync(id));
    }

    /// <summary>The payer's bank crediting <paramref name="fen"/> to the reference; returns the bank's collection status.</summary>
    private async Task<string> CreditAsync(string pageUrl, long fen)
    {
        var response = await fx.Http.PostAsJsonAsync(pageUrl, new { decision = "approve", amount = fen });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await ReconciliationFixture.JsonAsync(response)).GetProperty("status").GetString()!;
    }

    /// <summary>The automatic refund the core made for a payment, once it reached the payer.</summary>
    private async Task<JsonElement> AutomaticRefundAsync(Storefront shop, string paymentId, string prefix)
    {
        var refunds = await Eventually.ValueAsync(
            () => shop.RefundsAsync(paymentId),
            d => d.EnumerateArray().Any(r => r.GetProperty("merchantRefundNo").GetString()!.StartsWith(prefix, StringComparison.Ordinal) && r.GetProperty("status").GetString() == "succeeded"),
            Within,
            $"the {prefix} refund of {paymentId} to succeed ({fx.Functions.Tail(10)})");
        return Assert.Single(refunds.EnumerateArray());
    }

    private async Task WaitIndexedAsync(DateOnly day, int count)
    {
        var index = new TableReconciliationIndex(fx.Clients, ReconciliationOptions.Default);
        await Eventually.ValueAsync(
            async () => await index.ReadDayAsync(Account, day, CancellationToken.None).CountAsync(), n => n == count, Within, $"{count} index entries of {Account} on {Day(day)}");
    }

    private async Task MutateAsync(DateOnly day, string kind, string transactionId, object? value)
    {
        var response = await fx.SandboxAsync(HttpMethod.Post, $"sandbox/statements/transfer/{Account}/{Day(day)}/mutations", new { kind, transactionId, value });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> ReconcileAsync(DateOnly day)
    {
        var started = await fx.AdminAsync(HttpMethod.Post, "/api/v1/admin/reconciliations", $$"""{"channelAccountId":"{{Account}}","date":"{{Day(day)}}"}""");
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        string id = Id(await ReconciliationFixture.JsonAsync(started));
        var run = await Eventually.ValueAsync(
            async () => await ReconciliationFixture.JsonAsync(await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/reconciliations/{id}")),
            r => r.GetProperty("status").GetString() != "running", Within, $"{id} to finish ({fx.Functions.Tail(10)})");
        Assert.True(run.GetProperty("status").GetString() == "completed", run.ToString());
        return run;
    }

    private async Task<Dictionary<string, string>> CategoriesAsync(string runId)
    {
        var page = await ReconciliationFixture.JsonAsync(await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/reconciliations/{runId}/discrepancies?limit=100"));
        Assert.False(page.GetProperty("hasMore").GetBoolean());
        return page.GetProperty("data").EnumerateArray().ToDictionary(d => d.GetProperty("transactionId").GetString()!, d => d.GetProperty("category").GetString()!);
    }

    private static (long Count, long Matched, long Amount) Totals(JsonElement run, string side, string kind)
    {
        var t = run.GetProperty("totals").GetProperty(side).GetProperty(kind);
        return (t.GetProperty("count").GetInt64(), t.GetProperty("matched").GetInt64(), t.GetProperty("matchedAmount").GetInt64());
    }

    [Fact]
    public async Task PartialThenTopUpOverpaymentAndPartialThenCloseReconcileWithNoDiscrepancyAndRealDifferencesAreStillFound()
    {
        var shop = fx.StorefrontOf(fx.Statements, Within);

        // Two credits to one reference; 0.6% of each rounds up (13.5 and 46.5 fen), one fen more than 0.6% of their sum.
        var (toppedUp, toppedUpPage) = await CreateAsync(shop, 10000);
        Assert.Equal("PARTIALLY_PAID", await CreditAsync(toppedUpPage, 2250));
        Assert.Equal("PAID", await CreditAsync(toppedUpPage, 7750));
        var paid = await shop.WaitForStatusAsync(toppedUp, "succeeded");

        var (overpaid, overpaidPage) = await CreateAsync(shop, 10000);
        Assert.Equal("PAID", await CreditAsync(overpaidPage, 12500));
        Assert.Equal(10000, (await shop.WaitForStatusAsync(overpaid, "succeeded")).GetProperty("amount").GetInt64());
        var excess = await AutomaticRefundAsync(shop, overpaid, "auto-over-");
        Assert.Equal(2500, excess.GetProperty("amount").GetInt64());

        var (closed, closedPage) = await CreateAsync(shop, 10000);
        Assert.Equal("PARTIALLY_PAID", await CreditAsync(closedPage, 3000));
        var close = await shop.Client.PostAsync($"/api/v1/payments/{closed}/close", "{}");
        Assert.True(close.StatusCode == HttpStatusCode.Accepted, await close.Content.ReadAsStringAsync());
        await shop.WaitForStatusAsync(closed, "closed");
        var held = await AutomaticRefundAsync(shop, closed, "auto-partial-");
        Assert.Equal(3000, held.GetProperty("amount").GetInt64());

        var day = BusinessCalendar.DayOf(DateTimeOffset.Parse(paid.GetProperty("succeededAt").GetString()!, CultureInfo.InvariantCulture), BusinessCalendar.ChinaStandardTime);
        await WaitIndexedAsync(day, 5);

        var clean = await ReconcileAsync(day);

        Assert.Equal(0, clean.GetProperty("discrepancies").GetInt32());
        Assert.Empty(await CategoriesAsync(Id(clean)));
        Assert.Equal((3L, 3L, 10000L + 12500 + 3000), Totals(clean, "statement", "payments"));
        Assert.Equal((2L, 2L, 2500L + 3000), Totals(clean, "statement", "refunds"));
        Assert.Equal((3L, 3L, 10000L + 12500 + 3000), Totals(clean, "system", "payments"));
        var check = clean.GetProperty("internalCheck");
        Assert.Equal((5, 0, 0), (check.GetProperty("checked").GetInt32(), check.GetProperty("mismatched").GetInt32(), check.GetProperty("notIndexed").GetInt32()));

        // The bank charging a wrong fee on both credits of the topped-up reference, and losing the closed one's credit.
        await MutateAsync(day, "fee", toppedUp, 1);
        await MutateAsync(day, "drop", closed, null);

        var injected = await ReconcileAsync(day);

        Assert.Equal(
            new Dictionary<string, string> { [toppedUp] = "fee_mismatch", [closed] = "missing_in_channel" },
            await CategoriesAsync(Id(injected)));
    }
}
