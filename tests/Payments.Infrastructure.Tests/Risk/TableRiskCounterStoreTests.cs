using System.Diagnostics;
using Azure.Data.Tables;
using Payments.Core;
using Payments.Core.Risk;
using Payments.Infrastructure.Risk;
using Xunit.Abstractions;

namespace Payments.Infrastructure.Tests.Risk;

public class TableRiskCounterStoreTests(RiskTablesFixture fx, ITestOutputHelper output) : IClassFixture<RiskTablesFixture>
{
    private static string NewScope() => $"mch_{Guid.NewGuid():N}|20260310";

    private static CounterRequest Request(string scope, string claim, long amount, params CounterLimit[] limits) =>
        new(scope, claim, new Money(amount, Currency.CNY), limits);

    private async Task<TableEntity?> RowAsync(string scope, string rowKey)
    {
        var row = await fx.Clients.RiskCounters.GetEntityIfExistsAsync<TableEntity>(scope, rowKey);
        return row.HasValue ? row.Value : null;
    }

    private Task<int> ClaimCountAsync(string scope) =>
        fx.Clients.RiskCounters.QueryAsync<TableEntity>($"PartitionKey eq '{scope}'").CountAsync(e => e.RowKey.StartsWith("claim|", StringComparison.Ordinal)).AsTask();

    [Fact]
    public async Task FiftyConcurrentRequestsFromFiveInstancesAgainstTenPerMinuteAdmitExactlyTen()
    {
        string scope = NewScope();
        var velocity = new CounterLimit(CounterNames.Velocity("payer", 60, 720, "u-42"), CounterMeasure.Count, 10, RiskReasons.PayerVelocity);
        var instances = Enumerable.Range(0, 5).Select(_ => new TableRiskCounterStore(fx.NewInstance())).ToList();

        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            instances[i % instances.Count].TryConsumeAsync(Request(scope, $"pay_{i:D3}", 100, velocity), default)));
        output.WriteLine($"50 concurrent check-and-increments on 5 instances: {clock.ElapsedMilliseconds} ms");

        Assert.Equal(10, results.Count(r => r.Outcome == ConsumeOutcome.Consumed));
        Assert.All(results.Where(r => r.Outcome != ConsumeOutcome.Consumed), r =>
        {
            Assert.Equal(ConsumeOutcome.Exceeded, r.Outcome);
            Assert.Equal([RiskReasons.PayerVelocity], r.ExceededReasons);
        });
        Assert.Equal(10, (await RowAsync(scope, velocity.Counter))!.GetInt64("Count"));
        Assert.Equal(10, await ClaimCountAsync(scope));
    }

    [Fact]
    public async Task RequestsCommittedTogetherAreEachDecidedOnTheTotalsBeforeThem()
    {
        string scope = NewScope();
        var store = new TableRiskCounterStore(fx.Clients);
        CounterLimit[] limits =
        [
            new(CounterNames.Merchant, CounterMeasure.Count, 100, RiskReasons.MerchantDailyCount),
            new(CounterNames.PayerDay("u-1"), CounterMeasure.Amount, 3000, RiskReasons.PayerDailyAmount),
        ];

        // One instance, so concurrent requests share transactions: refused ones must not add to the totals.
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => store.TryConsumeAsync(Request(scope, $"pay_{i}", 1000, limits), default)));

        Assert.Equal(3, results.Count(r => r.Outcome == ConsumeOutcome.Consumed));
        Assert.All(results.Where(r => r.Outcome != ConsumeOutcome.Consumed), r => Assert.Equal([RiskReasons.PayerDailyAmount], r.ExceededReasons));
        Assert.Equal(3, (await RowAsync(scope, CounterNames.Merchant))!.GetInt64("Count"));
        Assert.Equal(3000, (await RowAsync(scope, CounterNames.PayerDay("u-1")))!.GetInt64("Amount_CNY"));
        Assert.Equal(3, await ClaimCountAsync(scope));
    }

    [Fact]
    public async Task ConcurrentRepeatsOfOnePaymentCountItOnce()
    {
        string scope = NewScope();
        var daily = new CounterLimit(CounterNames.Merchant, CounterMeasure.Count, 5, RiskReasons.MerchantDailyCount);
        var instances = new[] { new TableRiskCounterStore(fx.NewInstance()), new TableRiskCounterStore(fx.NewInstance()) };

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            instances[i % 2].TryConsumeAsync(Request(scope, "pay_same", 100, daily), default)));

        Assert.Single(results, r => r.Outcome == ConsumeOutcome.Consumed);
        Assert.Equal(19, results.Count(r => r.Outcome == ConsumeOutcome.AlreadyConsumed));
        Assert.Equal(1, (await RowAsync(scope, CounterNames.Merchant))!.GetInt64("Count"));
    }

    [Fact]
    public async Task ARepeatIsNotRefusedByItsOwnEarlierCount()
    {
        string scope = NewScope();
        var store = new TableRiskCounterStore(fx.Clients);
        var one = new CounterLimit(CounterNames.PayerDay("u-1"), CounterMeasure.Count, 1, RiskReasons.PayerDailyCount);

        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(scope, "pay_a", 100, one), default)).Outcome);
        Assert.Equal(ConsumeOutcome.AlreadyConsumed, (await store.TryConsumeAsync(Request(scope, "pay_a", 100, one), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Exceeded, (await store.TryConsumeAsync(Request(scope, "pay_b", 100, one), default)).Outcome);
    }

    [Fact]
    public async Task ARequestThatWouldExceedAnyLimitChangesNoCounter()
    {
        string scope = NewScope();
        var store = new TableRiskCounterStore(fx.Clients);
        CounterLimit[] limits =
        [
            new(CounterNames.Merchant, CounterMeasure.Count, 100, RiskReasons.MerchantDailyCount),
            new(CounterNames.Merchant, CounterMeasure.Amount, 1_000_000, RiskReasons.MerchantDailyAmount),
            new(CounterNames.PayerDay("u-1"), CounterMeasure.Amount, 3000, RiskReasons.PayerDailyAmount),
        ];

        var first = await store.TryConsumeAsync(Request(scope, "pay_1", 1999, limits), default);
        var second = await store.TryConsumeAsync(Request(scope, "pay_2", 1999, limits), default);

        Assert.Equal(ConsumeOutcome.Consumed, first.Outcome);
        Assert.Equal(ConsumeOutcome.Exceeded, second.Outcome);
        Assert.Equal([RiskReasons.PayerDailyAmount], second.ExceededReasons);
        var merchant = (await RowAsync(scope, CounterNames.Merchant))!;
        Assert.Equal(1, merchant.GetInt64("Count"));
        Assert.Equal(1999, merchant.GetInt64("Amount_CNY"));
        Assert.Equal(1, await ClaimCountAsync(scope));
    }

    [Fact]
    public async Task AnAmountLimitAdmitsUpToExactlyTheLimit()
    {
        string scope = NewScope();
        var store = new TableRiskCounterStore(fx.Clients);
        var limit = new CounterLimit(CounterNames.Merchant, CounterMeasure.Amount, 3000, RiskReasons.MerchantDailyAmount);

        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(scope, "pay_1", 2000, limit), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Exceeded, (await store.TryConsumeAsync(Request(scope, "pay_2", 1001, limit), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(scope, "pay_3", 1000, limit), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Exceeded, (await store.TryConsumeAsync(Request(scope, "pay_4", 1, limit), default)).Outcome);
    }

    [Fact]
    public async Task AnotherDayOrMerchantStartsFromZero()
    {
        var store = new TableRiskCounterStore(fx.Clients);
        var one = new CounterLimit(CounterNames.Merchant, CounterMeasure.Count, 1, RiskReasons.MerchantDailyCount);
        string merchant = $"mch_{Guid.NewGuid():N}";

        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(merchant + "|20260310", "pay_1", 100, one), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(merchant + "|20260311", "pay_2", 100, one), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(NewScope(), "pay_3", 100, one), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Exceeded, (await store.TryConsumeAsync(Request(merchant + "|20260311", "pay_4", 100, one), default)).Outcome);
    }

    [Fact]
    public async Task PayerIdsThatAreNotValidKeysAreCountedToo()
    {
        string scope = NewScope();
        var store = new TableRiskCounterStore(fx.Clients);
        var slash = new CounterLimit(CounterNames.PayerDay("u/42#?\\"), CounterMeasure.Count, 1, RiskReasons.PayerDailyCount);
        var other = new CounterLimit(CounterNames.PayerDay("u/42#?"), CounterMeasure.Count, 1, RiskReasons.PayerDailyCount);

        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(scope, "pay_1", 100, slash), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Exceeded, (await store.TryConsumeAsync(Request(scope, "pay_2", 100, slash), default)).Outcome);
        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(scope, "pay_3", 100, other), default)).Outcome);
    }

    [Fact]
    public async Task AmountsAreKeptPerCurrency()
    {
        string scope = NewScope();
        var store = new TableRiskCounterStore(fx.Clients);
        var limit = new CounterLimit(CounterNames.Merchant, CounterMeasure.Amount, 1000, RiskReasons.MerchantDailyAmount);

        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(Request(scope, "pay_1", 1000, limit), default)).Outcome);
        var usd = new CounterRequest(scope, "pay_2", new Money(1000, Currency.Parse("USD")), [limit]);
        Assert.Equal(ConsumeOutcome.Consumed, (await store.TryConsumeAsync(usd, default)).Outcome);
        var merchant = (await RowAsync(scope, CounterNames.Merchant))!;
        Assert.Equal(2, merchant.GetInt64("Count"));
        Assert.Equal(1000, merchant.GetInt64("Amount_USD"));
    }
}
