using System.Net;
using Payments.Core.Risk;

namespace Payments.Core.Tests.Risk;

public class RiskEvaluatorTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly DateTimeOffset Noon = new(2026, 3, 10, 4, 0, 30, TimeSpan.Zero);

    private static RiskSubject Subject(long amount = 1999, string? payer = "u-42", string? ip = "203.0.113.9", DateTimeOffset? at = null, string currency = "CNY") =>
        new("mch_1", "pay_1", new Money(amount, Currency.Parse(currency)), payer, ip, at ?? Noon);

    private static Money Cny(long minor) => new(minor, Currency.CNY);

    private static RiskPlan Plan(RiskRules rules, RiskSubject subject) => RiskEvaluator.Plan(rules, subject, Shanghai);

    private static IPNetwork Network(string cidr) => IPNetwork.Parse(cidr);

    [Fact]
    public void WithoutRulesNothingIsDeniedReviewedOrCounted()
    {
        var plan = Plan(RiskRules.None, Subject());

        Assert.Empty(plan.Denials);
        Assert.Empty(plan.Reviews);
        Assert.Null(plan.Counters);
    }

    [Fact]
    public void AnAmountOverTheSingleLimitIsDeniedAndNoCounterIsTouched()
    {
        var rules = new RiskRules { Currency = Currency.CNY, SinglePaymentMax = Cny(1000), MerchantDaily = new DailyLimit(null, 100) };

        var over = Plan(rules, Subject(amount: 1001));
        var atLimit = Plan(rules, Subject(amount: 1000));

        Assert.Equal([RiskReasons.AmountOverSingleLimit], over.Denials);
        Assert.Null(over.Counters);
        Assert.Empty(atLimit.Denials);
        Assert.NotNull(atLimit.Counters);
    }

    [Fact]
    public void EveryBlockListThatMatchesIsAReason()
    {
        var rules = new RiskRules { BlockedPayerIds = ["u-13", "u-42"], BlockedIps = [Network("203.0.113.0/24")] };

        Assert.Equal([RiskReasons.PayerBlocked, RiskReasons.IpBlocked], Plan(rules, Subject()).Denials);
        Assert.Empty(Plan(rules, Subject(payer: "u-43", ip: "203.0.114.9")).Denials);
    }

    [Fact]
    public void AnIpv4AddressWrittenAsIpv6IsBlockedByItsIpv4Entry()
    {
        var rules = new RiskRules { BlockedIps = [Network("198.51.100.7/32")] };

        Assert.Equal([RiskReasons.IpBlocked], Plan(rules, Subject(ip: "::ffff:198.51.100.7")).Denials);
    }

    [Fact]
    public void PayerIdsAreMatchedExactly()
    {
        var rules = new RiskRules { BlockedPayerIds = ["u-42"] };

        Assert.Empty(Plan(rules, Subject(payer: "U-42")).Denials);
        Assert.Empty(Plan(rules, Subject(payer: "u-42 ")).Denials);
    }

    [Fact]
    public void APaymentInAnotherCurrencyCannotSlipPastAmountLimits()
    {
        var rules = new RiskRules { Currency = Currency.CNY, MerchantDaily = new DailyLimit(Cny(1_000_000), null) };

        var plan = Plan(rules, Subject(currency: "USD"));

        Assert.Equal([RiskReasons.CurrencyNotCovered], plan.Denials);
        Assert.Null(plan.Counters);
    }

    [Fact]
    public void AnotherCurrencyIsOnlyReviewedWhenTheReviewThresholdIsTheOnlyAmountRule()
    {
        var rules = new RiskRules { Currency = Currency.CNY, ReviewAbove = Cny(100), MerchantDaily = new DailyLimit(null, 10) };

        var plan = Plan(rules, Subject(currency: "USD"));

        Assert.Empty(plan.Denials);
        Assert.Equal([RiskReasons.CurrencyNotCovered], plan.Reviews);
        Assert.NotNull(plan.Counters);
    }

    [Fact]
    public void AmountsAboveTheReviewThresholdAreReviewedNotDenied()
    {
        var rules = new RiskRules { Currency = Currency.CNY, ReviewAbove = Cny(1000) };

        var plan = Plan(rules, Subject(amount: 1001));

        Assert.Empty(plan.Denials);
        Assert.Equal([RiskReasons.AmountOverReviewThreshold], plan.Reviews);
        Assert.Empty(Plan(rules, Subject(amount: 1000)).Reviews);
    }

    [Fact]
    public void DailyLimitsBecomeCountAndAmountLimitsOnTheirCounters()
    {
        var rules = new RiskRules
        {
            Currency = Currency.CNY,
            MerchantDaily = new DailyLimit(Cny(5000), 3),
            PayerDaily = new DailyLimit(Cny(2000), null),
        };

        var counters = Plan(rules, Subject()).Counters!;

        Assert.Equal("pay_1", counters.ClaimId);
        Assert.Equal(Cny(1999), counters.Amount);
        Assert.Equal(
            [
                new CounterLimit(CounterNames.Merchant, CounterMeasure.Count, 3, RiskReasons.MerchantDailyCount),
                new CounterLimit(CounterNames.Merchant, CounterMeasure.Amount, 5000, RiskReasons.MerchantDailyAmount),
                new CounterLimit(CounterNames.PayerDay("u-42"), CounterMeasure.Amount, 2000, RiskReasons.PayerDailyAmount),
            ],
            counters.Limits);
    }

    [Fact]
    public void TheBusinessDayTurnsAtMidnightInShanghai()
    {
        var rules = new RiskRules { MerchantDaily = new DailyLimit(null, 10) };

        string before = Plan(rules, Subject(at: new DateTimeOffset(2026, 3, 10, 15, 59, 59, TimeSpan.Zero))).Counters!.Scope;
        string after = Plan(rules, Subject(at: new DateTimeOffset(2026, 3, 10, 16, 0, 0, TimeSpan.Zero))).Counters!.Scope;

        Assert.Equal("mch_1|20260310", before);
        Assert.Equal("mch_1|20260311", after);
    }

    [Fact]
    public void VelocityWindowsAreFixedWindowsOfTheBusinessDay()
    {
        var rules = new RiskRules { PayerVelocity = new VelocityLimit(10, 60) };
        string Counter(DateTimeOffset at) => Assert.Single(Plan(rules, Subject(ip: null, at: at)).Counters!.Limits).Counter;

        var start = new DateTimeOffset(2026, 3, 10, 4, 0, 0, TimeSpan.Zero);

        Assert.Equal(Counter(start), Counter(start.AddSeconds(59.999)));
        Assert.NotEqual(Counter(start), Counter(start.AddSeconds(60)));
        // 04:00 UTC is 12:00 in Shanghai: the 720th minute of the business day.
        Assert.Equal(CounterNames.Velocity("payer", 60, 720, "u-42"), Counter(start));
    }

    [Fact]
    public void PayerAndIpLimitsApplyOnlyWhenTheRequestNamesAPayerOrAnIp()
    {
        var rules = new RiskRules
        {
            PayerDaily = new DailyLimit(null, 5),
            PayerVelocity = new VelocityLimit(3, 60),
            IpVelocity = new VelocityLimit(3, 60),
        };

        Assert.Null(Plan(rules, Subject(payer: null, ip: null)).Counters);
        Assert.Equal(
            [RiskReasons.PayerDailyCount, RiskReasons.PayerVelocity, RiskReasons.IpVelocity],
            Plan(rules, Subject()).Counters!.Limits.Select(l => l.Reason));
    }

    [Fact]
    public void AnEmptyPayerIdIsNoPayer()
    {
        var rules = new RiskRules { PayerDaily = new DailyLimit(null, 5), BlockedPayerIds = [""] };

        var plan = Plan(rules, Subject(payer: ""));

        Assert.Empty(plan.Denials);
        Assert.Null(plan.Counters);
    }

    [Fact]
    public void Ipv6AddressesInOneSlash64ShareAVelocityCounter()
    {
        var rules = new RiskRules { IpVelocity = new VelocityLimit(3, 60) };
        string Counter(string ip) => Assert.Single(Plan(rules, Subject(payer: null, ip: ip)).Counters!.Limits).Counter;

        Assert.Equal(Counter("2001:db8:1:2::1"), Counter("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        Assert.NotEqual(Counter("2001:db8:1:2::1"), Counter("2001:db8:1:3::1"));
        Assert.NotEqual(Counter("203.0.113.9"), Counter("203.0.113.10"));
    }

    [Fact]
    public void NoPayerIdCanNameAnotherPayersCounterOrAnotherKindOfCounter()
    {
        var rules = new RiskRules { MerchantDaily = new DailyLimit(null, 100), PayerDaily = new DailyLimit(null, 5), PayerVelocity = new VelocityLimit(3, 60) };
        // Payer ids chosen to spell, after a prefix, what another counter's name would be.
        string[] payers = ["x", "-v|60s|720|x", "x|60s|720", "60s|720|x", "merchant", " "];

        var counters = payers
            .SelectMany(p => Plan(rules, Subject(payer: p)).Counters!.Limits.Where(l => l.Reason != RiskReasons.MerchantDailyCount).Select(l => l.Counter))
            .ToList();

        Assert.Equal(payers.Length * 2, counters.Count);
        Assert.Equal(counters.Count, counters.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain(CounterNames.Merchant, counters);
    }
}
