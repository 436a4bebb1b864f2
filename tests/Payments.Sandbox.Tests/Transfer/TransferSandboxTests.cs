using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Transfer;

/// <summary>The bank simulator for transfers to a reference through its HTTP surface: signed API, payer page,
/// credits and returns, close and expiry, refunds, notifications with retries, statement, faults.</summary>
public sealed class TransferSandboxTests
{
    private sealed record Corporate(string Id, string ApiKeyHex, string NotifyKeyHex);

    private static string Today => DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<Corporate> OnboardAsync(SandboxHost sandbox)
    {
        using var response = await sandbox.Http.PostAsJsonAsync("/sandbox/transfer/merchants", new JsonObject { ["channelAccountId"] = "ca_t_" + Guid.NewGuid().ToString("N")[..8] });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await JsonAsync(response);
        return new Corporate(body.GetProperty("corporateId").GetString()!, body.GetProperty("apiKeyHex").GetString()!, body.GetProperty("notifyKeyHex").GetString()!);
    }

    /// <summary>A request signed as the wire says, by hand: HMAC-SHA256 over METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY.</summary>
    private static async Task<HttpResponseMessage> CallAsync(
        SandboxHost sandbox, Corporate corporate, HttpMethod method, string pathAndQuery, JsonObject? body = null, string? keyHex = null, DateTimeOffset? at = null, string? nonce = null)
    {
        string text = body?.ToJsonString() ?? "";
        string timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        nonce ??= RandomNumberGenerator.GetHexString(32, lowercase: true);
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(
            Convert.FromHexString(keyHex ?? corporate.ApiKeyHex), Encoding.UTF8.GetBytes($"{method.Method}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{text}")));
        using var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.Add("X-Corp-Id", corporate.Id);
        request.Headers.Add("X-Timestamp", timestamp);
        request.Headers.Add("X-Nonce", nonce);
        request.Headers.Add("X-Signature", signature);
        if (body is not null)
        {
            request.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }

        return await sandbox.Http.SendAsync(request);
    }

    private static JsonObject Collection(string merchantRef, long amount = 12345, string notifyUrl = "http://127.0.0.1:9/notify", DateTimeOffset? expiresAt = null) => new()
    {
        ["merchantRef"] = merchantRef,
        ["amount"] = amount,
        ["currency"] = "CNY",
        ["remark"] = "Order " + merchantRef,
        ["expiresAt"] = (expiresAt ?? DateTimeOffset.UtcNow.AddMinutes(30)).ToString("O"),
        ["notifyUrl"] = notifyUrl,
    };

    private static JsonObject Refund(string refundRef, long amount, string? merchantRef = null, string? collectionId = null)
    {
        var body = new JsonObject { ["refundRef"] = refundRef, ["amount"] = amount, ["currency"] = "CNY", ["notifyUrl"] = "http://127.0.0.1:9/notify" };
        if (merchantRef is not null)
        {
            body["merchantRef"] = merchantRef;
        }

        if (collectionId is not null)
        {
            body["collectionId"] = collectionId;
        }

        return body;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static async Task<JsonElement> OpenAsync(SandboxHost sandbox, Corporate corporate, string merchantRef, long amount = 12345, string notifyUrl = "http://127.0.0.1:9/notify")
    {
        using var response = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection(merchantRef, amount, notifyUrl));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await JsonAsync(response);
    }

    private static async Task<JsonElement> TransferAsync(SandboxHost sandbox, JsonElement collection, string decision = "approve", long? amount = null)
    {
        var body = new JsonObject { ["decision"] = decision };
        if (amount is not null)
        {
            body["amount"] = amount;
        }

        using var response = await sandbox.Http.PostAsJsonAsync(new Uri(collection.GetProperty("payUrl").GetString()!).PathAndQuery, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private static async Task<JsonElement> InspectAsync(SandboxHost sandbox, string merchantRef) =>
        await JsonAsync(await sandbox.Http.GetAsync($"/sandbox/transfer/collections/{merchantRef}"));

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response) => (await JsonAsync(response)).GetProperty("code").GetString()!;

    [Fact]
    public async Task TheApiRefusesAWrongKeyAStaleTimeStampAndAReplayedNonceAndARepeatedReferenceIsTheSameCollection()
    {
        await using var sandbox = new SandboxHost();
        var corporate = await OnboardAsync(sandbox);
        using var wrongKey = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection("pay_a"), keyHex: corporate.NotifyKeyHex);
        using var stale = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection("pay_a"), at: DateTimeOffset.UtcNow.AddMinutes(-6));
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (wrongKey.StatusCode, stale.StatusCode));
        Assert.Equal(HttpStatusCode.NotFound, (await sandbox.Http.GetAsync("/sandbox/transfer/collections/pay_a")).StatusCode);

        string nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        using var first = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection("pay_a"), nonce: nonce);
        using var replayed = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection("pay_a"), nonce: nonce);
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Unauthorized), (first.StatusCode, replayed.StatusCode));

        var again = await OpenAsync(sandbox, corporate, "pay_a");
        var created = await JsonAsync(first);
        Assert.Equal(created.GetProperty("collectionId").GetString(), again.GetProperty("collectionId").GetString());
        Assert.Equal(created.GetProperty("referenceCode").GetString(), again.GetProperty("referenceCode").GetString());
        Assert.Matches("^9558[0-9]{16}$", created.GetProperty("virtualAccount").GetString());
        Assert.Equal(("OPEN", 0L), (created.GetProperty("status").GetString(), created.GetProperty("amountCredited").GetInt64()));

        using var otherAmount = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection("pay_a", amount: 1));
        Assert.Equal((HttpStatusCode.Conflict, "REFERENCE_CONFLICT"), (otherAmount.StatusCode, await ErrorCodeAsync(otherAmount)));
        Assert.Equal(2, (await InspectAsync(sandbox, "pay_a")).GetProperty("createCalls").GetInt32());
    }

    [Fact]
    public async Task AnExactTransferPaysTheReferenceTheNotificationIsSignedAndALaterTransferIsReturned()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        var corporate = await OnboardAsync(sandbox);
        var collection = await OpenAsync(sandbox, corporate, "pay_b", notifyUrl: receiver.NotifyUrl);

        string page = await sandbox.Http.GetStringAsync(new Uri(collection.GetProperty("payUrl").GetString()!).PathAndQuery);
        Assert.Contains(collection.GetProperty("virtualAccount").GetString()!, page, StringComparison.Ordinal);
        Assert.Contains(collection.GetProperty("referenceCode").GetString()!, page, StringComparison.Ordinal);
        Assert.Contains("CNY 123.45", page, StringComparison.Ordinal);

        var paid = await TransferAsync(sandbox, collection);
        Assert.Equal(("CREDITED", "PAID", 12345L), (paid.GetProperty("outcome").GetString(), paid.GetProperty("status").GetString(), paid.GetProperty("amountCredited").GetInt64()));

        var notification = await receiver.NextAsync();
        string message = $"{notification.Headers["X-Bank-Timestamp"]}\n{notification.Headers["X-Bank-Nonce"]}\n{Encoding.UTF8.GetString(notification.Body)}";
        Assert.Equal(
            Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(corporate.NotifyKeyHex), Encoding.UTF8.GetBytes(message))),
            notification.Headers["X-Bank-Signature"]);
        var webhook = JsonDocument.Parse(notification.Body).RootElement;
        Assert.Equal(("CREDIT_RECEIVED", corporate.Id, "pay_b", "PAID", 12345L), (
            webhook.GetProperty("eventType").GetString(), webhook.GetProperty("corporateId").GetString(), webhook.GetProperty("collection").GetProperty("merchantRef").GetString(),
            webhook.GetProperty("collection").GetProperty("status").GetString(), webhook.GetProperty("collection").GetProperty("amountCredited").GetInt64()));

        var late = await TransferAsync(sandbox, collection, amount: 500);
        Assert.Equal(("RETURNED", 12345L), (late.GetProperty("outcome").GetString(), late.GetProperty("amountCredited").GetInt64()));
        var inspected = await InspectAsync(sandbox, "pay_b");
        Assert.Equal((1, 1), (inspected.GetProperty("credits").GetArrayLength(), inspected.GetProperty("returnedCredits").GetArrayLength()));
        Assert.Equal(HttpStatusCode.Conflict, (await sandbox.Http.GetAsync(new Uri(collection.GetProperty("payUrl").GetString()!).PathAndQuery)).StatusCode);
    }

    [Fact]
    public async Task CreditsAccumulateUntilTheAmountDueAndAnOverpaymentIsCreditedWhole()
    {
        await using var sandbox = new SandboxHost();
        var corporate = await OnboardAsync(sandbox);
        var collection = await OpenAsync(sandbox, corporate, "pay_c", amount: 10000);

        var partial = await TransferAsync(sandbox, collection, amount: 4000);
        Assert.Equal(("CREDITED", "PARTIALLY_PAID", 4000L), (partial.GetProperty("outcome").GetString(), partial.GetProperty("status").GetString(), partial.GetProperty("amountCredited").GetInt64()));
        var rest = await TransferAsync(sandbox, collection);
        Assert.Equal(("PAID", 10000L), (rest.GetProperty("status").GetString(), rest.GetProperty("amountCredited").GetInt64()));

        var over = await TransferAsync(sandbox, await OpenAsync(sandbox, corporate, "pay_c2", amount: 10000), amount: 15000);
        Assert.Equal(("PAID", 15000L), (over.GetProperty("status").GetString(), over.GetProperty("amountCredited").GetInt64()));
        using var query = await CallAsync(sandbox, corporate, HttpMethod.Get, "/transfer/v1/collections/pay_c2");
        var answered = await JsonAsync(query);
        Assert.Equal((10000L, 15000L, 1), (answered.GetProperty("amountDue").GetInt64(), answered.GetProperty("amountCredited").GetInt64(), answered.GetProperty("credits").GetArrayLength()));
    }

    [Fact]
    public async Task ADeclinedTransferCreditsNothingNotifiesNothingAndLeavesTheReferenceOpen()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        var corporate = await OnboardAsync(sandbox);
        var collection = await OpenAsync(sandbox, corporate, "pay_d", notifyUrl: receiver.NotifyUrl);

        var declined = await TransferAsync(sandbox, collection, decision: "decline");
        Assert.Equal(("REJECTED", "OPEN", 0L), (declined.GetProperty("outcome").GetString(), declined.GetProperty("status").GetString(), declined.GetProperty("amountCredited").GetInt64()));
        var inspected = await InspectAsync(sandbox, "pay_d");
        Assert.Equal((1, 0, 0), (inspected.GetProperty("rejectedTransfers").GetInt32(), inspected.GetProperty("credits").GetArrayLength(), inspected.GetProperty("notifications").GetArrayLength()));
        Assert.Equal("CREDITED", (await TransferAsync(sandbox, collection)).GetProperty("outcome").GetString());
        Assert.Equal("CREDIT_RECEIVED", JsonDocument.Parse((await receiver.NextAsync()).Body).RootElement.GetProperty("eventType").GetString());
    }

    [Fact]
    public async Task ClosingAPartlyPaidReferenceKeepsItsMoneyRefundableAndAPaidOneCannotBeClosed()
    {
        await using var sandbox = new SandboxHost();
        var corporate = await OnboardAsync(sandbox);
        var collection = await OpenAsync(sandbox, corporate, "pay_e", amount: 10000);
        await TransferAsync(sandbox, collection, amount: 4000);

        using var close = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections/pay_e/close", new JsonObject());
        var closed = await JsonAsync(close);
        Assert.Equal((HttpStatusCode.OK, "CLOSED", 4000L), (close.StatusCode, closed.GetProperty("status").GetString(), closed.GetProperty("amountCredited").GetInt64()));
        Assert.False(closed.TryGetProperty("payUrl", out _));
        Assert.Equal("RETURNED", (await TransferAsync(sandbox, collection, amount: 6000)).GetProperty("outcome").GetString());

        using var refund = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("auto-partial-1", 4000, collectionId: collection.GetProperty("collectionId").GetString()));
        var refunded = await JsonAsync(refund);
        Assert.Equal((HttpStatusCode.Created, "SUCCEEDED", "pay_e"), (refund.StatusCode, refunded.GetProperty("status").GetString(), refunded.GetProperty("merchantRef").GetString()));
        using var more = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("rf_more", 1, merchantRef: "pay_e"));
        Assert.Equal((HttpStatusCode.Conflict, "EXCEEDS_CREDITED"), (more.StatusCode, await ErrorCodeAsync(more)));
        using var query = await CallAsync(sandbox, corporate, HttpMethod.Get, "/transfer/v1/refunds/auto-partial-1");
        Assert.Equal(refunded.GetProperty("refundId").GetString(), (await JsonAsync(query)).GetProperty("refundId").GetString());

        var paid = await OpenAsync(sandbox, corporate, "pay_e2", amount: 100);
        await TransferAsync(sandbox, paid);
        using var refused = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections/pay_e2/close", new JsonObject());
        Assert.Equal((HttpStatusCode.Conflict, "ALREADY_PAID"), (refused.StatusCode, await ErrorCodeAsync(refused)));
    }

    [Fact]
    public async Task RefundsArePartialRepeatableByTheirReferenceAndNeverExceedWhatWasCredited()
    {
        await using var sandbox = new SandboxHost();
        var corporate = await OnboardAsync(sandbox);
        var collection = await OpenAsync(sandbox, corporate, "pay_f", amount: 10000);
        await TransferAsync(sandbox, collection, amount: 15000);
        using var nothing = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("rf_0", 1, merchantRef: "pay_none"));
        Assert.Equal(HttpStatusCode.NotFound, nothing.StatusCode);

        using var excess = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("auto-over-1", 5000, collectionId: collection.GetProperty("collectionId").GetString()));
        using var repeated = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("auto-over-1", 5000, collectionId: collection.GetProperty("collectionId").GetString()));
        Assert.Equal((await JsonAsync(excess)).GetProperty("refundId").GetString(), (await JsonAsync(repeated)).GetProperty("refundId").GetString());
        using var otherAmount = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("auto-over-1", 4000, merchantRef: "pay_f"));
        Assert.Equal((HttpStatusCode.Conflict, "REFERENCE_CONFLICT"), (otherAmount.StatusCode, await ErrorCodeAsync(otherAmount)));

        using var part = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("rf_1", 3000, merchantRef: "pay_f"));
        using var rest = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("rf_2", 7000, merchantRef: "pay_f"));
        using var beyond = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("rf_3", 1, merchantRef: "pay_f"));
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Conflict), (part.StatusCode, rest.StatusCode, beyond.StatusCode));
        Assert.Equal(15000L, (await InspectAsync(sandbox, "pay_f")).GetProperty("amountRefunded").GetInt64());
        using var unknown = await CallAsync(sandbox, corporate, HttpMethod.Get, "/transfer/v1/refunds/rf_3");
        Assert.Equal((HttpStatusCode.NotFound, "NOT_FOUND"), (unknown.StatusCode, await ErrorCodeAsync(unknown)));
    }

    [Fact]
    public async Task AnExpiredReferenceTakesNoTransferAndSaysSoInANotification()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        var corporate = await OnboardAsync(sandbox);
        using var created = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection("pay_g", notifyUrl: receiver.NotifyUrl, expiresAt: DateTimeOffset.UtcNow.AddSeconds(-1)));
        Assert.Equal("EXPIRED", (await JsonAsync(created)).GetProperty("status").GetString());

        var webhook = JsonDocument.Parse((await receiver.NextAsync()).Body).RootElement;
        Assert.Equal(("COLLECTION_CLOSED", "EXPIRED"), (webhook.GetProperty("eventType").GetString(), webhook.GetProperty("collection").GetProperty("status").GetString()));
        string collectionId = webhook.GetProperty("collection").GetProperty("collectionId").GetString()!;
        using var transfer = await sandbox.Http.PostAsJsonAsync($"/transfer/pay/{collectionId}", new JsonObject { ["decision"] = "approve" });
        Assert.Equal("RETURNED", (await JsonAsync(transfer)).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task ANotificationIsRetriedWithTheSameIdUntilTheScheduleRunsOutWhenNeverAcknowledged()
    {
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:Transfer:NotifyRetrySeconds"] = "0.05,0.05" });
        // A bare 200 without {"code":"SUCCESS"} is not an acknowledgement.
        await using var receiver = await NotificationReceiver.StartAsync();
        var corporate = await OnboardAsync(sandbox);
        await TransferAsync(sandbox, await OpenAsync(sandbox, corporate, "pay_h", notifyUrl: receiver.NotifyUrl));

        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(JsonDocument.Parse((await receiver.NextAsync()).Body).RootElement.GetProperty("notificationId").GetString()!);
        }

        Assert.Single(ids.Distinct());
        var notification = await Eventually.MatchAsync(
            async () => (await InspectAsync(sandbox, "pay_h")).GetProperty("notifications")[0], n => n.GetProperty("attempts").GetInt32() == 3);
        Assert.False(notification.GetProperty("acknowledged").GetBoolean());
    }

    [Fact]
    public async Task TheStatementListsCreditsAndReturnsWithTheirFeesAndTheGenericMutationsApplyToIt()
    {
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:Transfer:FeeRatePpm"] = "6000" });
        var corporate = await OnboardAsync(sandbox);
        var collection = await OpenAsync(sandbox, corporate, "pay_i", amount: 10000);
        await TransferAsync(sandbox, collection, amount: 4000);
        await TransferAsync(sandbox, collection);
        using var refund = await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("rf_i", 2500, merchantRef: "pay_i"));
        Assert.Equal(HttpStatusCode.Created, refund.StatusCode);

        using var statement = await CallAsync(sandbox, corporate, HttpMethod.Get, $"/transfer/v1/statements?date={Today}");
        string[] lines = (await statement.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Value Time,Entry Type,Entry Id,Collection Id,Merchant Ref,Refund Ref,Currency,Amount,Fee", lines[0]);
        string col = collection.GetProperty("collectionId").GetString()!;
        Assert.Equal(
            [$"CREDIT,{col},pay_i,,CNY,4000,24", $"CREDIT,{col},pay_i,,CNY,6000,36", $"RETURN,{col},pay_i,rf_i,CNY,2500,-15"],
            lines[1..^1].Select(l => l.Split(',')).Select(f => string.Join(',', f[1], f[3], f[4], f[5], f[6], f[7], f[8])));
        Assert.Equal("Total Entries,3", lines[^1]);

        using var tomorrow = await CallAsync(sandbox, corporate, HttpMethod.Get, $"/transfer/v1/statements?date={DateTime.UtcNow.AddHours(8).AddDays(1):yyyy-MM-dd}");
        Assert.Equal(HttpStatusCode.NotFound, tomorrow.StatusCode);

        using var mutation = await sandbox.Http.PostAsJsonAsync($"/sandbox/statements/transfer/{corporate.Id}/{Today}/mutations", new JsonObject { ["kind"] = "drop", ["transactionId"] = "rf_i" });
        Assert.Equal(HttpStatusCode.OK, mutation.StatusCode);
        using var mutated = await CallAsync(sandbox, corporate, HttpMethod.Get, $"/transfer/v1/statements?date={Today}");
        string text = await mutated.Content.ReadAsStringAsync();
        Assert.DoesNotContain("rf_i", text, StringComparison.Ordinal);
        Assert.EndsWith("Total Entries,2\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("query")]
    [InlineData("close")]
    [InlineData("refund")]
    [InlineData("refundQuery")]
    [InlineData("statement")]
    public async Task AnErrorFaultFailsTheOperationBeforeItActs(string operation)
    {
        await using var sandbox = new SandboxHost();
        var corporate = await OnboardAsync(sandbox);
        var collection = await OpenAsync(sandbox, corporate, "pay_j", amount: 100);
        await TransferAsync(sandbox, collection, amount: 50);
        using var fault = await sandbox.Http.PostAsJsonAsync("/sandbox/faults", new JsonObject { ["channel"] = "transfer", ["operation"] = operation, ["mode"] = "error" });
        Assert.Equal(HttpStatusCode.OK, fault.StatusCode);

        using var failed = operation switch
        {
            "create" => await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections", Collection("pay_k")),
            "query" => await CallAsync(sandbox, corporate, HttpMethod.Get, "/transfer/v1/collections/pay_j"),
            "close" => await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/collections/pay_j/close", new JsonObject()),
            "refund" => await CallAsync(sandbox, corporate, HttpMethod.Post, "/transfer/v1/refunds", Refund("rf_j", 50, merchantRef: "pay_j")),
            "refundQuery" => await CallAsync(sandbox, corporate, HttpMethod.Get, "/transfer/v1/refunds/rf_j"),
            _ => await CallAsync(sandbox, corporate, HttpMethod.Get, $"/transfer/v1/statements?date={Today}"),
        };
        Assert.Equal((HttpStatusCode.InternalServerError, "SYSTEM_ERROR"), (failed.StatusCode, await ErrorCodeAsync(failed)));

        var inspected = await InspectAsync(sandbox, "pay_j");
        Assert.Equal(("PARTIALLY_PAID", 0, 0L), (inspected.GetProperty("status").GetString(), inspected.GetProperty("closeCalls").GetInt32(), inspected.GetProperty("amountRefunded").GetInt64()));
        Assert.Equal(HttpStatusCode.NotFound, (await sandbox.Http.GetAsync("/sandbox/transfer/collections/pay_k")).StatusCode);
    }
}
