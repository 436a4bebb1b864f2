using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Payments.Core;
using Payments.Core.Apps;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Risk;
using Payments.Functions.Tests.Support;
using Payments.Infrastructure.Risk;

namespace Payments.Functions.Tests.Api;

public class RiskControlApiTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string Body(string orderNo, long amount = 1999, string payer = "u-42", string ip = "203.0.113.9") =>
        $$$"""{"merchantOrderNo":"{{{orderNo}}}","amount":{{{amount}}},"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Order {{{orderNo}}}","payer":{"id":"{{{payer}}}","ip":"{{{ip}}}"}}""";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task<SignedClient> AppWithRulesAsync(RiskRulesDto rules)
    {
        var client = await api.NewAppAsync();
        var app = await api.Services.GetRequiredService<IAppDirectory>().GetAppAsync(client.AppId, default);
        await new TableRiskRuleStore(api.Clients, TimeProvider.System).SaveAsync(app!.MerchantId, RiskRulesValidator.Validate(rules).Value!, default);
        return client;
    }

    private Task<Versioned<Payment>?> StoredAsync(SignedClient client, string orderNo) =>
        api.Services.GetRequiredService<IPaymentStore>().GetAsync(Ids.PaymentId(client.AppId, orderNo), default);

    private static async Task AssertRiskDeniedAsync(HttpResponseMessage response, params string[] reasons)
    {
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Equal("risk_denied", problem.GetProperty("code").GetString());
        Assert.Equal(reasons, problem.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task APaymentTheRulesDenyAnswers422RiskDeniedWithItsReasonsAndCreatesNothing()
    {
        var client = await AppWithRulesAsync(new RiskRulesDto(Currency: "CNY", SinglePaymentMax: 1000, BlockedIps: ["203.0.113.0/24"]));

        var response = await client.PostAsync("/api/v1/payments", Body("DENY-1", amount: 1999));

        await AssertRiskDeniedAsync(response, RiskReasons.IpBlocked, RiskReasons.AmountOverSingleLimit);
        Assert.Null(await StoredAsync(client, "DENY-1"));
        // Not the payment, nor an outbox row, nor anything else of its partition.
        string id = Ids.PaymentId(client.AppId, "DENY-1");
        Assert.Empty(await api.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == id).ToListAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/payments?merchantOrderNo=DENY-1")).StatusCode);
    }

    [Fact]
    public async Task FiftyConcurrentPaymentsOfOnePayerAdmitExactlyTheTenPerMinuteTheRulesAllow()
    {
        // One instant for every request: all fifty fall in one velocity window, whatever the wall clock does.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = api.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        var client = (await AppWithRulesAsync(new RiskRulesDto(PayerVelocity: new VelocityLimitDto(MaxCount: 10, WindowSeconds: 60)))).With(host.CreateClient());

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => client.PostAsync("/api/v1/payments", Body($"VEL-{i}"))));

        Assert.Equal(10, responses.Count(r => r.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(40, responses.Count(r => r.StatusCode == HttpStatusCode.UnprocessableEntity));
        foreach (var denied in responses.Where(r => r.StatusCode != HttpStatusCode.Accepted))
        {
            await AssertRiskDeniedAsync(denied, RiskReasons.PayerVelocity);
        }

        var stored = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => StoredAsync(client, $"VEL-{i}")));
        Assert.Equal(10, stored.Count(p => p is not null));
    }

    [Fact]
    public async Task ARepeatOfAnAdmittedPaymentIsAnsweredWithItNeitherCountedAgainNorDenied()
    {
        var client = await AppWithRulesAsync(new RiskRulesDto(PayerDaily: new DailyLimitDto(MaxCount: 1)));

        var first = await client.PostAsync("/api/v1/payments", Body("REP-A"));
        var repeat = await client.PostAsync("/api/v1/payments", Body("REP-A"));
        var other = await client.PostAsync("/api/v1/payments", Body("REP-B"));
        var repeatAfterTheLimitIsReached = await client.PostAsync("/api/v1/payments", Body("REP-A"));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        await AssertRiskDeniedAsync(other, RiskReasons.PayerDailyCount);
        Assert.Equal(HttpStatusCode.OK, repeatAfterTheLimitIsReached.StatusCode);
        Assert.Equal((await JsonAsync(first)).GetProperty("id").GetString(), (await JsonAsync(repeatAfterTheLimitIsReached)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task FiftyConcurrentIdenticalCreatesUnderALimitOfOneMakeOnePaymentAndDenyNone()
    {
        var client = await AppWithRulesAsync(new RiskRulesDto(PayerDaily: new DailyLimitDto(MaxCount: 1)));

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.PostAsync("/api/v1/payments", Body("SAME-1"))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(49, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
    }

    [Fact]
    public async Task AReviewedPaymentGoesToTheChannelAndCarriesTheDecision()
    {
        var client = await AppWithRulesAsync(new RiskRulesDto(Currency: "CNY", ReviewAbove: 1000));

        var reviewed = await client.PostAsync("/api/v1/payments", Body("REV-1", amount: 1001));
        var allowed = await client.PostAsync("/api/v1/payments", Body("REV-2", amount: 1000));

        Assert.Equal(HttpStatusCode.Accepted, reviewed.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
        var review = (await StoredAsync(client, "REV-1"))!.Value.Risk!;
        Assert.Equal(RiskAction.Review, review.Action);
        Assert.Equal([RiskReasons.AmountOverReviewThreshold], review.Reasons);
        Assert.Equal(RiskDecision.Allow.Action, (await StoredAsync(client, "REV-2"))!.Value.Risk!.Action);
        string id = Ids.PaymentId(client.AppId, "REV-1");
        await QueuePeek.WaitForCountAsync(api.Clients.Queue(Queues.ChannelRequests), m => m.Contains(id, StringComparison.Ordinal), 1);

        // And operators see it on their list; the allowed one is not there.
        using var admin = api.OperatorClient("Auditor");
        string list = await admin.GetStringAsync("/api/v1/admin/exceptions?kind=payment&limit=100");
        Assert.Contains(id, list, StringComparison.Ordinal);
        Assert.Contains("risk_review", list, StringComparison.Ordinal);
        Assert.DoesNotContain(Ids.PaymentId(client.AppId, "REV-2"), list, StringComparison.Ordinal);
    }
}
