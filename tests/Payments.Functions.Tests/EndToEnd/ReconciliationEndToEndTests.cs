using System.Globalization;
using System.Net;
using System.Text.Json;
using Payments.Channels.UnionPay;
using Payments.Core;
using Payments.Core.Reconciliation;
using Payments.Functions.Demo;
using Payments.Infrastructure.Reconciliation;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// T+1 reconciliation through real processes: payments and refunds made today through the sandbox, today reconciled
/// through the admin API against the statement the sandbox serves, then differences injected with the sandbox's
/// statement mutations and reconciled again. Each channel reconciles its own account.
/// </summary>
public sealed class ReconciliationEndToEndTests(ReconciliationFixture fx) : IClassFixture<ReconciliationFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private static string AccountOf(SeededApp app, string channel) => channel switch
    {
        "alipay" => app.AlipayChannelAccountId!,
        "card" => app.CardChannelAccountId!,
        "transfer" => app.TransferChannelAccountId!,
        "ecny" => app.EcnyChannelAccountId!,
        "unionpay" => app.UnionPayChannelAccountId!,
        _ => app.ChannelAccountId,
    };

    private static DateOnly ChinaDay(JsonElement payment) =>
        BusinessCalendar.DayOf(DateTimeOffset.Parse(payment.GetProperty("succeededAt").GetString()!, CultureInfo.InvariantCulture), BusinessCalendar.ChinaStandardTime);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A payment created and approved at the sandbox's payer page.</summary>
    private async Task<string> ApprovedAsync(Storefront shop, string channel, long amount)
    {
        string id = await shop.CreatePaymentAsync(channel, MethodOf(channel), amount, "REC-", "Reconciled", expiresInSeconds: 1800);
        var pending = await shop.WaitForStatusAsync(id, "pending");
        if (channel == "card")
        {
            await PayByCardAsync(pending.GetProperty("nextAction").GetProperty("url").GetString()!);
            return id;
        }

        var approved = await fx.Http.PostAsync(pending.GetProperty("nextAction").GetProperty("url").GetString(), JsonContent("""{"decision":"approve"}"""));
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        return id;
    }

    private static string MethodOf(string channel) => channel switch
    {
        "card" => "page",
        "transfer" => "page",
        _ => "qr",
    };

    /// <summary>The payer on the acquirer's hosted page: a test card, then the bank's one-time code.</summary>
    private async Task PayByCardAsync(string pageUrl)
    {
        var entered = await fx.Http.PostAsync(pageUrl, JsonContent("""{"cardNumber":"4111111111111111","expiry":"12/39","cvc":"737"}"""));
        Assert.Equal(HttpStatusCode.OK, entered.StatusCode);
        string challenge = (await ReconciliationFixture.JsonAsync(entered)).GetProperty("challengeUrl").GetString()!;
        var answered = await fx.Http.PostAsync(new Uri(fx.SandboxUrl, challenge.TrimStart('/')), JsonContent("""{"otp":"123456"}"""));
        Assert.Equal("authorised", (await ReconciliationFixture.JsonAsync(answered)).GetProperty("status").GetString());
    }

    /// <summary>Whether the channel's sandbox holds the payment as paid, in the channel's own words.</summary>
    private async Task<bool> PaidAtChannelAsync(string channel, string id) => channel switch
    {
        "alipay" => (await InspectAsync($"sandbox/alipay/trades/{id}")).GetProperty("tradeStatus").GetString()!.Contains("SUCCESS", StringComparison.Ordinal),
        "card" => (await InspectAsync($"sandbox/card/sessions/{id}")).GetProperty("status").GetString() == "authorised",
        "transfer" => (await InspectAsync($"sandbox/transfer/collections/{id}")).GetProperty("status").GetString() == "PAID",
        "ecny" => (await InspectAsync($"sandbox/ecny/orders/{id}")).GetProperty("status").GetString() is "SUCCESS" or "REFUND",
        "unionpay" => (await InspectAsync($"sandbox/unionpay/orders/{StatementId(channel, id)}")).GetProperty("status").GetString() == "paid",
        _ => (await InspectAsync($"sandbox/wechatpay/orders/{id}")).GetProperty("tradeState").GetString()!.Contains("SUCCESS", StringComparison.Ordinal),
    };

    private async Task<JsonElement> InspectAsync(string path) => await ReconciliationFixture.JsonAsync(await fx.SandboxAsync(HttpMethod.Get, path));

    private async Task<JsonElement> PaidAsync(Storefront shop, string channel, long amount) =>
        await shop.WaitForStatusAsync(await ApprovedAsync(shop, channel, amount), "succeeded");

    /// <summary>A refund that reached the payer: WeChat Pay's is settled at the sandbox, Alipay's succeeds at once.</summary>
    private async Task<string> RefundedAsync(Storefront shop, string channel, string paymentId, long amount)
    {
        string refundId = await shop.RefundAsync(paymentId, $"R-{amount}", amount);
        if (channel == "wechatpay")
        {
            await shop.WaitForRefundAsync(refundId, "pending");
            (await fx.SandboxAsync(HttpMethod.Post, $"sandbox/wechatpay/refunds/{refundId}/settle", new { status = "SUCCESS" })).EnsureSuccessStatusCode();
        }

        await shop.WaitForRefundAsync(refundId, "succeeded");
        return refundId;
    }

    /// <summary>The index is fed by the outbox after each commit: wait until it holds the day's final records.</summary>
    private async Task WaitIndexedAsync(string account, DateOnly day, int count)
    {
        var index = new TableReconciliationIndex(fx.Clients, ReconciliationOptions.Default);
        await Eventually.ValueAsync(
            async () => await index.ReadDayAsync(account, day, CancellationToken.None).CountAsync(), n => n == count, Within, $"{count} index entries of {account}");
    }

    /// <summary>
    /// Our payment or refund id as the channel's statement carries it: UnionPay's orderId admits letters and digits
    /// only, so its lines name the adapter's mapping of our ids, which its statement parser maps back.
    /// </summary>
    private static string StatementId(string channel, string id) => channel switch
    {
        "unionpay" => UnionPayOrderId.FromId(id) ?? throw new ArgumentException($"{id} is not an id UnionPay can carry", nameof(id)),
        _ => id,
    };

    private async Task MutateAsync(string channel, string account, DateOnly day, string kind, string transactionId, object? value)
    {
        var response = await fx.SandboxAsync(HttpMethod.Post, $"sandbox/statements/{channel}/{account}/{Day(day)}/mutations", new { kind, transactionId = StatementId(channel, transactionId), value });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Starts a run through the admin API and waits for it to finish; fails the test if the run failed.</summary>
    private async Task<JsonElement> ReconcileAsync(string account, DateOnly day)
    {
        var started = await fx.AdminAsync(HttpMethod.Post, "/api/v1/admin/reconciliations", $$"""{"channelAccountId":"{{account}}","date":"{{Day(day)}}"}""");
        Assert.True(started.StatusCode == HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        string id = (await ReconciliationFixture.JsonAsync(started)).GetProperty("id").GetString()!;
        Assert.Equal($"/api/v1/admin/reconciliations/{id}", started.Headers.Location?.ToString());

        var run = await Eventually.ValueAsync(
            async () => await ReconciliationFixture.JsonAsync(await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/reconciliations/{id}")),
            r => r.GetProperty("status").GetString() != "running", Within, $"{id} to finish ({fx.Functions.Tail(10)})");
        Assert.True(run.GetProperty("status").GetString() == "completed", run.ToString());
        return run;
    }

    /// <summary>Every discrepancy of a run, read two at a time to go through the cursor.</summary>
    private async Task<List<JsonElement>> DiscrepanciesAsync(string runId, string? category = null)
    {
        var all = new List<JsonElement>();
        string? after = null;
        while (true)
        {
            string query = "limit=2" + (after is null ? "" : "&startingAfter=" + after) + (category is null ? "" : "&category=" + category);
            var page = await ReconciliationFixture.JsonAsync(await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/reconciliations/{runId}/discrepancies?{query}"));
            var items = page.GetProperty("data").EnumerateArray().ToList();
            all.AddRange(items);
            if (!page.GetProperty("hasMore").GetBoolean())
            {
                return all;
            }

            after = items[^1].GetProperty("id").GetString();
        }
    }

    private static Dictionary<string, string> Categories(IEnumerable<JsonElement> discrepancies) =>
        discrepancies.ToDictionary(d => d.GetProperty("transactionId").GetString()!, d => d.GetProperty("category").GetString()!);

    private static string Id(JsonElement e) => e.GetProperty("id").GetString()!;

    /// <summary>A discrepancy as text, without the channel id of the line added under <paramref name="invented"/>.</summary>
    private static string Essence(JsonElement d, string invented)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(d.GetRawText())!;
        if (d.GetProperty("transactionId").GetString() == invented)
        {
            node["channel"]!.AsObject().Remove("channelTransactionId");
        }

        return node.ToJsonString();
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("wechatpay")]
    [InlineData("alipay")]
    [InlineData("card")]
    [InlineData("ecny")]
    [InlineData("transfer")]
    [InlineData("unionpay")]
    public async Task ACleanDayHasNoDiscrepancyAndADayWithEveryInjectedDifferenceHasExactlyThose(string channel)
    {
        var shop = fx.StorefrontOf(fx.Statements, Within);
        string account = AccountOf(fx.Statements, channel);
        var payments = new List<JsonElement>();
        for (int i = 0; i < 5; i++)
        {
            payments.Add(await PaidAsync(shop, channel, 1001 + i));
        }

        string[] ids = [.. payments.Select(Id)];
        string refundOf3 = await RefundedAsync(shop, channel, ids[3], 300);
        string refundOf4 = await RefundedAsync(shop, channel, ids[4], 400);
        var day = ChinaDay(payments[0]);
        await WaitIndexedAsync(account, day, 7);

        var clean = await ReconcileAsync(account, day);

        Assert.Equal(0, clean.GetProperty("discrepancies").GetInt32());
        Assert.All(clean.GetProperty("counts").EnumerateObject(), c => Assert.Equal(0, c.Value.GetInt32()));
        Assert.Empty(await DiscrepanciesAsync(Id(clean)));
        var totals = clean.GetProperty("totals");
        Assert.Equal((5, 5), (totals.GetProperty("statement").GetProperty("payments").GetProperty("count").GetInt32(), totals.GetProperty("statement").GetProperty("payments").GetProperty("matched").GetInt32()));
        Assert.Equal((2, 2), (totals.GetProperty("statement").GetProperty("refunds").GetProperty("count").GetInt32(), totals.GetProperty("statement").GetProperty("refunds").GetProperty("matched").GetInt32()));
        Assert.Equal(1001 + 1002 + 1003 + 1004 + 1005, totals.GetProperty("system").GetProperty("payments").GetProperty("matchedAmount").GetInt64());
        var check = clean.GetProperty("internalCheck");
        Assert.Equal((7, 0, 0), (check.GetProperty("checked").GetInt32(), check.GetProperty("mismatched").GetInt32(), check.GetProperty("notIndexed").GetInt32()));

        // UnionPay can carry only ids of our shape, so there the line names a payment id we never issued.
        string extra = channel == "unionpay"
            ? Ids.PaymentId(fx.Statements.AppId, "INJECTED-" + Guid.NewGuid().ToString("N"))
            : "pay_injected" + Guid.NewGuid().ToString("N")[..12];
        await MutateAsync(channel, account, day, "drop", ids[0], null);
        await MutateAsync(channel, account, day, "add", extra, 4321);
        await MutateAsync(channel, account, day, "amount", ids[1], 1);
        await MutateAsync(channel, account, day, "status", ids[2], "CLOSED");
        await MutateAsync(channel, account, day, "fee", ids[3], 99);
        await MutateAsync(channel, account, day, "drop", refundOf4, null);

        var injected = await ReconcileAsync(account, day);
        var found = await DiscrepanciesAsync(Id(injected));

        Assert.Equal(Id(clean), Id(injected));
        Assert.Equal(
            new Dictionary<string, string>
            {
                [ids[0]] = "missing_in_channel",
                [extra] = "missing_in_system",
                [ids[1]] = "amount_mismatch",
                [ids[2]] = "status_mismatch",
                [ids[3]] = "fee_mismatch",
                [refundOf4] = "missing_in_channel",
            },
            Categories(found));
        Assert.All(found, d => Assert.Equal("reported", d.GetProperty("resolution").GetString()));
        Assert.Equal(6, injected.GetProperty("discrepancies").GetInt32());
        Assert.Equal(2, injected.GetProperty("counts").GetProperty("missing_in_channel").GetInt32());
        Assert.Equal(JsonValueKind.Null, found.Single(d => d.GetProperty("transactionId").GetString() == ids[0]).GetProperty("channel").ValueKind);
        Assert.Equal(JsonValueKind.Null, found.Single(d => d.GetProperty("transactionId").GetString() == extra).GetProperty("system").ValueKind);
        var amount = found.Single(d => d.GetProperty("category").GetString() == "amount_mismatch");
        Assert.Equal((1, 1002), (amount.GetProperty("channel").GetProperty("amount").GetInt64(), amount.GetProperty("system").GetProperty("amount").GetInt64()));
        Assert.Equal(2, (await DiscrepanciesAsync(Id(injected), "missing_in_channel")).Count);

        var again = await ReconcileAsync(account, day);
        var foundAgain = await DiscrepanciesAsync(Id(again));

        // The sandbox invents a new channel id for an added line each time it builds the statement; all else is equal.
        Assert.Equal(found.Select(d => Essence(d, extra)), foundAgain.Select(d => Essence(d, extra)));
        Assert.Equal(injected.GetProperty("counts").ToString(), again.GetProperty("counts").ToString());

        var csv = await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/reconciliations/{Id(again)}/discrepancies.csv");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        string[] rows = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("id,category,resolution,transaction_id", rows[0], StringComparison.Ordinal);
        Assert.Equal(found.Select(Id).Order(), rows.Skip(1).Select(r => r.Split(',')[0]).Order());
        Assert.Contains(rows, r => r.Contains(extra, StringComparison.Ordinal) && r.Contains("missing_in_system", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("wechatpay")]
    [InlineData("alipay")]
    [InlineData("card")]
    [InlineData("ecny")]
    [InlineData("transfer")]
    [InlineData("unionpay")]
    public async Task APaymentPaidAtTheChannelButPendingHereIsCompletedByTheRunOnceWithItsWebhook(string channel)
    {
        var shop = fx.StorefrontOf(fx.Pending, Within);
        string account = AccountOf(fx.Pending, channel);
        await fx.FaultAsync(channel, "notify", "drop");

        string id = await ApprovedAsync(shop, channel, 2500);
        Assert.True(await PaidAtChannelAsync(channel, id), $"{id} is not paid at the {channel} sandbox");
        Assert.Equal("pending", (await shop.PaymentAsync(id)).GetProperty("status").GetString());
        var day = BusinessCalendar.DayOf(DateTimeOffset.UtcNow, BusinessCalendar.ChinaStandardTime);

        var run = await ReconcileAsync(account, day);

        var d = Assert.Single(await DiscrepanciesAsync(Id(run)));
        Assert.Equal((id, "status_mismatch", "auto_completed"), (d.GetProperty("transactionId").GetString(), d.GetProperty("category").GetString(), d.GetProperty("resolution").GetString()));
        Assert.Equal(("succeeded", "processing"), (d.GetProperty("channel").GetProperty("status").GetString(), d.GetProperty("system").GetProperty("status").GetString()));
        Assert.Equal(1, run.GetProperty("resolutions").GetProperty("auto_completed").GetInt32());
        Assert.Equal("succeeded", (await shop.PaymentAsync(id)).GetProperty("status").GetString());
        await Eventually.TrueAsync(
            () => Task.FromResult(fx.Receiver.Received.Any(h => h.Body.Contains(id, StringComparison.Ordinal) && h.Body.Contains("\"payment.succeeded\"", StringComparison.Ordinal))),
            Within, $"the payment.succeeded webhook of {id}");

        await WaitIndexedAsync(account, day, 1);
        var again = await ReconcileAsync(account, day);

        Assert.Equal(d.ToString(), Assert.Single(await DiscrepanciesAsync(Id(again))).ToString());
        Assert.Equal(1, again.GetProperty("resolutions").GetProperty("auto_completed").GetInt32());
        var succeededEvents = fx.Receiver.Received
            .Where(h => h.Body.Contains(id, StringComparison.Ordinal) && h.Body.Contains("\"payment.succeeded\"", StringComparison.Ordinal))
            .Select(h => h.EventId).Distinct();
        Assert.Single(succeededEvents);
    }

    [Fact]
    public async Task StartingARunIsValidatedAndChangesNothingWhenRefused()
    {
        string account = AccountOf(fx.Statements, "wechatpay");
        string tomorrow = Day(BusinessCalendar.DayOf(DateTimeOffset.UtcNow, BusinessCalendar.ChinaStandardTime).AddDays(2));

        var future = await fx.AdminAsync(HttpMethod.Post, "/api/v1/admin/reconciliations", $$"""{"channelAccountId":"{{account}}","date":"{{tomorrow}}"}""");
        var unknown = await fx.AdminAsync(HttpMethod.Post, "/api/v1/admin/reconciliations", """{"channelAccountId":"ca_nope","date":"2026-01-01"}""");
        var notADate = await fx.AdminAsync(HttpMethod.Post, "/api/v1/admin/reconciliations", $$"""{"channelAccountId":"{{account}}","date":"2026-02-30"}""");
        var missing = await fx.AdminAsync(HttpMethod.Get, "/api/v1/admin/reconciliations/rec_nosuchrun");

        foreach (var (response, field) in new[] { (future, "date"), (unknown, "channelAccountId"), (notADate, "date") })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await ReconciliationFixture.JsonAsync(response);
            Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        }

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        string futureRun = Payments.Core.Reconciliation.RunReconciliation.ReconciliationRunIds.For(account, DateOnly.Parse(tomorrow, CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.NotFound, (await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/reconciliations/{futureRun}")).StatusCode);
    }
}
