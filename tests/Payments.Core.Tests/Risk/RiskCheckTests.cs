using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Risk;

namespace Payments.Core.Tests.Risk;

public class RiskCheckTests
{
    private static readonly RiskOptions Options = new() { BusinessTimeZone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai") };

    private static readonly RiskSubject Subject = new("mch_1", "pay_1", new Money(1999, Currency.CNY), "u-42", "203.0.113.9", new DateTimeOffset(2026, 3, 10, 4, 0, 0, TimeSpan.Zero));

    private sealed class Rules(RiskRules? rules) : IRiskRuleStore
    {
        public Task<RiskRules?> GetAsync(string merchantId, CancellationToken cancellationToken) => Task.FromResult(rules);

        public Task SaveAsync(string merchantId, RiskRules rules, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    /// <summary>Answers a fixed result and remembers what it was asked.</summary>
    private sealed class Counters(ConsumeResult answer) : IRiskCounterStore
    {
        public List<CounterRequest> Requests { get; } = [];

        public Task<ConsumeResult> TryConsumeAsync(CounterRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(answer);
        }
    }

    private static (RiskCheck Check, Counters Counters) Make(RiskRules? rules, ConsumeResult? answer = null)
    {
        var counters = new Counters(answer ?? ConsumeResult.Consumed);
        return (new RiskCheck(new Rules(rules), counters, Options, NullLogger<RiskCheck>.Instance), counters);
    }

    private static Func<CancellationToken, Task<bool>> Exists(bool exists, List<string>? asked = null) => _ =>
    {
        asked?.Add("exists?");
        return Task.FromResult(exists);
    };

    [Fact]
    public async Task AMerchantWithoutRulesIsAllowedWithoutLookingForThePayment()
    {
        var asked = new List<string>();
        var (check, counters) = Make(null);

        var decision = await check.AssessAsync(Subject, Exists(false, asked), default);

        Assert.Equal(RiskDecision.Allow, decision);
        Assert.Empty(asked);
        Assert.Empty(counters.Requests);
    }

    [Fact]
    public async Task ARepeatOfAnExistingPaymentIsNeitherCountedNorJudgedAgain()
    {
        var (check, counters) = Make(new RiskRules { BlockedPayerIds = ["u-42"], MerchantDaily = new DailyLimit(null, 1) });

        var decision = await check.AssessAsync(Subject, Exists(true), default);

        Assert.Null(decision);
        Assert.Empty(counters.Requests);
    }

    [Fact]
    public async Task ADenialWithoutCountersLeavesEveryCounterAlone()
    {
        var (check, counters) = Make(new RiskRules { BlockedPayerIds = ["u-42"], MerchantDaily = new DailyLimit(null, 100) });

        var decision = await check.AssessAsync(Subject, Exists(false), default);

        Assert.Equal(RiskAction.Deny, decision!.Action);
        Assert.Equal([RiskReasons.PayerBlocked], decision.Reasons);
        Assert.Empty(counters.Requests);
    }

    [Fact]
    public async Task AnExceededCounterDeniesWithTheCountersReasons()
    {
        var (check, counters) = Make(
            new RiskRules { PayerVelocity = new VelocityLimit(10, 60) },
            new ConsumeResult(ConsumeOutcome.Exceeded, [RiskReasons.PayerVelocity]));

        var decision = await check.AssessAsync(Subject, Exists(false), default);

        Assert.Equal(RiskAction.Deny, decision!.Action);
        Assert.Equal([RiskReasons.PayerVelocity], decision.Reasons);
        Assert.Equal("pay_1", Assert.Single(counters.Requests).ClaimId);
        var problem = decision.ToProblem();
        Assert.Equal(ProblemCodes.RiskDenied, problem.Code);
        Assert.Equal([RiskReasons.PayerVelocity], problem.Reasons);
    }

    [Theory]
    [InlineData(ConsumeOutcome.Consumed)]
    [InlineData(ConsumeOutcome.AlreadyConsumed)]
    public async Task AdmittedByTheCountersIsAllowedOrReviewed(ConsumeOutcome outcome)
    {
        var counted = new RiskRules { MerchantDaily = new DailyLimit(null, 10) };
        var (check, _) = Make(counted, new ConsumeResult(outcome, []));
        var (reviewing, _) = Make(counted with { Currency = Currency.CNY, ReviewAbove = new Money(1000, Currency.CNY) }, new ConsumeResult(outcome, []));

        Assert.Equal(RiskDecision.Allow, await check.AssessAsync(Subject, Exists(false), default));
        var reviewed = await reviewing.AssessAsync(Subject, Exists(false), default);
        Assert.Equal(RiskAction.Review, reviewed!.Action);
        Assert.Equal([RiskReasons.AmountOverReviewThreshold], reviewed.Reasons);
    }
}
