namespace Payments.Core.Risk;

public enum RiskAction
{
    /// <summary>Nothing objected.</summary>
    Allow,

    /// <summary>Created and sent to the channel like any payment, and marked for an operator to look at.</summary>
    Review,

    /// <summary>Not created: the storefront gets 422 risk_denied with the reasons.</summary>
    Deny,
}

/// <summary>Stable reason codes. Storefronts and operators match on them, so they never change meaning.</summary>
public static class RiskReasons
{
    public const string AmountOverSingleLimit = "amount_over_single_limit";
    public const string MerchantDailyAmount = "merchant_daily_amount";
    public const string MerchantDailyCount = "merchant_daily_count";
    public const string PayerDailyAmount = "payer_daily_amount";
    public const string PayerDailyCount = "payer_daily_count";
    public const string PayerVelocity = "payer_velocity";
    public const string IpVelocity = "ip_velocity";
    public const string PayerBlocked = "payer_blocked";
    public const string IpBlocked = "ip_blocked";

    /// <summary>The rules set amount limits in one currency and the payment is in another: the limits
    /// cannot be applied, so the payment is not let through them unchecked.</summary>
    public const string CurrencyNotCovered = "currency_not_covered";

    /// <summary>A review reason, never a denial.</summary>
    public const string AmountOverReviewThreshold = "amount_over_review_threshold";
}

/// <summary>What risk control decided about a payment, and why. Recorded on the payment it let through.</summary>
public sealed record RiskDecision(RiskAction Action, IReadOnlyList<string> Reasons)
{
    public static RiskDecision Allow { get; } = new(RiskAction.Allow, []);

    public static RiskDecision Review(IReadOnlyList<string> reasons) => new(RiskAction.Review, reasons);

    public static RiskDecision Deny(IReadOnlyList<string> reasons) => new(RiskAction.Deny, reasons);

    public Problem ToProblem() => new(ProblemCodes.RiskDenied, $"Refused by the merchant's risk rules: {string.Join(", ", Reasons)}.")
    {
        Reasons = Reasons,
    };
}

public static class RiskActionExtensions
{
    public static string ToWire(this RiskAction action) => action switch
    {
        RiskAction.Allow => "allow",
        RiskAction.Review => "review",
        RiskAction.Deny => "deny",
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    public static RiskAction FromWire(string action) => action switch
    {
        "allow" => RiskAction.Allow,
        "review" => RiskAction.Review,
        "deny" => RiskAction.Deny,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown risk action."),
    };
}
