using Microsoft.Extensions.Logging;

namespace Payments.Core.Risk;

public sealed class RiskOptions
{
    public const string DefaultBusinessTimeZone = "Asia/Shanghai";

    /// <summary>Where a business day starts and ends for daily limits.</summary>
    public required TimeZoneInfo BusinessTimeZone { get; init; }
}

/// <summary>Risk control on the create path, before anything is stored: rules that need no counter
/// first, then one all-or-nothing check-and-increment of the merchant's counters.</summary>
public sealed class RiskCheck(IRiskRuleStore rules, IRiskCounterStore counters, RiskOptions options, ILogger<RiskCheck> logger)
{
    /// <summary>The decision for a new payment, or null when <paramref name="alreadyCreated"/> says the
    /// payment exists: a repeat of the create was decided when the payment was created, so it is
    /// neither counted again nor judged by rules changed since (the caller answers it with the stored
    /// payment). Asked only of merchants that have rules.</summary>
    public async Task<RiskDecision?> AssessAsync(RiskSubject subject, Func<CancellationToken, Task<bool>> alreadyCreated, CancellationToken cancellationToken)
    {
        var merchantRules = await rules.GetAsync(subject.MerchantId, cancellationToken);
        if (merchantRules is null || merchantRules.IsEmpty)
        {
            return RiskDecision.Allow;
        }

        if (await alreadyCreated(cancellationToken))
        {
            return null;
        }

        var plan = RiskEvaluator.Plan(merchantRules, subject, options.BusinessTimeZone);
        if (plan.Denials.Count > 0)
        {
            return Denied(subject, plan.Denials);
        }

        if (plan.Counters is { } request)
        {
            // A concurrent identical request may have consumed already (AlreadyConsumed): the payment
            // it is creating is this one, so it is admitted like that request was.
            var consumed = await counters.TryConsumeAsync(request, cancellationToken);
            if (consumed.Outcome == ConsumeOutcome.Exceeded)
            {
                return Denied(subject, consumed.ExceededReasons);
            }
        }

        if (plan.Reviews.Count > 0)
        {
            logger.LogWarning("Payment {PaymentId} of merchant {MerchantId} goes ahead under review: {Reasons}", subject.PaymentId, subject.MerchantId, string.Join(",", plan.Reviews));
            return RiskDecision.Review(plan.Reviews);
        }

        return RiskDecision.Allow;
    }

    private RiskDecision Denied(RiskSubject subject, IReadOnlyList<string> reasons)
    {
        logger.LogInformation("Payment {PaymentId} of merchant {MerchantId} denied by risk rules: {Reasons}", subject.PaymentId, subject.MerchantId, string.Join(",", reasons));
        return RiskDecision.Deny(reasons);
    }
}
