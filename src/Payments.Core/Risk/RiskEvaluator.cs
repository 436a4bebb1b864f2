using System.Globalization;
using System.Net;

namespace Payments.Core.Risk;

/// <summary>What risk control looks at in a create request.</summary>
public sealed record RiskSubject(string MerchantId, string PaymentId, Money Amount, string? PayerId, string? PayerIp, DateTimeOffset At);

/// <summary>The rules applied to one payment before any counter is touched: reasons to deny outright,
/// reasons to review, and the counters to consume if nothing denies.</summary>
public sealed record RiskPlan(IReadOnlyList<string> Denials, IReadOnlyList<string> Reviews, CounterRequest? Counters);

/// <summary>Pure: the same rules, payment and time always give the same plan.</summary>
public static class RiskEvaluator
{
    public static RiskPlan Plan(RiskRules rules, RiskSubject subject, TimeZoneInfo businessZone)
    {
        // An empty payer id names nobody: counting it would lump every such payer into one counter.
        string? payerId = string.IsNullOrEmpty(subject.PayerId) ? null : subject.PayerId;
        var denials = new List<string>();
        var reviews = new List<string>();
        IPAddress? ip = subject.PayerIp is not null && IPAddress.TryParse(subject.PayerIp, out var parsed) ? RiskRulesValidator.Normalize(parsed) : null;

        if (payerId is not null && rules.BlockedPayerIds.Contains(payerId, StringComparer.Ordinal))
        {
            denials.Add(RiskReasons.PayerBlocked);
        }

        if (ip is not null && rules.BlockedIps.Any(n => n.Contains(ip)))
        {
            denials.Add(RiskReasons.IpBlocked);
        }

        bool currencyCovered = rules.Currency is not { } currency || currency == subject.Amount.Currency;
        if (!currencyCovered)
        {
            // Limits that deny cannot be skipped by paying in another currency; a review threshold alone
            // only asks for a look.
            bool denyingAmountLimit = rules.SinglePaymentMax is not null || rules.MerchantDaily?.MaxAmount is not null || rules.PayerDaily?.MaxAmount is not null;
            (denyingAmountLimit ? denials : reviews).Add(RiskReasons.CurrencyNotCovered);
        }
        else
        {
            if (rules.SinglePaymentMax is { } max && subject.Amount > max)
            {
                denials.Add(RiskReasons.AmountOverSingleLimit);
            }

            if (rules.ReviewAbove is { } threshold && subject.Amount > threshold)
            {
                reviews.Add(RiskReasons.AmountOverReviewThreshold);
            }
        }

        if (denials.Count > 0)
        {
            return new RiskPlan(denials, reviews, null);
        }

        var local = TimeZoneInfo.ConvertTime(subject.At, businessZone);
        var limits = new List<CounterLimit>();
        AddDaily(limits, CounterNames.Merchant, rules.MerchantDaily, RiskReasons.MerchantDailyAmount, RiskReasons.MerchantDailyCount);
        if (payerId is { } payer)
        {
            AddDaily(limits, CounterNames.PayerDay(payer), rules.PayerDaily, RiskReasons.PayerDailyAmount, RiskReasons.PayerDailyCount);
            AddVelocity(limits, "payer", payer, rules.PayerVelocity, local, RiskReasons.PayerVelocity);
        }

        if (ip is not null)
        {
            AddVelocity(limits, "ip", CounterNames.IpKey(ip), rules.IpVelocity, local, RiskReasons.IpVelocity);
        }

        var counters = limits.Count == 0
            ? null
            : new CounterRequest(Scope(subject.MerchantId, local), subject.PaymentId, subject.Amount, limits);
        return new RiskPlan(denials, reviews, counters);
    }

    /// <summary>The merchant and business day that a payment's counters belong to.</summary>
    public static string Scope(string merchantId, DateTimeOffset localTime) =>
        merchantId + "|" + localTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    private static void AddDaily(List<CounterLimit> limits, string counter, DailyLimit? limit, string amountReason, string countReason)
    {
        if (limit?.MaxCount is { } count)
        {
            limits.Add(new CounterLimit(counter, CounterMeasure.Count, count, countReason));
        }

        if (limit?.MaxAmount is { } amount)
        {
            limits.Add(new CounterLimit(counter, CounterMeasure.Amount, amount.MinorUnits, amountReason));
        }
    }

    /// <summary>Fixed windows counted from the start of the business day, so a window never spans two
    /// days' counters (the day's last window may be shorter).</summary>
    private static void AddVelocity(List<CounterLimit> limits, string kind, string key, VelocityLimit? limit, DateTimeOffset local, string reason)
    {
        if (limit is null)
        {
            return;
        }

        long secondsIntoDay = (long)(local - new DateTimeOffset(local.Date, local.Offset)).TotalSeconds;
        long window = secondsIntoDay / limit.WindowSeconds;
        limits.Add(new CounterLimit(CounterNames.Velocity(kind, limit.WindowSeconds, window, key), CounterMeasure.Count, limit.MaxCount, reason));
    }
}

/// <summary>Counter names within a merchant's day. The free-form part (a payer id is the merchant's own
/// string) always comes last, after a prefix of its own, so no payer id can spell another counter's
/// name; the store makes names safe as keys.</summary>
public static class CounterNames
{
    public const string Merchant = "merchant";

    public static string PayerDay(string payerId) => "payer|" + payerId;

    public static string Velocity(string kind, int windowSeconds, long window, string key) =>
        string.Create(CultureInfo.InvariantCulture, $"{kind}-v|{windowSeconds}s|{window}|{key}");

    /// <summary>IPv6 is counted per /64: one subscriber usually holds a whole /64 and can pick any address in it.</summary>
    public static string IpKey(IPAddress ip) => ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
        ? new IPNetwork(Mask(ip, 64), 64).ToString()
        : ip.ToString();

    private static IPAddress Mask(IPAddress ip, int prefix)
    {
        byte[] bytes = ip.GetAddressBytes();
        for (int bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes);
    }
}
