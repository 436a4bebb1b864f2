using Payments.Core.Reconciliation;
using static Payments.Core.Tests.Reconciliation.Reconcile;

namespace Payments.Core.Tests.Reconciliation;

public class StatementMatcherTests
{
    private static readonly DateOnly NextDay = Day.AddDays(1);

    [Fact]
    public void ALineTheChannelDatedJustBeforeMidnightMatchesOurRecordOfTheNextDay()
    {
        var ours = Payment("pay_late", 1999, At(0, 0, 2, NextDay));
        var line = LineFor(ours) with { Time = At(23, 59, 58) };

        var today = Run(records: [], statement: [line], nextDay: [ours]);

        Assert.Empty(today.Discrepancies);
        Assert.Equal(["pay_late"], today.CarryOver.MatchedNextDayRecordIds);
        Assert.Equal(1, today.Totals.Statement.Payments.Matched);

        var tomorrow = Run(records: [ours], statement: [], previousDay: today.CarryOver, date: NextDay);

        Assert.Empty(tomorrow.Discrepancies);
        Assert.Equal(1, tomorrow.Totals.System.Payments.Matched);
    }

    [Fact]
    public void ALineOfTheNextDaysRecordOutsideTheToleranceIsMissingInSystem()
    {
        var ours = Payment("pay_late", 1999, At(0, 0, 2, NextDay));
        var line = LineFor(ours) with { Time = At(23, 50, 0) };

        var today = Run(records: [], statement: [line], nextDay: [ours]);

        var discrepancy = Assert.Single(today.Discrepancies);
        Assert.Equal(DiscrepancyCategory.MissingInSystem, discrepancy.Category);
        Assert.Empty(today.CarryOver.MatchedNextDayRecordIds);
    }

    [Fact]
    public void ARecordJustBeforeMidnightMissingFromTheStatementIsSuspectedAndClearedWhenTheNextStatementCarriesIt()
    {
        var ours = Payment("pay_2359", 500, At(23, 59, 59));

        var today = Run(records: [ours], statement: []);

        var suspected = Assert.Single(today.Discrepancies);
        Assert.Equal(DiscrepancyCategory.MissingInChannel, suspected.Category);
        Assert.True(suspected.Suspected);
        Assert.Equal([suspected], today.CarryOver.Suspected);

        var lineTomorrow = LineFor(ours) with { Time = At(0, 0, 1, NextDay) };
        var tomorrow = Run(records: [], statement: [lineTomorrow], previousDay: today.CarryOver, date: NextDay);

        Assert.Empty(tomorrow.Discrepancies);
        var recheck = Assert.Single(tomorrow.Rechecks);
        Assert.Equal(RecheckVerdict.Cleared, recheck.Verdict);
        Assert.Equal("pay_2359", recheck.Suspected.TransactionId);
    }

    [Fact]
    public void ASuspectedRecordIsConfirmedWhenTheNextStatementDoesNotCarryItEither()
    {
        var ours = Payment("pay_2359", 500, At(23, 58, 0));
        var today = Run(records: [ours], statement: []);

        var tomorrow = Run(records: [], statement: [], previousDay: today.CarryOver, date: NextDay);

        Assert.Equal(RecheckVerdict.Confirmed, Assert.Single(tomorrow.Rechecks).Verdict);
        Assert.Empty(tomorrow.CarryOver.Suspected);
    }

    [Fact]
    public void ASuspectedRecordThatReappearsWithAnotherAmountIsClearedAndReportedAsAnAmountMismatch()
    {
        var ours = Payment("pay_2359", 500, At(23, 59, 0));
        var today = Run(records: [ours], statement: []);

        var line = LineFor(ours) with { Time = At(0, 1, 0, NextDay), Amount = Cny(501) };
        var tomorrow = Run(records: [], statement: [line], previousDay: today.CarryOver, date: NextDay);

        Assert.Equal(RecheckVerdict.Cleared, Assert.Single(tomorrow.Rechecks).Verdict);
        var mismatch = Assert.Single(tomorrow.Discrepancies);
        Assert.Equal(DiscrepancyCategory.AmountMismatch, mismatch.Category);
        Assert.Equal(ours, mismatch.Record);
    }

    [Fact]
    public void ARecordMissingFarFromMidnightIsConfirmedAtOnce()
    {
        var ours = Payment("pay_noon", 500, At(23, 54, 59));

        var discrepancy = Assert.Single(Run(records: [ours], statement: []).Discrepancies);

        Assert.False(discrepancy.Suspected);
        Assert.Equal(DiscrepancyCategory.MissingInChannel, discrepancy.Category);
    }

    [Fact]
    public void WithoutYesterdaysRunARecordJustAfterMidnightIsOnlySuspected()
    {
        var ours = Payment("pay_0001", 500, At(0, 0, 30));

        Assert.True(Assert.Single(Run(records: [ours], statement: []).Discrepancies).Suspected);

        var withYesterday = Run(records: [ours], statement: [], previousDay: new ReconciliationCarryOver(Day.AddDays(-1), [], []));
        Assert.False(Assert.Single(withYesterday.Discrepancies).Suspected);
    }

    [Fact]
    public void WithoutYesterdaysRunALineJustAfterMidnightMatchesYesterdaysLateRecord()
    {
        var ours = Payment("pay_prev", 700, At(23, 59, 50, Day.AddDays(-1)));
        var line = LineFor(ours) with { Time = At(0, 0, 10) };

        var result = Run(records: [], statement: [line], previousDayRecords: [ours]);

        Assert.Empty(result.Discrepancies);
    }

    [Fact]
    public void WithYesterdaysRunALineMatchingARecordYesterdayAlreadyMatchedIsARepeat()
    {
        var ours = Payment("pay_prev", 700, At(23, 59, 50, Day.AddDays(-1)));
        var line = LineFor(ours) with { Time = At(0, 0, 10) };
        var yesterday = new ReconciliationCarryOver(Day.AddDays(-1), [], []);

        var result = Run(records: [], statement: [line], previousDay: yesterday, previousDayRecords: [ours]);

        Assert.Equal(DiscrepancyCategory.MissingInSystem, Assert.Single(result.Discrepancies).Category);
    }

    [Fact]
    public void ALineTheStatementCarriesTwiceIsOneMatchAndOneMissingInSystem()
    {
        var ours = Payment("pay_dup", 1200, At(10, 0, 0));
        var line = LineFor(ours);

        var result = Run(records: [ours], statement: [line, line, line]);

        Assert.Equal(
            [(DiscrepancyCategory.MissingInSystem, 2), (DiscrepancyCategory.MissingInSystem, 3)],
            result.Discrepancies.Select(d => (d.Category, d.Occurrence)));
        Assert.All(result.Discrepancies, d => Assert.Equal(ours, d.Record));
        Assert.Equal(1, result.Totals.Statement.Payments.Matched);
        Assert.Equal(3, result.Totals.Statement.Payments.Count);
        Assert.Equal(Cny(3600), result.Totals.Statement.Payments.Amount);
        Assert.Equal(Cny(1200), result.Totals.Statement.Payments.MatchedAmount);
    }

    [Fact]
    public void AnUnknownLineTheStatementCarriesTwiceIsReportedTwiceWithItsOccurrence()
    {
        var stranger = LineFor(Payment("pay_who", 1, At(9, 0, 0)));

        var result = Run(records: [], statement: [stranger, stranger]);

        Assert.Equal([1, 2], result.Discrepancies.Select(d => d.Occurrence));
        Assert.Equal(2, result.Counts[DiscrepancyCategory.MissingInSystem]);
    }

    [Fact]
    public void APaymentWeClosedButTheChannelListsAsPaidIsAStatusMismatch()
    {
        var ours = Payment("pay_closed", 800, At(11, 0, 0), TransactionStatus.Closed);
        var line = LineFor(ours) with { ChannelStatus = "SUCCESS", Status = TransactionStatus.Succeeded };

        var discrepancy = Assert.Single(Run(records: [ours], statement: [line]).Discrepancies);

        Assert.Equal(DiscrepancyCategory.StatusMismatch, discrepancy.Category);
        Assert.Contains("SUCCESS", discrepancy.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void FailedAndClosedRecordsAreNotExpectedOnTheStatement()
    {
        var failed = Refund("ref_failed", 300, At(8, 0, 0), TransactionStatus.Failed);
        var closed = Payment("pay_closed", 300, At(8, 0, 0), TransactionStatus.Closed);

        var result = Run(records: [failed, closed], statement: []);

        Assert.Empty(result.Discrepancies);
        Assert.Equal(0, result.Totals.System.Payments.Count);
    }

    [Fact]
    public void FeesAreComparedOnlyWhenTheStatementHasThem()
    {
        var ours = Payment("pay_fee", 10_000, At(12, 0, 0));

        Assert.Empty(Run(records: [ours], statement: [LineFor(ours) with { Fee = null }]).Discrepancies);
        Assert.Equal(
            DiscrepancyCategory.FeeMismatch,
            Assert.Single(Run(records: [ours], statement: [LineFor(ours) with { Fee = Cny(61) }]).Discrepancies).Category);
    }

    [Fact]
    public void ARecordsOwnExpectedFeeWinsOverTheFeeSchedule()
    {
        var ours = Payment("pay_fee", 10_000, At(12, 0, 0)) with { Fee = Cny(0) };

        var result = Run(records: [ours], statement: [LineFor(ours) with { Fee = Cny(0) }]);

        Assert.Empty(result.Discrepancies);
    }

    [Fact]
    public void WithoutAFeeScheduleFeesAreNotCompared()
    {
        var ours = Payment("pay_fee", 10_000, At(12, 0, 0));

        var result = Run(records: [ours], statement: [LineFor(ours) with { Fee = Cny(999) }], options: ReconciliationOptions.Default);

        Assert.Empty(result.Discrepancies);
    }

    [Fact]
    public void ARefundLineMatchingAPaymentIdIsAStatusMismatchNotAMatch()
    {
        var ours = Payment("pay_kind", 100, At(12, 0, 0));
        var line = LineFor(ours) with { Kind = TransactionKind.Refund, Fee = Fee.For(TransactionKind.Refund, Cny(100)) };

        Assert.Equal(DiscrepancyCategory.StatusMismatch, Assert.Single(Run(records: [ours], statement: [line]).Discrepancies).Category);
    }

    [Fact]
    public void CountsListEveryCategoryEvenWhenZero()
    {
        var result = Run(records: [], statement: []);

        Assert.Equal(DiscrepancyCategories.All.Order(), result.Counts.Keys.Order());
        Assert.All(result.Counts.Values, count => Assert.Equal(0, count));
    }

    [Fact]
    public void CategoriesAreSpelledAsTheApiDocumentsThem()
    {
        Assert.Equal(
            ["missing_in_system", "missing_in_channel", "status_mismatch", "currency_mismatch", "amount_mismatch", "fee_mismatch"],
            DiscrepancyCategories.All.Select(c => c.ToWire()));
        Assert.True(DiscrepancyCategories.TryParseWire("fee_mismatch", out var fee));
        Assert.Equal(DiscrepancyCategory.FeeMismatch, fee);
        Assert.False(DiscrepancyCategories.TryParseWire("FeeMismatch", out _));
    }
}
