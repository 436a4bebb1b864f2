using System.Globalization;

namespace Payments.Core;

/// <summary>An amount as an integer count of minor units in one currency. Never floating point.</summary>
public readonly record struct Money
{
    public Money(long minorUnits, Currency currency)
    {
        if (currency.Code is null)
        {
            throw new ArgumentException("Money needs a currency.", nameof(currency));
        }

        MinorUnits = minorUnits;
        Currency = currency;
    }

    public long MinorUnits { get; }

    public Currency Currency { get; }

    public static Money Zero(Currency currency) => new(0, currency);

    public bool IsPositive => MinorUnits > 0;

    public static Money operator +(Money a, Money b)
    {
        RequireSameCurrency(a, b);
        return new Money(checked(a.MinorUnits + b.MinorUnits), a.Currency);
    }

    public static Money operator -(Money a, Money b)
    {
        RequireSameCurrency(a, b);
        return new Money(checked(a.MinorUnits - b.MinorUnits), a.Currency);
    }

    public static bool operator >(Money a, Money b)
    {
        RequireSameCurrency(a, b);
        return a.MinorUnits > b.MinorUnits;
    }

    public static bool operator <(Money a, Money b)
    {
        RequireSameCurrency(a, b);
        return a.MinorUnits < b.MinorUnits;
    }

    public static bool operator >=(Money a, Money b) => !(a < b);

    public static bool operator <=(Money a, Money b) => !(a > b);

    public Money Add(Money other) => this + other;

    public Money Subtract(Money other) => this - other;

    /// <summary>The amount in major units as channels write it ("19.99", "1999" for JPY), exact.</summary>
    public string ToMajorUnitString()
    {
        if (Currency.Exponent == 0)
        {
            return MinorUnits.ToString(CultureInfo.InvariantCulture);
        }

        decimal major = MinorUnits / Pow10(Currency.Exponent);
        return major.ToString("F" + Currency.Exponent.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>Parses a major-unit string ("19.99") exactly; refuses more decimals than the currency has.</summary>
    public static bool TryParseMajorUnits(string? text, Currency currency, out Money money)
    {
        money = default;
        if (string.IsNullOrEmpty(text)
            || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out decimal major))
        {
            return false;
        }

        decimal minor = major * Pow10(currency.Exponent);
        if (minor != decimal.Truncate(minor) || minor > long.MaxValue || minor < long.MinValue)
        {
            return false;
        }

        money = new Money((long)minor, currency);
        return true;
    }

    public override string ToString() => $"{ToMajorUnitString()} {Currency.Code}";

    private static decimal Pow10(int exponent)
    {
        decimal result = 1m;
        for (int i = 0; i < exponent; i++)
        {
            result *= 10m;
        }

        return result;
    }

    private static void RequireSameCurrency(Money a, Money b)
    {
        if (a.Currency != b.Currency)
        {
            throw new InvalidOperationException($"Cannot combine {a.Currency} with {b.Currency}.");
        }
    }
}
