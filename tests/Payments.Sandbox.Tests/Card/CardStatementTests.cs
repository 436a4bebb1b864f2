using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Card;

/// <summary>
/// The acquirer's settlement details report as a sandbox statement: built from the sandbox's own sessions and refunds
/// when asked, served alike by the acquirer's report API and the generic statement route, and changed by mutations.
/// </summary>
public sealed class CardStatementTests
{
    private const string Header = "Merchant Account,Merchant Reference,Psp Reference,Payment Reference,Record Type,Booking Date,Currency,Gross,Fee";

    private static string Today => DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Merchant(string Account, string ApiKey, string ChannelAccountId);

    private static async Task<Merchant> OnboardAsync(SandboxHost sandbox)
    {
        string channelAccountId = "ca_card_" + Guid.NewGuid().ToString("N")[..8];
        using var response = await sandbox.Http.PostAsJsonAsync("/sandbox/card/merchants", new JsonObject { ["channelAccountId"] = channelAccountId });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return new Merchant(body.GetProperty("merchantAccount").GetString()!, body.GetProperty("apiKey").GetString()!, channelAccountId);
    }

    private static async Task<HttpResponseMessage> CallAsync(SandboxHost sandbox, Merchant merchant, HttpMethod method, string path, JsonObject? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-API-Key", merchant.ApiKey);
        if (body is not null)
        {
            body["merchantAccount"] = merchant.Account;
            request.Content = JsonContent.Create(body);
        }

        return await sandbox.Http.SendAsync(request);
    }

    /// <summary>Opens a session and pays it through the hosted page and its challenge; answers the PSP reference.</summary>
    private static async Task<string> PayAsync(SandboxHost sandbox, Merchant merchant, string reference, long value)
    {
        using var opened = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/sessions", new JsonObject
        {
            ["reference"] = reference,
            ["amount"] = new JsonObject { ["value"] = value, ["currency"] = "EUR" },
            ["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(15).ToString("O"),
            ["notifyUrl"] = "http://127.0.0.1:9/notify",
        });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        string url = JsonDocument.Parse(await opened.Content.ReadAsStringAsync()).RootElement.GetProperty("url").GetString()!;
        using var entered = await sandbox.Http.PostAsJsonAsync(new Uri(url).PathAndQuery, new { cardNumber = "4111111111111111", expiry = "12/39", cvc = "737" });
        string challengeUrl = JsonDocument.Parse(await entered.Content.ReadAsStringAsync()).RootElement.GetProperty("challengeUrl").GetString()!;
        using var answered = await sandbox.Http.PostAsJsonAsync(challengeUrl, new { otp = "123456" });
        var session = JsonDocument.Parse(await answered.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("authorised", session.GetProperty("status").GetString());
        using var queried = await CallAsync(sandbox, merchant, HttpMethod.Get, $"/card/v1/sessions/{reference}?merchantAccount={merchant.Account}");
        return JsonDocument.Parse(await queried.Content.ReadAsStringAsync()).RootElement.GetProperty("pspReference").GetString()!;
    }

    private static async Task<string> RefundAsync(SandboxHost sandbox, Merchant merchant, string paymentReference, string reference, long value)
    {
        using var refunded = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/refunds", new JsonObject
        {
            ["paymentReference"] = paymentReference,
            ["reference"] = reference,
            ["amount"] = new JsonObject { ["value"] = value, ["currency"] = "EUR" },
        });
        Assert.Equal(HttpStatusCode.Created, refunded.StatusCode);
        return JsonDocument.Parse(await refunded.Content.ReadAsStringAsync()).RootElement.GetProperty("pspReference").GetString()!;
    }

    private static async Task<HttpResponseMessage> ReportAsync(SandboxHost sandbox, Merchant merchant, string date) =>
        await CallAsync(sandbox, merchant, HttpMethod.Get, $"/card/v1/reports/settlement?merchantAccount={merchant.Account}&date={date}");

    private static async Task<HttpResponseMessage> MutateAsync(SandboxHost sandbox, Merchant merchant, string kind, string transactionId, JsonNode? value = null) =>
        await sandbox.Http.PostAsJsonAsync(
            $"/sandbox/statements/card/{merchant.ChannelAccountId}/{Today}/mutations",
            new JsonObject { ["kind"] = kind, ["transactionId"] = transactionId, ["value"] = value });

    /// <summary>The report's records by merchant reference, without the header and trailer.</summary>
    private static Dictionary<string, string[]> Records(string report) =>
        report.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..^1].Select(l => l.Split(',')).ToDictionary(f => f[1]);

    [Fact]
    public async Task TodaysReportListsEachSettlementAndRefundWithTheChargeAndTheGenericRouteServesTheSameFile()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        string paid = await PayAsync(sandbox, merchant, "pay_s1", 1999);
        await PayAsync(sandbox, merchant, "pay_s2", 500);
        string refunded = await RefundAsync(sandbox, merchant, "pay_s1", "rf_s1", 700);

        using var report = await ReportAsync(sandbox, merchant, Today);
        string text = await report.Content.ReadAsStringAsync();
        using var generic = await sandbox.Http.GetAsync($"/sandbox/statements/card/{merchant.ChannelAccountId}/{Today}");
        using var byAccount = await sandbox.Http.GetAsync($"/sandbox/statements/card/{merchant.Account}/{Today}");

        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("text/csv", report.Content.Headers.ContentType?.MediaType);
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal((Header, "Total Records,3"), (lines[0], lines[^1]));
        var records = Records(text);
        Assert.Equal([merchant.Account, "pay_s1", paid, "", "Settled"], records["pay_s1"][..5]);
        Assert.Equal(["EUR", "19.99", "0.30"], records["pay_s1"][6..]);
        Assert.Equal(["EUR", "5.00", "0.08"], records["pay_s2"][6..]);
        Assert.Equal([merchant.Account, "rf_s1", refunded, "pay_s1", "Refunded"], records["rf_s1"][..5]);
        Assert.Equal(["EUR", "7.00", "-0.11"], records["rf_s1"][6..]);
        Assert.True(DateTimeOffset.UtcNow - DateTimeOffset.Parse(records["pay_s1"][5], System.Globalization.CultureInfo.InvariantCulture) < TimeSpan.FromMinutes(5));
        Assert.EndsWith("Z", records["pay_s1"][5], StringComparison.Ordinal);
        Assert.Equal(text, await generic.Content.ReadAsStringAsync());
        Assert.Equal(text, await byAccount.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task EveryKindOfMutationChangesTheReportTheAcquirerServesAndIsListed()
    {
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:Card:FeeRatePpm"] = "6000" });
        var merchant = await OnboardAsync(sandbox);
        foreach (var (reference, value) in new[] { ("pay_m1", 1001L), ("pay_m2", 1002L), ("pay_m3", 1003L), ("pay_m4", 1004L) })
        {
            await PayAsync(sandbox, merchant, reference, value);
        }

        await RefundAsync(sandbox, merchant, "pay_m4", "rf_m4", 400);
        string before = await (await ReportAsync(sandbox, merchant, Today)).Content.ReadAsStringAsync();

        foreach (var (kind, id, value) in new (string, string, JsonNode?)[]
        {
            ("drop", "pay_m1", null), ("add", "pay_invented", 4321), ("amount", "pay_m2", 1), ("status", "pay_m3", "CLOSED"), ("fee", "pay_m4", 99), ("drop", "rf_m4", null),
        })
        {
            using var response = await MutateAsync(sandbox, merchant, kind, id, value);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        var after = Records(await (await ReportAsync(sandbox, merchant, Today)).Content.ReadAsStringAsync());
        using var listed = await sandbox.Http.GetAsync($"/sandbox/statements/card/{merchant.ChannelAccountId}/{Today}/mutations");

        Assert.Equal(["-0.02", "0.06", "0.06", "0.06", "0.06"], Records(before).Values.Select(f => f[8]).Order(StringComparer.Ordinal));
        Assert.Equal(["pay_invented", "pay_m2", "pay_m3", "pay_m4"], after.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["", "Settled", "EUR", "43.21", "0.26"], [after["pay_invented"][3], after["pay_invented"][4], .. after["pay_invented"][6..]]);
        Assert.StartsWith("PSP", after["pay_invented"][2], StringComparison.Ordinal);
        Assert.Equal(("0.01", "CLOSED", "0.99"), (after["pay_m2"][7], after["pay_m3"][4], after["pay_m4"][8]));
        var mutations = JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.GetProperty("mutations");
        Assert.Equal(["drop", "add", "amount", "status", "fee", "drop"], mutations.EnumerateArray().Select(m => m.GetProperty("kind").GetString()!));
    }

    [Fact]
    public async Task AMutationThatCouldNeverApplyIsRefusedAndChangesNothing()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        await PayAsync(sandbox, merchant, "pay_r1", 1500);
        string before = await (await ReportAsync(sandbox, merchant, Today)).Content.ReadAsStringAsync();

        using var existing = await MutateAsync(sandbox, merchant, "add", "pay_r1", 10);
        using var missing = await MutateAsync(sandbox, merchant, "drop", "pay_nosuch");
        using var badFee = await MutateAsync(sandbox, merchant, "fee", "pay_r1", "a lot");
        using var unknown = await sandbox.Http.PostAsJsonAsync($"/sandbox/statements/card/ca_nosuch/{Today}/mutations", new JsonObject { ["kind"] = "drop", ["transactionId"] = "pay_r1" });

        Assert.Equal(
            [HttpStatusCode.Conflict, HttpStatusCode.NotFound, HttpStatusCode.BadRequest, HttpStatusCode.NotFound],
            new[] { existing, missing, badFee, unknown }.Select(r => r.StatusCode));
        Assert.Equal(before, await (await ReportAsync(sandbox, merchant, Today)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ADayWithoutRecordsIsAnEmptyReportAtTheAcquirerAndNoStatementOnTheGenericRouteAndTomorrowHasNone()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        await PayAsync(sandbox, merchant, "pay_e1", 1500);
        string yesterday = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        string tomorrow = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        using var empty = await ReportAsync(sandbox, merchant, yesterday);
        using var generic = await sandbox.Http.GetAsync($"/sandbox/statements/card/{merchant.ChannelAccountId}/{yesterday}");
        using var future = await ReportAsync(sandbox, merchant, tomorrow);

        Assert.Equal((HttpStatusCode.OK, Header + "\nTotal Records,0\n"), (empty.StatusCode, await empty.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NotFound, generic.StatusCode);
        Assert.Contains("NO_STATEMENT_EXIST", await generic.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, future.StatusCode);
    }
}
