using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Payments.Channels.WeChatPay;
using Payments.Core;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Money moving where the state machine refuses to follow (paid twice, paid late, paid the wrong
/// amount, paid for nothing we know), poison messages, and what operators see and do about them
/// through /api/v1/admin — all through the real processes and the sandbox channel.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class ExceptionEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private Task<string> CreateAsync(long amount) => Shop.CreatePaymentAsync("wechatpay", "qr", amount, "EX-", "Exceptions");

    private async Task<(string Id, string PayerUrl, string TransactionId)> PaidAsync(long amount)
    {
        string id = await CreateAsync(amount);
        string url = await Shop.PayerUrlAsync(id);
        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(url, "approve")).StatusCode);
        var paid = await Shop.WaitForStatusAsync(id, "succeeded");
        return (id, url, paid.GetProperty("channelTransactionId").GetString()!);
    }

    /// <summary>The payer pays the paid order again (the sandbox's duplicate hook); the new transaction's id.</summary>
    private async Task<string> PayAgainAsync(string payerUrl)
    {
        var response = await fx.Http.PostAsJsonAsync(payerUrl, new { decision = "approve", duplicate = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Storefront.JsonAsync(response)).GetProperty("transactionId").GetString()!;
    }

    private async Task<JsonElement> AdminGetAsync(string pathAndQuery, string? key = null)
    {
        var response = await fx.AdminAsync(HttpMethod.Get, pathAndQuery, key ?? fx.AuditorKey);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {pathAndQuery}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await Storefront.JsonAsync(response);
    }

    private async Task<List<JsonElement>> ExceptionsAsync(string query) =>
        [.. (await AdminGetAsync("/api/v1/admin/exceptions?limit=100&" + query)).GetProperty("data").EnumerateArray()];

    private async Task<JsonElement> WaitForExceptionAsync(string kind, Func<JsonElement, bool> match, string what) =>
        (await Eventually.ValueAsync(
            async () => (await ExceptionsAsync($"status=all&kind={kind}")).Where(match).ToList(),
            l => l.Count > 0, Within, $"{what} ({fx.Functions.Tail(10)})")).Single();

    private static bool About(JsonElement exception, string paymentId) => exception.GetProperty("paymentId").GetString() == paymentId;

    private static string Text(JsonElement e, string property) => e.GetProperty(property).GetString()!;

    private static async Task<string> CodeAsync(HttpResponseMessage response) => Text(await Storefront.JsonAsync(response), "code");

    [Fact]
    public async Task ASecondTransactionForAPaidPaymentIsRefundedInFullByItsTransactionIdAndListedForOperators()
    {
        var (id, payerUrl, first) = await PaidAsync(1200);

        string second = await PayAgainAsync(payerUrl);

        var refunds = await Eventually.ValueAsync(() => Shop.RefundsAsync(id), d => d.GetArrayLength() == 1 && Text(d[0], "status") == "pending",
            Within, $"the automatic refund at the channel ({fx.Functions.Tail(10)})");
        string refundId = Text(refunds[0], "id");
        Assert.Equal(1200, refunds[0].GetProperty("amount").GetInt64());
        Assert.Equal("auto-dup-" + second, Text(refunds[0], "merchantRefundNo"));
        var atChannel = await Storefront.JsonAsync(await fx.Http.GetAsync(new Uri(fx.SandboxUrl, $"sandbox/wechatpay/refunds/{refundId}")));
        Assert.Equal(second, Text(atChannel, "transactionId"));
        Assert.Equal(1200, atChannel.GetProperty("amount").GetInt32());

        await fx.SettleRefundAsync(refundId, "SUCCESS");
        await Shop.WaitForRefundAsync(refundId, "succeeded");
        await Shop.WaitForHookAsync(refundId, "refund.succeeded");

        // The merchant's payment is untouched: still paid by the first transaction, all of it refundable.
        var payment = await Shop.PaymentAsync(id);
        Assert.Equal("succeeded", Text(payment, "status"));
        Assert.Equal(first, Text(payment, "channelTransactionId"));
        Assert.Equal(0, payment.GetProperty("amountRefunded").GetInt64());
        Assert.Equal("SUCCESS", Text((await fx.SandboxOrderAsync(id))!.Value, "tradeState"));

        var exception = await WaitForExceptionAsync("payment", e => About(e, id), "the duplicate payment's exception");
        Assert.Equal("open", Text(exception, "status"));
        Assert.StartsWith("duplicate_payment", Text(exception, "reason"), StringComparison.Ordinal);
        Assert.Contains(second, Text(exception, "reason"), StringComparison.Ordinal);
        Assert.Contains(await ExceptionsAsync("kind=payment"), e => Text(e, "id") == Text(exception, "id"));
    }

    [Fact]
    public async Task APaymentPaidAfterItClosedIsRefundedTheMerchantToldAndOperatorsShown()
    {
        // Closed by the storefront rather than by expiry, so no deadline races a busy machine.
        string id = await CreateAsync(700);
        string url = await Shop.PayerUrlAsync(id);
        Assert.Equal(HttpStatusCode.Accepted, (await fx.Client.SendAsync(HttpMethod.Post, $"/api/v1/payments/{id}/close", "{}")).StatusCode);
        await Shop.WaitForStatusAsync(id, "closed");
        Assert.Equal("CLOSED", Text((await fx.SandboxOrderAsync(id))!.Value, "tradeState"));
        var paidLate = await fx.Http.PostAsJsonAsync(url, new { decision = "approve", force = true });
        Assert.Equal(HttpStatusCode.OK, paidLate.StatusCode);

        var refunds = await Eventually.ValueAsync(() => Shop.RefundsAsync(id), d => d.GetArrayLength() == 1 && Text(d[0], "status") == "pending",
            Within, "the automatic refund at the channel");
        string refundId = Text(refunds[0], "id");
        Assert.StartsWith("auto-late-", Text(refunds[0], "merchantRefundNo"), StringComparison.Ordinal);

        var exception = await WaitForExceptionAsync("payment", e => About(e, id), "the late payment's exception");
        Assert.Equal("open", Text(exception, "status"));
        Assert.StartsWith("paid_after_closed", Text(exception, "reason"), StringComparison.Ordinal);
        Assert.Equal(id, Text(exception, "subject"));

        await fx.SettleRefundAsync(refundId, "SUCCESS");
        await Shop.WaitForRefundAsync(refundId, "succeeded");
        await Shop.WaitForHookAsync(refundId, "refund.succeeded");
        Assert.Equal("closed", Text(await Shop.PaymentAsync(id), "status"));
    }

    [Fact]
    public async Task AnAmountMismatchIsNeverPaidAndAnOperatorResolvesItOnTheRecord()
    {
        string id = await CreateAsync(1000);
        string url = await Shop.PayerUrlAsync(id);
        // Queries stay silent, so only the callback (which reports 0.01 instead of 10.00) speaks.
        await fx.FaultAsync("query", "error", count: 1000);
        await fx.DecideAsync(url, "approve", notifyTotal: 1);

        var exception = await WaitForExceptionAsync("payment", e => About(e, id), "the amount mismatch's exception");
        string exceptionId = Text(exception, "id");
        Assert.Equal("open", Text(exception, "status"));
        Assert.StartsWith("amount_mismatch", Text(exception, "reason"), StringComparison.Ordinal);
        Assert.Equal("pending", Text(await Shop.PaymentAsync(id), "status"));

        const string Note = "Payer charged 0.01 by a channel fault; confirmed with the channel, order left unpaid.";
        var resolved = await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{exceptionId}/resolve", fx.OperatorKey, JsonSerializer.Serialize(new { note = Note }));

        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        var after = await Storefront.JsonAsync(resolved);
        Assert.Equal("resolved", Text(after, "status"));
        Assert.Equal(Note, Text(after, "resolutionNote"));
        Assert.Equal("operator:" + EndToEndFixture.OperatorName, Text(after, "resolvedBy"));
        Assert.Equal("resolved", Text(await AdminGetAsync($"/api/v1/admin/exceptions/{exceptionId}"), "status"));
        Assert.DoesNotContain(await ExceptionsAsync("status=open&kind=payment"), e => Text(e, "id") == exceptionId);
        Assert.Contains(await ExceptionsAsync("status=resolved&kind=payment"), e => Text(e, "id") == exceptionId);
        Assert.Equal(HttpStatusCode.Conflict, (await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{exceptionId}/resolve", fx.OperatorKey, """{"note":"again"}""")).StatusCode);

        var operatorsTrail = (await AdminGetAsync("/api/v1/admin/audit?limit=200")).GetProperty("data").EnumerateArray().ToList();
        Assert.Contains(operatorsTrail, r => Text(r, "action") == "exception.resolved" && Text(r, "subject") == exceptionId
            && Text(r, "actor") == "operator:" + EndToEndFixture.OperatorName);
        var paymentTrail = (await AdminGetAsync($"/api/v1/admin/audit?paymentId={id}")).GetProperty("data").EnumerateArray().ToList();
        Assert.Contains(paymentTrail, r => Text(r, "action") == "payment.attention_raised" && Text(r, "actor") == "system");
        Assert.Contains(paymentTrail, r => Text(r, "action") == "payment.attention_cleared" && Text(r, "actor") == "operator:" + EndToEndFixture.OperatorName);
        Assert.Equal("payment.created", Text(paymentTrail[0], "action"));

        var chain = await AdminGetAsync("/api/v1/admin/audit/verify");
        Assert.True(chain.GetProperty("valid").GetBoolean(), chain.ToString());
        Assert.True(chain.GetProperty("checked").GetInt64() >= 1);
        var ownChain = await AdminGetAsync($"/api/v1/admin/audit/verify?paymentId={id}");
        Assert.True(ownChain.GetProperty("valid").GetBoolean(), ownChain.ToString());
        Assert.Equal(paymentTrail.Count, ownChain.GetProperty("checked").GetInt64());

        Assert.Equal("pending", Text(await Shop.PaymentAsync(id), "status"));
        Assert.DoesNotContain(Shop.HooksFor(id), h => h.Type == "payment.succeeded");
    }

    [Fact]
    public async Task ASignedCallbackForAPaymentWeNeverMadeIsAcknowledgedAndKeptForOperators()
    {
        // A real channel order whose out_trade_no we never created, paid at the sandbox: its callback
        // reaches us signed by the channel and encrypted for the merchant, exactly like a real one.
        string ghost = "pay_" + Guid.NewGuid().ToString("N")[..26];
        var account = await fx.ChannelAccountAsync();
        using var http = new HttpClient();
        var channel = new WeChatPayChannel(http, TimeProvider.System);
        var placed = await channel.CreateAsync(account, new ChannelCreateRequest(
            ghost, new Money(321, Currency.CNY), "qr", "Not ours", null, DateTimeOffset.UtcNow.AddMinutes(10),
            new Uri(fx.ApiUrl, $"api/v1/callbacks/wechatpay/{fx.App.ChannelAccountId}"), null), CancellationToken.None);
        var order = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(placed).Value;

        Assert.Equal(HttpStatusCode.OK, (await fx.DecideAsync(order.NextActionUrl, "approve")).StatusCode);

        var notification = await Eventually.ValueAsync(async () => (await fx.SandboxOrderAsync(ghost))!.Value.GetProperty("notifications")[0],
            n => n.GetProperty("attempts").GetInt32() > 0, Within, "the callback to be delivered");
        Assert.True(notification.GetProperty("acknowledged").GetBoolean(), "the callback must be acknowledged so the channel stops retrying");
        var exception = await WaitForExceptionAsync("unmatched_callback", e => About(e, ghost), "the unmatched callback's exception");
        Assert.Equal("open", Text(exception, "status"));
        Assert.Contains(ghost, Text(exception, "reason"), StringComparison.Ordinal);
        Assert.Equal(Text(notification, "id"), Text(exception, "subject"));

        var retry = await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{Text(exception, "id")}/retry", fx.OperatorKey);
        Assert.Equal(HttpStatusCode.Conflict, retry.StatusCode);
        Assert.Equal("invalid_state", await CodeAsync(retry));
        var still = await AdminGetAsync($"/api/v1/admin/exceptions/{Text(exception, "id")}");
        Assert.Equal("open", Text(still, "status"));
        Assert.Equal(0, still.GetProperty("retryCount").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Client.GetAsync($"/api/v1/payments/{ghost}")).StatusCode);
    }

    [Fact]
    public async Task APoisonMessageBecomesADeadLetterExceptionBlocksNothingAndARetryThatFailsAgainReopensIt()
    {
        var start = DateTimeOffset.UtcNow;
        string marker = Guid.NewGuid().ToString("N");
        string body = "{ poison " + marker;
        var sent = await fx.Clients.Queue(Queues.ChannelNotifications).SendMessageAsync(body);

        // The poison is being retried meanwhile; payments keep flowing through the same queue.
        await PaidAsync(300);

        var exception = await WaitForExceptionAsync("dead_letter", e => Text(e, "subject") == sent.Value.MessageId, "the dead letter's exception");
        string exceptionId = Text(exception, "id");
        Assert.Equal("open", Text(exception, "status"));
        Assert.Equal(Queues.ChannelNotifications, Text(exception, "queue"));
        Assert.False(string.IsNullOrWhiteSpace(Text(exception, "reason")));
        Assert.Equal(JsonValueKind.Null, exception.GetProperty("paymentId").ValueKind);

        var retry = await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{exceptionId}/retry", fx.OperatorKey);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var retried = await Storefront.JsonAsync(retry);
        Assert.Equal(1, retried.GetProperty("retryCount").GetInt32());
        Assert.Equal("resolved", Text(retried, "status"));

        // Put back on its queue, it fails its deliveries again and comes back as the same exception, reopened.
        await Eventually.TrueAsync(async () =>
                (await fx.Clients.Queue(StorageClients.DeadLetterName(Queues.ChannelNotifications)).PeekMessagesAsync(32)).Value.Count(m => m.MessageText.Contains(marker, StringComparison.Ordinal)) == 2,
            TimeSpan.FromSeconds(60), "the redelivered poison in the dead-letter queue");
        var back = await Eventually.ValueAsync(() => AdminGetAsync($"/api/v1/admin/exceptions/{exceptionId}"), e => Text(e, "status") == "open",
            Within, "the exception to be open again");
        Assert.Equal(1, back.GetProperty("retryCount").GetInt32());
        var raisedSinceStart = (await ExceptionsAsync("status=all&kind=dead_letter")).Where(e => e.GetProperty("createdAt").GetDateTimeOffset() >= start).ToList();
        Assert.Equal(exceptionId, Text(Assert.Single(raisedSinceStart), "id"));
    }

    [Fact]
    public async Task ARetryOfAPaymentExceptionAsksTheChannelAgainAndCountsTheRetry()
    {
        var (id, payerUrl, _) = await PaidAsync(400);
        await PayAgainAsync(payerUrl);
        var exception = await WaitForExceptionAsync("payment", e => About(e, id), "the duplicate payment's exception");
        string exceptionId = Text(exception, "id");
        int queriesBefore = (await fx.SandboxOrderAsync(id))!.Value.GetProperty("queryCalls").GetInt32();

        var retry = await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{exceptionId}/retry", fx.OperatorKey);

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        var retried = await Storefront.JsonAsync(retry);
        Assert.Equal(1, retried.GetProperty("retryCount").GetInt32());
        Assert.NotEqual(JsonValueKind.Null, retried.GetProperty("lastRetriedAt").ValueKind);
        Assert.Equal("open", Text(retried, "status"));
        await Eventually.TrueAsync(async () => (await fx.SandboxOrderAsync(id))!.Value.GetProperty("queryCalls").GetInt32() > queriesBefore,
            Within, $"the retry's query at the channel ({fx.Functions.Tail(10)})");

        var again = await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{exceptionId}/retry", fx.OperatorKey);
        Assert.Equal(2, (await Storefront.JsonAsync(again)).GetProperty("retryCount").GetInt32());
        Assert.Equal(2, (await AdminGetAsync($"/api/v1/admin/exceptions/{exceptionId}")).GetProperty("retryCount").GetInt32());
        Assert.Contains((await AdminGetAsync("/api/v1/admin/audit?limit=200")).GetProperty("data").EnumerateArray(),
            r => Text(r, "action") == "exception.retried" && Text(r, "subject") == exceptionId);

        // Asking again changed no money: still one automatic refund, the payment still succeeded.
        Assert.Equal(1, (await Shop.RefundsAsync(id)).GetArrayLength());
        Assert.Equal("succeeded", Text(await Shop.PaymentAsync(id), "status"));
    }

    [Fact]
    public async Task AnAuditorReadsButCannotActAndNeitherKindOfCredentialWorksOnTheOthersRoutes()
    {
        // Well formed but unknown: the role is checked before the id is looked up.
        string unknown = "exc_" + new string('0', 24);

        Assert.Equal(HttpStatusCode.OK, (await fx.AdminAsync(HttpMethod.Get, "/api/v1/admin/exceptions", fx.AuditorKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fx.AdminAsync(HttpMethod.Get, "/api/v1/admin/audit/verify", fx.AuditorKey)).StatusCode);
        var retry = await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{unknown}/retry", fx.AuditorKey);
        var resolve = await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{unknown}/resolve", fx.AuditorKey, """{"note":"looked at it"}""");
        Assert.Equal(HttpStatusCode.Forbidden, retry.StatusCode);
        Assert.Equal("forbidden", await CodeAsync(retry));
        Assert.Equal(HttpStatusCode.Forbidden, resolve.StatusCode);
        Assert.Equal("forbidden", await CodeAsync(resolve));
        Assert.Equal(HttpStatusCode.NotFound, (await fx.AdminAsync(HttpMethod.Post, $"/api/v1/admin/exceptions/{unknown}/retry", fx.OperatorKey)).StatusCode);

        var merchantOnAdmin = await fx.Client.GetAsync("/api/v1/admin/exceptions");
        Assert.Equal(HttpStatusCode.Unauthorized, merchantOnAdmin.StatusCode);
        Assert.Equal("unauthorized", await CodeAsync(merchantOnAdmin));
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.AdminAsync(HttpMethod.Get, "/api/v1/admin/exceptions", "opk_" + new string('x', 40))).StatusCode);
        using var anonymous = new HttpRequestMessage(HttpMethod.Get, new Uri(fx.ApiUrl, "api/v1/admin/exceptions"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await fx.Http.SendAsync(anonymous)).StatusCode);

        string paymentId = await CreateAsync(100);
        using var operatorOnMerchant = new HttpRequestMessage(HttpMethod.Get, new Uri(fx.ApiUrl, $"api/v1/payments/{paymentId}"));
        operatorOnMerchant.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fx.OperatorKey);
        var refused = await fx.Http.SendAsync(operatorOnMerchant);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("unauthorized", await CodeAsync(refused));
    }
}
