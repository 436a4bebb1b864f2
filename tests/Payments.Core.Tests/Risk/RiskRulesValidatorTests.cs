using System.Net;
using Payments.Core.Risk;

namespace Payments.Core.Tests.Risk;

public class RiskRulesValidatorTests
{
    private static readonly RiskRulesDto Full = new(
        Currency: "CNY",
        SinglePaymentMax: 500_000,
        ReviewAbove: 200_000,
        MerchantDaily: new DailyLimitDto(10_000_000, 1000),
        PayerDaily: new DailyLimitDto(1_000_000, 20),
        PayerVelocity: new VelocityLimitDto(5, 60),
        IpVelocity: new VelocityLimitDto(10, 60),
        BlockedPayerIds: ["u-13"],
        BlockedIps: ["203.0.113.9", "198.51.100.0/24", "2001:db8::/32"]);

    private static IReadOnlyDictionary<string, string[]> Errors(RiskRulesDto dto)
    {
        var result = RiskRulesValidator.Validate(dto);
        Assert.False(result.IsSuccess, "expected a validation problem");
        Assert.Equal(ProblemCodes.ValidationFailed, result.Problem!.Code);
        return result.Problem.Errors!;
    }

    [Fact]
    public void ValidRulesComeBackAsTheSameDto()
    {
        var rules = RiskRulesValidator.Validate(Full).Value!;

        Assert.Equal(new Money(500_000, Currency.CNY), rules.SinglePaymentMax);
        Assert.Equal(new VelocityLimit(5, 60), rules.PayerVelocity);
        Assert.Contains(IPNetwork.Parse("198.51.100.0/24"), rules.BlockedIps);
        var back = RiskRulesDto.From(rules);
        Assert.Equal(Full with { BlockedPayerIds = null, BlockedIps = null }, back with { BlockedPayerIds = null, BlockedIps = null });
        Assert.Equal(Full.BlockedPayerIds, back.BlockedPayerIds);
        Assert.Equal(Full.BlockedIps, back.BlockedIps);
    }

    [Fact]
    public void NoRulesAtAllAreValidAndEmpty()
    {
        var rules = RiskRulesValidator.Validate(new RiskRulesDto()).Value!;

        Assert.True(rules.IsEmpty);
    }

    [Fact]
    public void AmountLimitsNeedACurrency()
    {
        var errors = Errors(new RiskRulesDto(SinglePaymentMax: 1000));

        Assert.Equal(["currency"], errors.Keys);
    }

    [Fact]
    public void AnUnknownCurrencyIsRefused() =>
        Assert.Contains("currency", Errors(Full with { Currency = "XXX" }).Keys);

    [Fact]
    public void EachBadFieldIsNamedByItsJsonPath()
    {
        var errors = Errors(Full with
        {
            SinglePaymentMax = 0,
            MerchantDaily = new DailyLimitDto(MaxCount: 0),
            PayerDaily = new DailyLimitDto(MaxAmount: -5),
            PayerVelocity = new VelocityLimitDto(MaxCount: 5, WindowSeconds: 86_401),
            IpVelocity = new VelocityLimitDto(WindowSeconds: 60),
            BlockedPayerIds = ["ok", "", new string('x', 65)],
            BlockedIps = ["203.0.113.9", "300.1.1.1", "198.51.100.7/24", "not an ip"],
        });

        Assert.Equal(
            [
                "blockedIps[1]", "blockedIps[2]", "blockedIps[3]", "blockedPayerIds[1]", "blockedPayerIds[2]",
                "ipVelocity.maxCount", "merchantDaily.maxCount", "payerDaily.maxAmount", "payerVelocity.windowSeconds", "singlePaymentMax",
            ],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ADailyLimitWithNeitherAmountNorCountIsRefused() =>
        Assert.Equal(["payerDaily"], Errors(new RiskRulesDto(PayerDaily: new DailyLimitDto())).Keys);

    [Fact]
    public void BlockListsHaveACap()
    {
        var ids = Enumerable.Range(0, RiskRulesValidator.MaxBlockedEntries + 1).Select(i => $"u-{i}").ToList();

        Assert.Equal(["blockedPayerIds"], Errors(new RiskRulesDto(BlockedPayerIds: ids)).Keys);
        Assert.True(RiskRulesValidator.Validate(new RiskRulesDto(BlockedPayerIds: ids[..^1])).IsSuccess);
    }

    [Fact]
    public void AnIpv4MappedNetworkIsHeldAsItsIpv4Network()
    {
        var rules = RiskRulesValidator.Validate(new RiskRulesDto(BlockedIps: ["::ffff:198.51.100.0/120", "::ffff:203.0.113.9"])).Value!;

        Assert.Equal([IPNetwork.Parse("198.51.100.0/24"), IPNetwork.Parse("203.0.113.9/32")], rules.BlockedIps);
    }
}
