using System.Collections.Concurrent;

namespace Payments.Core.Routing;

/// <summary>Which channel accounts new payments may be routed to now.</summary>
public interface IChannelHealth
{
    /// <summary>True when a new payment may go to the account. A half-open account says yes once (the
    /// trial) and no again until the trial's outcome is recorded or another cool-down passes.</summary>
    bool TryAcquire(string channelAccountId);

    /// <summary>The account answered (an order, or a definite refusal): it is healthy.</summary>
    void RecordSuccess(string channelAccountId);

    /// <summary>The account gave no definite answer (time-out, 5xx): a technical failure.</summary>
    void RecordFailure(string channelAccountId);
}

public enum CircuitState
{
    Closed,
    Open,
    HalfOpen,
}

public sealed class CircuitBreakerOptions
{
    public int FailureThreshold { get; set; } = 5;

    public TimeSpan CoolDown { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>A circuit breaker per channel account, in this instance's memory. Not shared between
/// instances on purpose: it only steers new payments, so an instance that learns late costs some
/// payments a slow account (settled by queries as always), never money, and sharing it would put a
/// storage write on every channel call.</summary>
public sealed class CircuitBreakers(TimeProvider time, CircuitBreakerOptions options) : IChannelHealth
{
    private sealed class Breaker
    {
        public CircuitState State;
        public int ConsecutiveFailures;
        public DateTimeOffset OpenedAt;
        public DateTimeOffset TrialAt;
    }

    private readonly ConcurrentDictionary<string, Breaker> _breakers = new(StringComparer.Ordinal);

    public CircuitState StateOf(string channelAccountId)
    {
        if (!_breakers.TryGetValue(channelAccountId, out var breaker))
        {
            return CircuitState.Closed;
        }

        lock (breaker)
        {
            return breaker.State;
        }
    }

    public bool TryAcquire(string channelAccountId)
    {
        var breaker = _breakers.GetOrAdd(channelAccountId, _ => new Breaker());
        var now = time.GetUtcNow();
        lock (breaker)
        {
            switch (breaker.State)
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open when now - breaker.OpenedAt >= options.CoolDown:
                case CircuitState.HalfOpen when now - breaker.TrialAt >= options.CoolDown:
                    // The second case: a trial whose outcome never came (its create was delayed or lost)
                    // must not keep the account shut for ever.
                    breaker.State = CircuitState.HalfOpen;
                    breaker.TrialAt = now;
                    return true;
                default:
                    return false;
            }
        }
    }

    public void RecordSuccess(string channelAccountId)
    {
        var breaker = _breakers.GetOrAdd(channelAccountId, _ => new Breaker());
        lock (breaker)
        {
            breaker.State = CircuitState.Closed;
            breaker.ConsecutiveFailures = 0;
        }
    }

    public void RecordFailure(string channelAccountId)
    {
        var breaker = _breakers.GetOrAdd(channelAccountId, _ => new Breaker());
        var now = time.GetUtcNow();
        lock (breaker)
        {
            breaker.ConsecutiveFailures++;
            if (breaker.State == CircuitState.HalfOpen
                || (breaker.State == CircuitState.Closed && breaker.ConsecutiveFailures >= options.FailureThreshold))
            {
                breaker.State = CircuitState.Open;
                breaker.OpenedAt = now;
            }
        }
    }
}
