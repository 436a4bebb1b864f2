namespace Payments.Core.Routing;

/// <summary>One entry of an app's route list for a channel: which account may take a payment, for which
/// amounts (minor units, both ends inclusive), currency and methods, and with what share of the traffic.
/// A null condition matches everything.</summary>
public sealed record RouteCandidate(
    string ChannelAccountId,
    long? MinAmount = null,
    long? MaxAmount = null,
    string? Currency = null,
    IReadOnlyList<string>? Methods = null,
    int Weight = 1)
{
    public const int MinWeight = 1;
    public const int MaxWeight = 1000;

    /// <summary>Why this candidate cannot take the payment, or null when it can.</summary>
    public string? Mismatch(Money amount, string method)
    {
        if (Currency is not null && !string.Equals(Currency, amount.Currency.Code, StringComparison.Ordinal))
        {
            return SkipReasons.Currency;
        }

        if ((MinAmount is { } min && amount.MinorUnits < min) || (MaxAmount is { } max && amount.MinorUnits > max))
        {
            return SkipReasons.AmountOutOfRange;
        }

        if (Methods is { Count: > 0 } methods && !methods.Contains(method, StringComparer.Ordinal))
        {
            return SkipReasons.Method;
        }

        return null;
    }
}

public static class SkipReasons
{
    public const string Currency = "currency";
    public const string AmountOutOfRange = "amount_out_of_range";
    public const string Method = "method";
    public const string CircuitOpen = "circuit_open";
}

public static class RoutingRules
{
    /// <summary>The app has no route list for the channel: its one account, as before routing existed.</summary>
    public const string SingleAccount = "single_account";

    /// <summary>The candidate the weighted pick chose.</summary>
    public const string Weighted = "weighted";

    /// <summary>The weighted pick's account was unavailable; a later matching candidate took the payment.</summary>
    public const string Failover = "failover";
}

public sealed record SkippedCandidate(string ChannelAccountId, string Reason);

/// <summary>Why a payment went to its account: recorded on the payment when it is created and never
/// changed afterwards, because the account is where the order may exist.</summary>
public sealed record RoutingDecision(string ChannelAccountId, string Rule, IReadOnlyList<string> Considered, IReadOnlyList<SkippedCandidate> Skipped);
