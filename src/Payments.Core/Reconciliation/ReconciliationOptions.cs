namespace Payments.Core.Reconciliation;

/// <summary>
/// How to reconcile one channel account.
/// </summary>
/// <param name="BusinessTimeZone">The zone whose calendar days the statements follow (Asia/Shanghai for Chinese channels).</param>
/// <param name="CutOffTolerance">How far from midnight one side may date a transaction that the other side put on the
/// neighbouring day.</param>
/// <param name="Currency">The account's settlement currency, in which totals are summed.</param>
/// <param name="FeeRate">The contracted fee, used for records that carry no expected fee of their own. Without
/// either, fees are not compared.</param>
public sealed record ReconciliationOptions(
    TimeZoneInfo BusinessTimeZone,
    TimeSpan CutOffTolerance,
    Currency Currency,
    FeeRate? FeeRate = null)
{
    public static TimeSpan DefaultCutOffTolerance { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Asia/Shanghai, five minutes either side of midnight, CNY, no fee schedule.</summary>
    public static ReconciliationOptions Default { get; } = new(BusinessCalendar.ChinaStandardTime, DefaultCutOffTolerance, Currency.CNY);
}

/// <summary>
/// A fee as a rate in parts per million of the amount (6000 = 0.6%), rounded half up to the minor unit, as
/// WeChat Pay and Alipay charge it. A refund returns the fee on its own amount, so its fee is negative.
/// </summary>
public readonly record struct FeeRate
{
    private const long Million = 1_000_000;

    public FeeRate(long partsPerMillion)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partsPerMillion);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(partsPerMillion, Million);
        PartsPerMillion = partsPerMillion;
    }

    public long PartsPerMillion { get; }

    /// <summary>The fee a payment of <paramref name="amount"/> is charged.</summary>
    public Money ChargeOn(Money amount)
    {
        // Int128: an amount near long.MaxValue times a million does not fit in 64 bits.
        Int128 scaled = (Int128)Math.Abs(amount.MinorUnits) * PartsPerMillion;
        long fee = (long)((scaled + (Million / 2)) / Million);
        return new Money(amount.MinorUnits < 0 ? -fee : fee, amount.Currency);
    }

    /// <summary>The fee as the statement would show it for a transaction: charged on payments, returned on refunds.</summary>
    public Money For(TransactionKind kind, Money amount)
    {
        var charge = ChargeOn(amount);
        return kind == TransactionKind.Refund ? new Money(-charge.MinorUnits, charge.Currency) : charge;
    }
}

/// <summary>Business days: calendar days in the business time zone.</summary>
public static class BusinessCalendar
{
    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    /// <summary>
    /// Asia/Shanghai from the system's time zone data; a fixed UTC+8 zone where the data is missing (slim
    /// containers), which is exact because China has kept UTC+8 without daylight saving since 1991.
    /// </summary>
    public static TimeZoneInfo ChinaStandardTime { get; } = FindChina();

    /// <summary>The business day an instant falls on.</summary>
    public static DateOnly DayOf(DateTimeOffset instant, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);

    /// <summary>The instant a business day starts (its midnight) as an offset time.</summary>
    public static DateTimeOffset StartOf(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    private static TimeZoneInfo FindChina()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.CreateCustomTimeZone("Asia/Shanghai", ChinaOffset, "China Standard Time", "China Standard Time");
        }
    }
}
