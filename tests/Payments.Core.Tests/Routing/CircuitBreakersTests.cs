using Microsoft.Extensions.Time.Testing;
using Payments.Core.Routing;

namespace Payments.Core.Tests.Routing;

public class CircuitBreakersTests
{
    private static readonly TimeSpan CoolDown = TimeSpan.FromSeconds(30);

    private static (CircuitBreakers Breakers, FakeTimeProvider Time) Make(int threshold = 3)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 4, 0, 0, TimeSpan.Zero));
        return (new CircuitBreakers(time, new CircuitBreakerOptions { FailureThreshold = threshold, CoolDown = CoolDown }), time);
    }

    [Fact]
    public void ItOpensOnlyAfterTheThresholdOfConsecutiveFailures()
    {
        var (breakers, _) = Make();
        breakers.RecordFailure("ca_a");
        breakers.RecordFailure("ca_a");
        breakers.RecordSuccess("ca_a");
        breakers.RecordFailure("ca_a");
        breakers.RecordFailure("ca_a");
        Assert.Equal(CircuitState.Closed, breakers.StateOf("ca_a"));
        Assert.True(breakers.TryAcquire("ca_a"));

        breakers.RecordFailure("ca_a");

        Assert.Equal(CircuitState.Open, breakers.StateOf("ca_a"));
        Assert.False(breakers.TryAcquire("ca_a"));
        Assert.True(breakers.TryAcquire("ca_b"));
    }

    [Fact]
    public void AfterTheCoolDownExactlyOneTrialIsLetThroughAndItsSuccessCloses()
    {
        var (breakers, time) = Make(threshold: 1);
        breakers.RecordFailure("ca_a");
        time.Advance(CoolDown - TimeSpan.FromSeconds(1));
        Assert.False(breakers.TryAcquire("ca_a"));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(breakers.TryAcquire("ca_a"));
        Assert.Equal(CircuitState.HalfOpen, breakers.StateOf("ca_a"));
        Assert.False(breakers.TryAcquire("ca_a"));

        breakers.RecordSuccess("ca_a");
        Assert.Equal(CircuitState.Closed, breakers.StateOf("ca_a"));
        Assert.True(breakers.TryAcquire("ca_a"));
        Assert.True(breakers.TryAcquire("ca_a"));
    }

    [Fact]
    public void AFailedTrialOpensTheCircuitForAnotherFullCoolDown()
    {
        var (breakers, time) = Make(threshold: 2);
        breakers.RecordFailure("ca_a");
        breakers.RecordFailure("ca_a");
        time.Advance(CoolDown);
        Assert.True(breakers.TryAcquire("ca_a"));

        time.Advance(TimeSpan.FromSeconds(5));
        breakers.RecordFailure("ca_a");

        Assert.Equal(CircuitState.Open, breakers.StateOf("ca_a"));
        time.Advance(CoolDown - TimeSpan.FromSeconds(1));
        Assert.False(breakers.TryAcquire("ca_a"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(breakers.TryAcquire("ca_a"));
    }

    [Fact]
    public void ATrialWhoseOutcomeNeverComesIsReplacedAfterAnotherCoolDown()
    {
        var (breakers, time) = Make(threshold: 1);
        breakers.RecordFailure("ca_a");
        time.Advance(CoolDown);
        Assert.True(breakers.TryAcquire("ca_a"));

        time.Advance(CoolDown - TimeSpan.FromSeconds(1));
        Assert.False(breakers.TryAcquire("ca_a"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(breakers.TryAcquire("ca_a"));
        Assert.False(breakers.TryAcquire("ca_a"));
    }
}
