using Microsoft.Extensions.Time.Testing;
using Payments.Core.Risk;
using Payments.Infrastructure.Risk;

namespace Payments.Infrastructure.Tests.Risk;

public class TableRiskRuleStoreTests(RiskTablesFixture fx) : IClassFixture<RiskTablesFixture>
{
    private static RiskRules Rules(long singleMax) => RiskRulesValidator.Validate(new RiskRulesDto(
        Currency: "CNY",
        SinglePaymentMax: singleMax,
        MerchantDaily: new DailyLimitDto(MaxCount: 100),
        PayerVelocity: new VelocityLimitDto(5, 60),
        BlockedPayerIds: ["u-13"],
        BlockedIps: ["198.51.100.0/24", "2001:db8::1"])).Value!;

    [Fact]
    public async Task SavedRulesAreReadBackAsSaved()
    {
        string merchant = $"mch_{Guid.NewGuid():N}";
        var saved = Rules(500_000);
        await new TableRiskRuleStore(fx.Clients, TimeProvider.System).SaveAsync(merchant, saved, default);

        var read = await new TableRiskRuleStore(fx.NewInstance(), TimeProvider.System).GetAsync(merchant, default);

        Assert.Equal(RiskRulesDto.From(saved) with { BlockedIps = null, BlockedPayerIds = null }, RiskRulesDto.From(read!) with { BlockedIps = null, BlockedPayerIds = null });
        Assert.Equal(saved.BlockedIps, read!.BlockedIps);
        Assert.Equal(saved.BlockedPayerIds, read.BlockedPayerIds);
    }

    [Fact]
    public async Task AMerchantThatNeverSavedRulesHasNone() =>
        Assert.Null(await new TableRiskRuleStore(fx.Clients, TimeProvider.System).GetAsync($"mch_{Guid.NewGuid():N}", default));

    [Fact]
    public async Task AChangeIsSeenAtOnceWhereItWasMadeAndWithinTheCacheTimeElsewhere()
    {
        string merchant = $"mch_{Guid.NewGuid():N}";
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var here = new TableRiskRuleStore(fx.NewInstance(), clock);
        var elsewhere = new TableRiskRuleStore(fx.NewInstance(), clock);
        await here.SaveAsync(merchant, Rules(1000), default);
        Assert.Equal(1000, (await elsewhere.GetAsync(merchant, default))!.SinglePaymentMax!.Value.MinorUnits);

        await here.SaveAsync(merchant, Rules(2000), default);

        Assert.Equal(2000, (await here.GetAsync(merchant, default))!.SinglePaymentMax!.Value.MinorUnits);
        Assert.Equal(1000, (await elsewhere.GetAsync(merchant, default))!.SinglePaymentMax!.Value.MinorUnits);
        clock.Advance(TableRiskRuleStore.CacheFor);
        Assert.Equal(2000, (await elsewhere.GetAsync(merchant, default))!.SinglePaymentMax!.Value.MinorUnits);
    }
}
