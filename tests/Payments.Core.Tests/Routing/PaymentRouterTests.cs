using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Payments.Core.Apps;
using Payments.Core.Routing;

namespace Payments.Core.Tests.Routing;

public class PaymentRouterTests
{
    internal static App AppWith(IReadOnlyList<RouteCandidate>? wechatRoutes, string single = "ca_single") => new(
        "app_1", "mch_1", "Shop", new Dictionary<string, string> { ["wechatpay"] = single }, null, [], [],
        Routes: wechatRoutes is null ? null : new Dictionary<string, IReadOnlyList<RouteCandidate>> { ["wechatpay"] = wechatRoutes });

    private static Money Cny(long fen) => new(fen, Currency.CNY);

    /// <summary>Says no for the accounts it is given, as an open circuit does.</summary>
    internal sealed class OpenCircuits(params string[] open) : IChannelHealth
    {
        public bool TryAcquire(string channelAccountId) => !open.Contains(channelAccountId);

        public void RecordSuccess(string channelAccountId) => throw new NotSupportedException();

        public void RecordFailure(string channelAccountId) => throw new NotSupportedException();
    }

    [Fact]
    public void AnAppWithOnlyItsSingleAccountMapRoutesThereEvenWhenThatCircuitIsOpen()
    {
        var decision = PaymentRouter.Route(AppWith(null), "wechatpay", "pay_1", Cny(100), "qr", new OpenCircuits("ca_single"));

        Assert.Equal("ca_single", decision.Value!.ChannelAccountId);
        Assert.Equal(RoutingRules.SingleAccount, decision.Value.Rule);
        Assert.Empty(decision.Value.Skipped);
    }

    [Theory]
    [InlineData(99, "ca_other")]
    [InlineData(100, "ca_range")]
    [InlineData(200, "ca_range")]
    [InlineData(201, "ca_other")]
    public void AmountRangesIncludeBothEnds(long fen, string expected)
    {
        var app = AppWith([new RouteCandidate("ca_range", MinAmount: 100, MaxAmount: 200), new RouteCandidate("ca_other", MaxAmount: 99), new RouteCandidate("ca_other", MinAmount: 201)]);

        Assert.Equal(expected, PaymentRouter.Route(app, "wechatpay", "pay_1", Cny(fen), "qr", null).Value!.ChannelAccountId);
    }

    [Fact]
    public void CandidatesForAnotherCurrencyOrMethodAreSkippedWithTheirReason()
    {
        var app = AppWith([
            new RouteCandidate("ca_usd", Currency: "USD"),
            new RouteCandidate("ca_app", Methods: ["app"]),
            new RouteCandidate("ca_cny_qr", Currency: "CNY", Methods: ["qr", "h5"]),
        ]);

        var decision = PaymentRouter.Route(app, "wechatpay", "pay_1", Cny(100), "qr", null).Value!;

        Assert.Equal("ca_cny_qr", decision.ChannelAccountId);
        Assert.Equal(RoutingRules.Weighted, decision.Rule);
        Assert.Equal(["ca_usd", "ca_app", "ca_cny_qr"], decision.Considered);
        Assert.Equal([new SkippedCandidate("ca_usd", SkipReasons.Currency), new SkippedCandidate("ca_app", SkipReasons.Method)], decision.Skipped);
    }

    [Fact]
    public void AnOpenCircuitSendsThePaymentToTheNextMatchingCandidate()
    {
        var app = AppWith([new RouteCandidate("ca_a"), new RouteCandidate("ca_b")]);
        string id = Enumerable.Range(0, 100).Select(i => $"pay_{i}").First(id => PaymentRouter.Route(app, "wechatpay", id, Cny(100), "qr", null).Value!.ChannelAccountId == "ca_a");

        var decision = PaymentRouter.Route(app, "wechatpay", id, Cny(100), "qr", new OpenCircuits("ca_a")).Value!;

        Assert.Equal("ca_b", decision.ChannelAccountId);
        Assert.Equal(RoutingRules.Failover, decision.Rule);
        Assert.Equal([new SkippedCandidate("ca_a", SkipReasons.CircuitOpen)], decision.Skipped);
    }

    [Fact]
    public void WhenNoCandidateMatchesOrAllCircuitsAreOpenTheChannelIsNotAvailable()
    {
        var app = AppWith([new RouteCandidate("ca_a", MaxAmount: 50), new RouteCandidate("ca_b")]);

        var problem = PaymentRouter.Route(app, "wechatpay", "pay_1", Cny(100), "qr", new OpenCircuits("ca_b")).Problem!;

        Assert.Equal(ProblemCodes.ChannelNotAvailable, problem.Code);
        Assert.Equal([SkipReasons.AmountOutOfRange, SkipReasons.CircuitOpen], problem.Reasons);
        Assert.Equal(ProblemCodes.ChannelNotAvailable, PaymentRouter.Route(AppWith(null), "alipay", "pay_1", Cny(100), "qr", null).Problem!.Code);
    }

    [Fact]
    public void WeightsOf70And30SplitTenThousandPaymentsWithinTwoPercent()
    {
        var app = AppWith([new RouteCandidate("ca_a", Weight: 700), new RouteCandidate("ca_b", Weight: 300)]);

        int toA = Enumerable.Range(0, 10_000)
            .Count(i => PaymentRouter.Route(app, "wechatpay", Ids.PaymentId("app_1", $"order-{i}"), Cny(100), "qr", null).Value!.ChannelAccountId == "ca_a");

        // 7000 ± 200 is more than four standard deviations (about 46) either way.
        Assert.InRange(toA, 6800, 7200);
    }

    private static readonly Gen<RouteCandidate> Candidates =
        from account in Gen.Elements("ca_a", "ca_b", "ca_c", "ca_d")
        from min in Gen.OneOf(Gen.Constant<long?>(null), Gen.Choose(1, 500).Select(v => (long?)v))
        from span in Gen.Choose(0, 1000)
        from hasMax in Gen.Elements(true, false)
        from currency in Gen.Elements<string?>(null, "CNY", "USD")
        from methods in Gen.Elements<IReadOnlyList<string>?>(null, ["qr"], ["app", "h5"])
        from weight in Gen.Choose(1, 1000)
        select new RouteCandidate(account, min, hasMax ? (min ?? 1) + span : null, currency, methods, weight);

    private static readonly Gen<(List<RouteCandidate> Candidates, int Fen, string Method, string[] Open, int Seed)> Cases =
        from candidates in Gen.NonEmptyListOf(Candidates)
        from fen in Gen.Choose(1, 1500)
        from method in Gen.Elements("qr", "app", "h5")
        from open in Gen.SubListOf(new[] { "ca_a", "ca_b", "ca_c", "ca_d" })
        from seed in Gen.Choose(0, 1_000_000)
        select (candidates.ToList(), fen, method, open.ToArray(), seed);

    [Property(MaxTest = 300)]
    public Property TheChoiceIsAnAvailableMatchingCandidateTheSameEveryTimeAndOnlyRefusedWhenNoneIs() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var app = AppWith(c.Candidates);
            var health = new OpenCircuits(c.Open);
            string id = $"pay_{c.Seed}";
            var first = PaymentRouter.Route(app, "wechatpay", id, Cny(c.Fen), c.Method, health);
            var again = PaymentRouter.Route(app, "wechatpay", id, Cny(c.Fen), c.Method, health);
            var available = c.Candidates.Where(r => r.Mismatch(Cny(c.Fen), c.Method) is null && !c.Open.Contains(r.ChannelAccountId)).Select(r => r.ChannelAccountId).ToList();
            return available.Count == 0
                ? first.Problem?.Code == ProblemCodes.ChannelNotAvailable
                : available.Contains(first.Value!.ChannelAccountId)
                    && again.Value!.ChannelAccountId == first.Value.ChannelAccountId && again.Value.Rule == first.Value.Rule;
        });
}
