using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Payments.Core.Tests;

public class MoneyTests
{
    private static readonly string[] Codes = Currency.KnownCodes.ToArray();

    private static Arbitrary<Currency> Currencies => Gen.Elements(Codes).Select(Currency.Parse).ToArbitrary();

    [Property]
    public Property AddingThenSubtractingGivesTheOriginalAmount(long a, long b) =>
        Prop.ForAll(Currencies, c =>
        {
            // Stay away from overflow here; overflow has its own test.
            var x = new Money(a / 4, c);
            var y = new Money(b / 4, c);
            return (x + y - y) == x && (x + y) == (y + x);
        });

    [Property]
    public Property MajorUnitTextRoundTripsExactly(long minor) =>
        Prop.ForAll(Currencies, c =>
        {
            var m = new Money(minor / 1000, c);
            return Money.TryParseMajorUnits(m.ToMajorUnitString(), c, out var parsed) && parsed == m;
        });

    [Fact]
    public void CurrenciesDoNotMix() =>
        Assert.Throws<InvalidOperationException>(() => new Money(1, Currency.Parse("CNY")) + new Money(1, Currency.Parse("USD")));

    [Fact]
    public void OverflowThrowsInsteadOfWrapping() =>
        Assert.Throws<OverflowException>(() => new Money(long.MaxValue, Currency.CNY) + new Money(1, Currency.CNY));

    [Theory]
    [InlineData("19.99", "CNY", 1999)]
    [InlineData("0.01", "CNY", 1)]
    [InlineData("1999", "JPY", 1999)]
    [InlineData("1.234", "BHD", 1234)]
    public void MajorUnitsParseWithTheCurrencysExponent(string text, string currency, long expected)
    {
        Assert.True(Money.TryParseMajorUnits(text, Currency.Parse(currency), out var m));
        Assert.Equal(expected, m.MinorUnits);
    }

    [Theory]
    [InlineData("19.999", "CNY")]
    [InlineData("1.5", "JPY")]
    [InlineData("", "CNY")]
    [InlineData("1e3", "CNY")]
    [InlineData("abc", "CNY")]
    public void MoreDecimalsThanTheCurrencyHasAreRefused(string text, string currency) =>
        Assert.False(Money.TryParseMajorUnits(text, Currency.Parse(currency), out _));

    [Fact]
    public void UnknownCurrenciesAreRefusedRatherThanGuessed()
    {
        Assert.False(Currency.TryParse("XYZ", out _));
        Assert.False(Currency.TryParse("cny", out _));
        Assert.Equal(0, Currency.Parse("JPY").Exponent);
        Assert.Equal(3, Currency.Parse("KWD").Exponent);
    }
}
