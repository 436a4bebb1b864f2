using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Payments.Core.Reconciliation;
using static Payments.Core.Tests.Reconciliation.Reconcile;

namespace Payments.Core.Tests.Reconciliation;

public class FeeRateAndCalendarTests
{
    [Theory]
    [InlineData(250, 2)]
    [InlineData(249, 1)]
    [InlineData(83, 0)]
    [InlineData(84, 1)]
    [InlineData(1999, 12)]
    [InlineData(0, 0)]
    public void FeesAreRoundedHalfUpToTheFen(long fen, long expectedFee) =>
        Assert.Equal(Cny(expectedFee), new FeeRate(6000).ChargeOn(Cny(fen)));

    [Property]
    public Property ARefundReturnsExactlyTheFeeItsAmountWouldBeCharged() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), fen =>
            Fee.For(TransactionKind.Refund, Cny(fen)).MinorUnits == -Fee.For(TransactionKind.Payment, Cny(fen)).MinorUnits);

    [Property]
    public Property TheFeeNeverDiffersFromTheExactProductByMoreThanHalfAFen() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), (fen, ppm) =>
        {
            decimal exact = fen * (decimal)ppm / 1_000_000m;
            decimal fee = new FeeRate(ppm).ChargeOn(Cny(fen)).MinorUnits;
            return Math.Abs(fee - exact) <= 0.5m && (fee - exact != -0.5m);
        });

    [Fact]
    public void AnAmountTooLargeForSixtyFourBitProductsStillGetsItsFee() =>
        Assert.Equal(Cny(55_340_232_221_128_655), new FeeRate(6000).ChargeOn(Cny(long.MaxValue)));

    [Fact]
    public void ARateAboveOneHundredPercentIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeeRate(1_000_001));

    [Fact]
    public void TheBusinessDayFollowsChinaTimeNotUtc()
    {
        var zone = BusinessCalendar.ChinaStandardTime;

        Assert.Equal(new DateOnly(2026, 11, 23), BusinessCalendar.DayOf(new DateTimeOffset(2026, 11, 22, 16, 0, 0, TimeSpan.Zero), zone));
        Assert.Equal(new DateOnly(2026, 11, 22), BusinessCalendar.DayOf(new DateTimeOffset(2026, 11, 22, 15, 59, 59, TimeSpan.Zero), zone));
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 16, 0, 0, TimeSpan.Zero), BusinessCalendar.StartOf(new DateOnly(2026, 11, 22), zone));
    }
}
