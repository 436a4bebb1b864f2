using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>Refunds through the sandbox's WeChat Pay refunds API, its refund callbacks and refund queries.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class RefundEndToEndTests(EndToEndFixture fx) : IAsyncLifetime
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private Storefront Shop => fx.StorefrontWithin(Within);

    public Task InitializeAsync() => fx.ClearFaultsAsync();

    public Task DisposeAsync() => fx.ClearFaultsAsync();

    private async Task<string> PaidPaymentAsync(long amount)
    {
        string id = await Shop.CreatePaymentAsync("wechatpay", "qr", amount, "RF-", "To refund");
        await fx.DecideAsync(await Shop.PayerUrlAsync(id), "approve");
        await Shop.WaitForStatusAsync(id, "succeeded");
        return id;
    }

    private async Task<long> AmountRefundedAsync(string paymentId) =>
        (await Shop.PaymentAsync(paymentId)).GetProperty("amountRefunded").GetInt64();

    [Fact]
    public async Task ARefundSucceedsWhenTheChannelSettlesItAndTheMerchantIsTold()
    {
        string paymentId = await PaidPaymentAsync(1000);
        string refundId = await Shop.RefundAsync(paymentId, "R-1", 300);
        await Shop.WaitForRefundAsync(refundId, "pending");

        await fx.SettleRefundAsync(refundId, "SUCCESS");
        var refund = await Shop.WaitForRefundAsync(refundId, "succeeded");

        Assert.NotEqual(JsonValueKind.Null, refund.GetProperty("succeededAt").ValueKind);
        Assert.Equal(300, await AmountRefundedAsync(paymentId));
        await Shop.WaitForHookAsync(refundId, "refund.succeeded");
    }

    [Fact]
    public async Task AFailedRefundReleasesItsAmountForAnotherRefund()
    {
        string paymentId = await PaidPaymentAsync(1000);
        string refundId = await Shop.RefundAsync(paymentId, "R-1", 1000);
        await Shop.WaitForRefundAsync(refundId, "pending");
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await fx.Client.PostAsync($"/api/v1/payments/{paymentId}/refunds", """{"merchantRefundNo":"R-2","amount":1}""")).StatusCode);

        await fx.SettleRefundAsync(refundId, "CLOSED");
        var failed = await Shop.WaitForRefundAsync(refundId, "failed");

        Assert.Equal("CLOSED", failed.GetProperty("failure").GetProperty("code").GetString());
        Assert.Equal(0, await AmountRefundedAsync(paymentId));
        await Shop.WaitForHookAsync(refundId, "refund.failed");
        string again = await Shop.RefundAsync(paymentId, "R-2", 1000);
        await Shop.WaitForRefundAsync(again, "pending");
    }

    [Fact]
    public async Task ARefundThatCannotReachThePayerHoldsItsAmountIsShownToOperatorsAndSucceedsOnceReApplied()
    {
        string paymentId = await PaidPaymentAsync(1000);
        string refundId = await Shop.RefundAsync(paymentId, "R-1", 600);
        await Shop.WaitForRefundAsync(refundId, "pending");

        await fx.SettleRefundAsync(refundId, "ABNORMAL");
        var flagged = await Eventually.ValueAsync(
            async () => await Storefront.JsonAsync(await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/payments/{paymentId}", fx.OperatorKey)),
            v => v.GetProperty("attentionReason").GetString()?.StartsWith("refund_stuck:", StringComparison.Ordinal) == true, Within, "the stuck refund to be flagged");

        // The money left the merchant: the refund is neither failed nor refundable again.
        Assert.Contains(refundId, flagged.GetProperty("attentionReason").GetString(), StringComparison.Ordinal);
        Assert.Equal("pending", (await Storefront.JsonAsync(await fx.Client.GetAsync($"/api/v1/refunds/{refundId}"))).GetProperty("status").GetString());
        Assert.Equal(600, await AmountRefundedAsync(paymentId));
        Assert.Equal(HttpStatusCode.UnprocessableEntity,
            (await fx.Client.PostAsync($"/api/v1/payments/{paymentId}/refunds", """{"merchantRefundNo":"R-2","amount":401}""")).StatusCode);
        var exceptions = await Storefront.JsonAsync(await fx.AdminAsync(HttpMethod.Get, "/api/v1/admin/exceptions?kind=payment&limit=100", fx.OperatorKey));
        Assert.Contains(exceptions.GetProperty("data").EnumerateArray(), e => e.GetProperty("paymentId").GetString() == paymentId);
        Assert.DoesNotContain(Shop.HooksFor(refundId), h => h.Type == "refund.failed");

        // A person re-applies it at the channel; the channel reports success, and the flag goes.
        await fx.SettleRefundAsync(refundId, "SUCCESS");
        await Shop.WaitForRefundAsync(refundId, "succeeded");
        await Eventually.ValueAsync(
            async () => await Storefront.JsonAsync(await fx.AdminAsync(HttpMethod.Get, $"/api/v1/admin/payments/{paymentId}", fx.OperatorKey)),
            v => v.GetProperty("attentionReason").ValueKind == JsonValueKind.Null, Within, "the flag to clear");
        Assert.Equal(600, await AmountRefundedAsync(paymentId));
        await Shop.WaitForHookAsync(refundId, "refund.succeeded");
    }

    [Fact]
    public async Task AChannelTimeoutOnARefundWaitsForAQueryAndNeverFailsByGuess()
    {
        string paymentId = await PaidPaymentAsync(1000);
        await fx.FaultAsync("refund", "timeout", delayMs: 30_000);
        await fx.FaultAsync("notify", "drop");
        string refundId = await Shop.RefundAsync(paymentId, "R-1", 500);

        // The refund reached the channel but its answer did not reach us: only a query can tell.
        await Shop.WaitForRefundAsync(refundId, "pending");
        await fx.SettleRefundAsync(refundId, "SUCCESS");
        await Shop.WaitForRefundAsync(refundId, "succeeded");
        Assert.DoesNotContain(Shop.HooksFor(refundId), h => h.Type == "refund.failed");
        Assert.Equal(500, await AmountRefundedAsync(paymentId));
    }

    [Fact]
    public async Task RefundsRacingCallbacksNeverExceedThePaidAmount()
    {
        string paymentId = await PaidPaymentAsync(1000);
        var early = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => Shop.RefundAsync(paymentId, $"E-{i}", 30)));
        foreach (var r in early)
        {
            await Shop.WaitForRefundAsync(r, "pending");
        }

        // Their callbacks (and the processing they cause) write the same partition while 50 more refunds race in.
        var settling = Task.WhenAll(early.Select(r => fx.SettleRefundAsync(r, "SUCCESS")));
        var reads = new ConcurrentBag<long>();
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            var response = await fx.Client.PostAsync($"/api/v1/payments/{paymentId}/refunds", $$"""{"merchantRefundNo":"L-{{i}}","amount":30}""");
            reads.Add(await AmountRefundedAsync(paymentId));
            return response;
        }));
        await settling;

        Assert.Equal(30, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted)); // (1000 - 90) / 30 = 30
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Accepted), r => Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode));
        Assert.All(reads, v => Assert.True(v % 30 == 0 && v <= 990, $"amountRefunded read as {v}"));
        foreach (var r in early)
        {
            await Shop.WaitForRefundAsync(r, "succeeded");
        }

        Assert.Equal(990, await AmountRefundedAsync(paymentId));
    }

    [Fact]
    public async Task APaymentPaidAfterItWasClosedIsRefundedAutomatically()
    {
        string paymentId = await Shop.CreatePaymentAsync("wechatpay", "qr", 700, "LATE-", "Late", expiresInSeconds: 120);
        // The order must exist at the channel before the storefront gives up on it (no expiry race under load).
        await Shop.WaitForStatusAsync(paymentId, "pending");
        Assert.Equal(HttpStatusCode.Accepted, (await fx.Client.SendAsync(HttpMethod.Post, $"/api/v1/payments/{paymentId}/close", "{}")).StatusCode);
        await Shop.WaitForStatusAsync(paymentId, "closed");

        // The payer pays anyway (the sandbox's force hook plays a channel that let it through).
        var order = await fx.SandboxOrderAsync(paymentId);
        var paidLate = await fx.Http.PostAsJsonAsync(order!.Value.GetProperty("codeUrl").GetString()!, new { decision = "approve", force = true });
        Assert.Equal(HttpStatusCode.OK, paidLate.StatusCode);

        var refunds = await Eventually.ValueAsync(() => Shop.RefundsAsync(paymentId),
            d => d.GetArrayLength() == 1 && d[0].GetProperty("status").GetString() == "pending", Within, "the automatic refund at the channel");
        string refundId = refunds[0].GetProperty("id").GetString()!;
        Assert.Equal(700, refunds[0].GetProperty("amount").GetInt64());
        Assert.StartsWith("auto-late-", refunds[0].GetProperty("merchantRefundNo").GetString(), StringComparison.Ordinal);

        await fx.SettleRefundAsync(refundId, "SUCCESS");
        await Shop.WaitForRefundAsync(refundId, "succeeded");
        var payment = await Shop.PaymentAsync(paymentId);
        Assert.Equal("closed", payment.GetProperty("status").GetString());
        Assert.Equal(700, payment.GetProperty("amountRefunded").GetInt64());
        Assert.Contains(fx.Functions.Output, l => l.Contains("ALERT", StringComparison.Ordinal) && l.Contains(paymentId, StringComparison.Ordinal));
        await Shop.WaitForHookAsync(refundId, "refund.succeeded");
    }
}
