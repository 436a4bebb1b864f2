using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core.Payments;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Api;

public class RefundsApiTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>A payment the channel has confirmed paid (we write the confirmation as the callback would).</summary>
    private async Task<(SignedClient Client, string PaymentId)> PaidPaymentAsync(long amount = 1000, bool paid = true)
    {
        var client = await api.NewAppAsync();
        var created = await JsonAsync(await client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"R-{{Guid.NewGuid():N}}","amount":{{amount}},"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Refundable"}"""));
        string id = created.GetProperty("id").GetString()!;
        if (paid)
        {
            var store = api.Services.GetRequiredService<IPaymentStore>();
            var current = await store.GetAsync(id, default);
            var (_, next) = current!.Value.MarkSucceeded("4200000000000000000000000001", current.Value.Amount, DateTimeOffset.UtcNow);
            Assert.True(await store.TryCommitAsync(new PaymentChange(current, next), default));
        }

        return (client, id);
    }

    private static string RefundBody(string no, long amount, string? reason = null) =>
        reason is null ? $$"""{"merchantRefundNo":"{{no}}","amount":{{amount}}}""" : $$"""{"merchantRefundNo":"{{no}}","amount":{{amount}},"reason":"{{reason}}"}""";

    [Fact]
    public async Task FiftyConcurrentRefundsOfThirtyAgainstAThousandAcceptExactlyThirtyThree()
    {
        var (client, id) = await PaidPaymentAsync(1000);
        var reads = new ConcurrentBag<long>();
        using var racing = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            while (!racing.IsCancellationRequested)
            {
                reads.Add((await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}"))).GetProperty("amountRefunded").GetInt64());
            }
        });

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody($"RF-{i}", 30))));
        await racing.CancelAsync();
        await reader;

        Assert.Equal(33, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Accepted).ToList();
        Assert.Equal(17, refused.Count);
        foreach (var r in refused)
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
            Assert.Equal("amount_exceeds_refundable", (await JsonAsync(r)).GetProperty("code").GetString());
        }

        // Every read in between saw a whole number of accepted refunds, never more than paid.
        Assert.All(reads, v => Assert.True(v % 30 == 0 && v <= 990, $"amountRefunded read as {v}"));
        var payment = await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}"));
        Assert.Equal(990, payment.GetProperty("amountRefunded").GetInt64());
        var list = await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}/refunds?limit=100"));
        Assert.Equal(33, list.GetProperty("data").GetArrayLength());
        Assert.False(list.GetProperty("hasMore").GetBoolean());
    }

    [Fact]
    public async Task TheRefundNumberIsTheIdempotencyKey()
    {
        var (client, id) = await PaidPaymentAsync();
        var first = await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-1", 100, "damaged"));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var refund = await JsonAsync(first);
        Assert.Equal($"/api/v1/refunds/{refund.GetProperty("id").GetString()}", first.Headers.Location?.OriginalString);
        Assert.Equal("refund", refund.GetProperty("object").GetString());
        Assert.Equal("created", refund.GetProperty("status").GetString());

        var again = await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-1", 100, "damaged"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(refund.GetProperty("id").GetString(), (await JsonAsync(again)).GetProperty("id").GetString());

        var different = await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-1", 200, "damaged"));
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        Assert.Equal("idempotency_conflict", (await JsonAsync(different)).GetProperty("code").GetString());
        Assert.Equal(100, (await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}"))).GetProperty("amountRefunded").GetInt64());

        var byId = await JsonAsync(await client.GetAsync($"/api/v1/refunds/{refund.GetProperty("id").GetString()}"));
        Assert.Equal(id, byId.GetProperty("paymentId").GetString());
        Assert.Equal(100, byId.GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task OnlySucceededPaymentsCanBeRefundedAndNeverBeyondWhatWasPaid()
    {
        var (unpaidClient, unpaid) = await PaidPaymentAsync(paid: false);
        var notYet = await unpaidClient.PostAsync($"/api/v1/payments/{unpaid}/refunds", RefundBody("R-1", 1));
        Assert.Equal(HttpStatusCode.Conflict, notYet.StatusCode);
        Assert.Equal("invalid_state", (await JsonAsync(notYet)).GetProperty("code").GetString());

        var (client, id) = await PaidPaymentAsync(1000);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-1", 600))).StatusCode);
        var tooMuch = await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-2", 401));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooMuch.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-3", 400))).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-4", 1))).StatusCode);
    }

    [Theory]
    [InlineData("""{"merchantRefundNo":"","amount":1}""", "merchantRefundNo")]
    [InlineData("""{"merchantRefundNo":"R 1","amount":1}""", "merchantRefundNo")]
    [InlineData("""{"merchantRefundNo":"R-1","amount":0}""", "amount")]
    [InlineData("""{"merchantRefundNo":"R-1","amount":-3}""", "amount")]
    [InlineData("""{"merchantRefundNo":"R-1","amount":1.5}""", "amount")]
    [InlineData("""{"merchantRefundNo":"R-1","amount":1,"extra":1}""", "extra")]
    [InlineData("""{"merchantRefundNo":"R-1"}""", "amount")]
    public async Task InvalidRefundsAreNamedAndChangeNothing(string body, string field)
    {
        var (client, id) = await PaidPaymentAsync();
        var response = await client.PostAsync($"/api/v1/payments/{id}/refunds", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(0, (await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}"))).GetProperty("amountRefunded").GetInt64());
    }

    [Fact]
    public async Task AnotherAppsPaymentsAndRefundsAreNotFound()
    {
        var (owner, id) = await PaidPaymentAsync();
        var other = await api.NewAppAsync();
        string refundId = (await JsonAsync(await owner.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-1", 1)))).GetProperty("id").GetString()!;

        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody("R-2", 1))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/v1/payments/{id}/refunds")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/v1/refunds/{refundId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync("/api/v1/refunds/ref_nonsense")).StatusCode);
    }

    [Fact]
    public async Task RefundListsPageNewestFirst()
    {
        var (client, id) = await PaidPaymentAsync();
        foreach (int i in Enumerable.Range(1, 5))
        {
            Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/payments/{id}/refunds", RefundBody($"P-{i}", 1))).StatusCode);
        }

        var first = await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}/refunds?limit=2"));
        Assert.True(first.GetProperty("hasMore").GetBoolean());
        var ids = first.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("merchantRefundNo").GetString()).ToList();
        Assert.Equal(["P-5", "P-4"], ids);
        string last = first.GetProperty("data")[1].GetProperty("id").GetString()!;
        var rest = await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}/refunds?limit=10&startingAfter={last}"));
        Assert.Equal(["P-3", "P-2", "P-1"], rest.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("merchantRefundNo").GetString()).ToList());
        Assert.False(rest.GetProperty("hasMore").GetBoolean());
    }
}
