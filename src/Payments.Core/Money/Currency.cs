using System.Collections.Frozen;

namespace Payments.Core;

/// <summary>An ISO 4217 currency this platform knows, with its minor-unit exponent from the table.</summary>
public readonly record struct Currency
{
    // Exponents from ISO 4217. A code that is not here is not accepted: guessing "2" is how
    // yen and dinar amounts end up off by a factor of 100 or 10.
    private static readonly FrozenDictionary<string, int> Exponents = new Dictionary<string, int>
    {
        ["CNY"] = 2, ["HKD"] = 2, ["MOP"] = 2, ["TWD"] = 2, ["USD"] = 2, ["EUR"] = 2, ["GBP"] = 2,
        ["SGD"] = 2, ["AUD"] = 2, ["CAD"] = 2, ["CHF"] = 2, ["NZD"] = 2, ["THB"] = 2, ["MYR"] = 2,
        ["JPY"] = 0, ["KRW"] = 0, ["VND"] = 0,
        ["BHD"] = 3, ["KWD"] = 3, ["JOD"] = 3, ["OMR"] = 3,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private Currency(string code, int exponent)
    {
        Code = code;
        Exponent = exponent;
    }

    public string Code { get; }

    /// <summary>Digits after the decimal point in the major unit (CNY 2, JPY 0, BHD 3).</summary>
    public int Exponent { get; }

    public static Currency CNY { get; } = Parse("CNY");

    public static bool TryParse(string? code, out Currency currency)
    {
        if (code is not null && Exponents.TryGetValue(code, out int exponent))
        {
            currency = new Currency(code, exponent);
            return true;
        }

        currency = default;
        return false;
    }

    public static Currency Parse(string code) =>
        TryParse(code, out var c) ? c : throw new ArgumentException($"Unknown currency '{code}'.", nameof(code));

    public static IEnumerable<string> KnownCodes => Exponents.Keys;

    public override string ToString() => Code;
}
