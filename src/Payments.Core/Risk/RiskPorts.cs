namespace Payments.Core.Risk;

public interface IRiskRuleStore
{
    /// <summary>The merchant's rules, or null when none were ever saved. May be briefly stale: a change
    /// reaches every instance within the store's cache time.</summary>
    Task<RiskRules?> GetAsync(string merchantId, CancellationToken cancellationToken);

    Task SaveAsync(string merchantId, RiskRules rules, CancellationToken cancellationToken);
}

public enum CounterMeasure
{
    /// <summary>Each payment adds one.</summary>
    Count,

    /// <summary>Each payment adds its amount in minor units (per currency).</summary>
    Amount,
}

/// <summary>One limit on one counter: the counter may not exceed <see cref="Max"/> once this payment is added.</summary>
public sealed record CounterLimit(string Counter, CounterMeasure Measure, long Max, string Reason);

/// <summary>A payment's share of every counter its merchant's rules keep. <see cref="Scope"/> groups
/// the counters that are decided together (one merchant, one business day); <see cref="ClaimId"/>
/// (the payment id) makes the request idempotent.</summary>
public sealed record CounterRequest(string Scope, string ClaimId, Money Amount, IReadOnlyList<CounterLimit> Limits);

public enum ConsumeOutcome
{
    /// <summary>Every limit admitted the payment and every counter now includes it.</summary>
    Consumed,

    /// <summary>This claim was consumed before (a concurrent or retried identical request): nothing changed.</summary>
    AlreadyConsumed,

    /// <summary>At least one limit would be exceeded: no counter changed.</summary>
    Exceeded,
}

public sealed record ConsumeResult(ConsumeOutcome Outcome, IReadOnlyList<string> ExceededReasons)
{
    public static ConsumeResult Consumed { get; } = new(ConsumeOutcome.Consumed, []);

    public static ConsumeResult AlreadyConsumed { get; } = new(ConsumeOutcome.AlreadyConsumed, []);
}

/// <summary>Counters shared by every instance. Check-and-increment is all or nothing over a request's
/// counters, and never lets a counter past its limit however many instances race.</summary>
public interface IRiskCounterStore
{
    Task<ConsumeResult> TryConsumeAsync(CounterRequest request, CancellationToken cancellationToken);
}
