using System.Text.Json;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;
using static Payments.Core.Tests.Reconciliation.Reconcile;

namespace Payments.Core.Tests.Reconciliation.RunReconciliation;

public class RunReconciliationHandlerTests
{
    private static readonly DateOnly NextDay = Day.AddDays(1);

    [Fact]
    public async Task ACleanDayCompletesWithNoDiscrepancyAndChecksEveryIndexEntryAgainstTheStore()
    {
        var runs = new Runs();
        var a = runs.Pay("A-1", 1999, At(9, 0, 0));
        var b = runs.Pay("A-2", 500, At(15, 30, 0));
        var refund = runs.RefundOf(a, "R-1", 300, At(16, 0, 0));
        runs.Statement(Day, Runs.LineFor(a), Runs.LineFor(b), Runs.LineFor(refund));

        var run = await runs.RunAsync();

        Assert.Equal(ReconciliationRunStatus.Completed, run.Status);
        Assert.Empty(runs.Result(run));
        Assert.All(run.Counts.Values, count => Assert.Equal(0, count));
        Assert.Equal((3L, 0L, 0L), (run.Internal!.Checked, run.Internal.Mismatched, run.Internal.NotIndexed));
        Assert.Empty(run.Internal.Problems);
        Assert.Equal(2, run.Totals!.Statement.Payments.Matched);
        Assert.Equal(1, run.Totals.Statement.Refunds.Matched);
        Assert.Empty(runs.Query.Queried);
    }

    [Fact]
    public async Task EveryDifferenceIsStoredOnceWithItsCategoryAndCounted()
    {
        var runs = new Runs();
        var dropped = runs.Pay("D-1", 100, At(9, 0, 0));
        var amount = runs.Pay("D-2", 200, At(10, 0, 0));
        var status = runs.Pay("D-3", 300, At(11, 0, 0));
        var fee = runs.Pay("D-4", 400, At(12, 0, 0));
        var clean = runs.Pay("D-5", 500, At(13, 0, 0));
        var added = new StatementLine("pay_unknownzzzzzzzzzzzzzzzzzz", "4200x", TransactionKind.Payment, Cny(999), Fee.ChargeOn(Cny(999)), "SUCCESS", TransactionStatus.Succeeded, At(14, 0, 0));
        runs.Statement(
            Day,
            Runs.LineFor(amount) with { Amount = Cny(201) },
            Runs.LineFor(status) with { ChannelStatus = "REFUND", Status = TransactionStatus.Refunded },
            Runs.LineFor(fee) with { Fee = Cny(99) },
            Runs.LineFor(clean),
            added);

        var run = await runs.RunAsync();

        var found = runs.Result(run).ToDictionary(d => d.Discrepancy.TransactionId, d => d.Discrepancy.Category);
        Assert.Equal(
            new Dictionary<string, DiscrepancyCategory>
            {
                [dropped.Id] = DiscrepancyCategory.MissingInChannel,
                [amount.Id] = DiscrepancyCategory.AmountMismatch,
                [status.Id] = DiscrepancyCategory.StatusMismatch,
                [fee.Id] = DiscrepancyCategory.FeeMismatch,
                [added.Id] = DiscrepancyCategory.MissingInSystem,
            },
            found);
        Assert.All(runs.Result(run), d => Assert.Equal(DiscrepancyResolution.Reported, d.Resolution));
        Assert.Equal(1, run.Counts[DiscrepancyCategory.MissingInChannel]);
        Assert.Equal(1, run.Counts[DiscrepancyCategory.MissingInSystem]);
        Assert.Equal(0, run.Counts[DiscrepancyCategory.CurrencyMismatch]);
        Assert.Equal(5, run.Resolutions[DiscrepancyResolution.Reported]);
    }

    [Fact]
    public async Task APendingPaymentTheStatementShowsPaidIsCompletedOnlyAfterTheChannelConfirmsIt()
    {
        var runs = new Runs();
        var pending = runs.Pay("P-1", 1999, At(9, 0, 0), PaymentStatus.Pending);
        runs.Query.PaidAtChannel.Add(pending.Id);
        runs.Statement(Day, Runs.LineFor(pending, At(9, 1, 0)));

        var run = await runs.RunAsync();

        Assert.Equal([pending.Id], runs.Query.Queried);
        Assert.Equal(PaymentStatus.Succeeded, runs.Lookup.Payments[pending.Id].Status);
        var d = Assert.Single(runs.Result(run));
        Assert.Equal(DiscrepancyResolution.AutoCompleted, d.Resolution);
        Assert.Equal(DiscrepancyCategory.StatusMismatch, d.Discrepancy.Category);
        Assert.Equal(TransactionStatus.Succeeded, d.Discrepancy.Line!.Status);
        Assert.Equal(TransactionStatus.Processing, d.Discrepancy.Record!.Status);
        Assert.Equal(1, run.Resolutions[DiscrepancyResolution.AutoCompleted]);
    }

    [Fact]
    public async Task APendingPaymentTheChannelDoesNotConfirmIsReportedAndLeftAlone()
    {
        var runs = new Runs();
        var pending = runs.Pay("P-2", 1999, At(9, 0, 0), PaymentStatus.Pending);
        runs.Statement(Day, Runs.LineFor(pending, At(9, 1, 0)));

        var run = await runs.RunAsync();

        Assert.Equal([pending.Id], runs.Query.Queried);
        Assert.Equal(PaymentStatus.Pending, runs.Lookup.Payments[pending.Id].Status);
        var d = Assert.Single(runs.Result(run));
        Assert.Equal((DiscrepancyCategory.StatusMismatch, DiscrepancyResolution.Reported), (d.Discrepancy.Category, d.Resolution));
    }

    [Fact]
    public async Task ALineOfAPaymentWeClosedIsNeverQueriedOnlyReported()
    {
        var runs = new Runs();
        var closed = runs.Pay("C-1", 800, At(9, 0, 0), PaymentStatus.Closed);
        runs.Statement(Day, Runs.LineFor(closed, At(9, 5, 0)));

        var run = await runs.RunAsync();

        Assert.Empty(runs.Query.Queried);
        var d = Assert.Single(runs.Result(run));
        Assert.Equal((DiscrepancyCategory.StatusMismatch, DiscrepancyResolution.Reported), (d.Discrepancy.Category, d.Resolution));
    }

    [Fact]
    public async Task RunningADayTwiceGivesTheSameResultAndResolvesNothingTwice()
    {
        var runs = new Runs();
        var pending = runs.Pay("P-3", 1999, At(9, 0, 0), PaymentStatus.Pending);
        var dropped = runs.Pay("P-4", 700, At(9, 30, 0));
        runs.Query.PaidAtChannel.Add(pending.Id);
        runs.Statement(Day, Runs.LineFor(pending, At(9, 1, 0)));

        var first = await runs.RunAsync();
        var firstResult = runs.Result(first);
        var second = await runs.RunAsync();

        Assert.Equal([pending.Id], runs.Query.Queried);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.Generation + 1, second.Generation);
        Assert.Equal(firstResult, runs.Result(second));
        Assert.Equal(first.Counts, second.Counts);
        Assert.Equal(first.Resolutions, second.Resolutions);
        Assert.Contains(firstResult, d => d.Discrepancy.TransactionId == dropped.Id);
        Assert.False(runs.Store.HasGeneration(first.Id, first.Generation), "the replaced result is deleted");
    }

    [Fact]
    public async Task TheNextDaysRunClearsASuspicionTheStatementResolvesAndConfirmsOneItDoesNot()
    {
        var runs = new Runs();
        var late = runs.Pay("L-1", 500, At(23, 58, 0));
        var lost = runs.Pay("L-2", 600, At(23, 59, 0));
        runs.Statement(Day);
        var today = await runs.RunAsync();
        Assert.All(runs.Result(today), d => Assert.Equal((true, DiscrepancyResolution.AwaitingRecheck), (d.Discrepancy.Suspected, d.Resolution)));

        runs.Statement(NextDay, Runs.LineFor(late, At(0, 1, 0, NextDay)));
        var tomorrow = await runs.RunAsync(NextDay);

        Assert.Empty(runs.Result(tomorrow));
        Assert.Equal(new RecheckCounts(Confirmed: 1, Cleared: 1), tomorrow.Rechecks);
        var verdicts = runs.Result(today).ToDictionary(d => d.Discrepancy.TransactionId, d => d.Resolution);
        Assert.Equal(DiscrepancyResolution.Cleared, verdicts[late.Id]);
        Assert.Equal(DiscrepancyResolution.Confirmed, verdicts[lost.Id]);
        var recounted = (await runs.Store.GetAsync(today.Id, CancellationToken.None))!.Value;
        Assert.Equal(1, recounted.Counts[DiscrepancyCategory.MissingInChannel]);
        Assert.Equal(0, recounted.Resolutions[DiscrepancyResolution.AwaitingRecheck]);
    }

    [Fact]
    public async Task AnIndexEntryTheStoreDisagreesWithIsAnInternalMismatch()
    {
        var runs = new Runs();
        var payment = runs.Pay("I-1", 1000, At(9, 0, 0));
        var other = runs.Pay("I-2", 1000, At(9, 0, 0));
        runs.Lookup.Payments[payment.Id] = payment with { Amount = Cny(1001) };
        runs.Lookup.Payments.TryRemove(other.Id, out _);
        runs.Statement(Day, Runs.LineFor(payment), Runs.LineFor(other));

        var run = await runs.RunAsync();

        Assert.Equal(2, run.Internal!.Checked);
        Assert.Equal(2, run.Internal.Mismatched);
        Assert.Contains(run.Internal.Problems, p => p.Contains(other.Id, StringComparison.Ordinal) && p.Contains("no such payment", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFinalPaymentTheIndexLacksIsReportedWithTheStoresRecordAsNotIndexed()
    {
        var runs = new Runs();
        var paid = runs.Pay("N-1", 1000, At(9, 0, 0));
        var store = runs.Lookup.Payments[paid.Id];
        var unindexed = new Runs();
        unindexed.Lookup.Payments[paid.Id] = store;
        unindexed.Statement(Day, Runs.LineFor(paid));

        var run = await unindexed.RunAsync();

        Assert.Equal(1, run.Internal!.NotIndexed);
        var d = Assert.Single(unindexed.Result(run));
        Assert.Equal(DiscrepancyCategory.MissingInSystem, d.Discrepancy.Category);
        Assert.Equal(paid.Id, d.Discrepancy.Record!.Id);
        Assert.Empty(unindexed.Query.Queried);
    }

    [Fact]
    public async Task AStatementNotAvailableYetFailsTheRunAndThrowsSoTheMessageIsRetried()
    {
        var runs = new Runs();
        runs.Channel.Answer = new ChannelResult<Stream>.Unknown("STATEMENT_CREATING");

        await Assert.ThrowsAsync<StatementUnavailableException>(() => runs.Handler.HandleAsync(new RunReconciliationCommand(Runs.Account, Day), CancellationToken.None));

        var run = (await runs.Store.GetAsync(new RunReconciliationCommand(Runs.Account, Day).RunId, CancellationToken.None))!.Value;
        Assert.Equal(ReconciliationRunStatus.Failed, run.Status);
        Assert.Contains("STATEMENT_CREATING", run.Failure, StringComparison.Ordinal);
        Assert.Null(run.ResultGeneration);
    }

    [Fact]
    public async Task AFailedRerunKeepsTheLastCompletedResultVisible()
    {
        var runs = new Runs();
        var dropped = runs.Pay("F-1", 100, At(9, 0, 0));
        var first = await runs.RunAsync();
        runs.Channel.Answer = new ChannelResult<Stream>.Rejected("PARAM_ERROR", "no");

        var failed = await runs.RunAsync();

        Assert.Equal(ReconciliationRunStatus.Failed, failed.Status);
        Assert.Equal(first.ResultGeneration, failed.ResultGeneration);
        Assert.Equal(dropped.Id, Assert.Single(runs.Result(failed)).Discrepancy.TransactionId);
    }

    [Fact]
    public async Task AnExecutionOvertakenByANewerStartDiscardsItsResult()
    {
        var runs = new Runs();
        runs.Pay("O-1", 100, At(9, 0, 0));
        string runId = new RunReconciliationCommand(Runs.Account, Day).RunId;
        bool once = false;
        runs.Index.OnRead = async () =>
        {
            if (once)
            {
                return;
            }

            // Another instance starts the same day while this one reads the index.
            once = true;
            var current = (await runs.Store.GetAsync(runId, CancellationToken.None))!;
            Assert.True(await runs.Store.TryReplaceAsync(current, current.Value with { Generation = current.Value.Generation + 1 }, CancellationToken.None));
        };

        var run = await runs.RunAsync();

        Assert.Equal(ReconciliationRunStatus.Running, run.Status);
        Assert.Null(run.ResultGeneration);
        Assert.False(runs.Store.HasGeneration(runId, 1));
    }

    [Fact]
    public async Task ARequestMarksTheRunRunningAndQueuesIt()
    {
        var runs = new Runs();

        var result = await runs.Handler.RequestAsync(new RunReconciliationCommand(Runs.Account, Day), "k1", CancellationToken.None);

        string runId = result.Value!;
        Assert.Equal(new RunReconciliationCommand(Runs.Account, Day).RunId, runId);
        Assert.StartsWith("rec_", runId, StringComparison.Ordinal);
        Assert.Equal(ReconciliationRunStatus.Running, (await runs.Store.GetAsync(runId, CancellationToken.None))!.Value.Status);
        var message = Assert.Single(runs.Publisher.Published);
        Assert.Equal(Queues.Reconciliations, message.Queue);
        Assert.Equal(new RunReconciliationCommand(Runs.Account, Day), JsonSerializer.Deserialize(message.Body, RunReconciliationJson.Default.RunReconciliationCommand));
    }

    [Fact]
    public async Task ARequestForAnUnknownAccountOrAFutureDayIsRefusedAndQueuesNothing()
    {
        var runs = new Runs();
        var tomorrowInChina = BusinessCalendar.DayOf(runs.Time.GetUtcNow(), Runs.Zone).AddDays(1);

        var unknown = await runs.Handler.RequestAsync(new RunReconciliationCommand("ca_nope", Day), "k", CancellationToken.None);
        var future = await runs.Handler.RequestAsync(new RunReconciliationCommand(Runs.Account, tomorrowInChina), "k", CancellationToken.None);
        var today = await runs.Handler.RequestAsync(new RunReconciliationCommand(Runs.Account, tomorrowInChina.AddDays(-1)), "k", CancellationToken.None);

        Assert.Equal(ProblemCodes.ValidationFailed, unknown.Problem?.Code);
        Assert.Contains("channelAccountId", unknown.Problem!.Errors!.Keys);
        Assert.Contains("date", future.Problem!.Errors!.Keys);
        Assert.True(today.IsSuccess);
        Assert.Single(runs.Publisher.Published);
    }

    [Fact]
    public async Task TheDailyTimerQueuesThePreviousBusinessDayForEveryAccountWithStatements()
    {
        var runs = new Runs();
        runs.Accounts.Add("ca_card", "card");
        runs.Accounts.Add("ca_wx2", "wechatpay");
        // 17:00 UTC on the 23rd is already 01:00 on the 24th in China: the previous business day is the 23rd.
        runs.Time.SetUtcNow(new DateTimeOffset(2026, 11, 23, 17, 0, 0, TimeSpan.Zero));
        var timer = new ScheduleReconciliationsHandler(
            runs.Accounts, [runs.Channel], runs.Handler, Options, runs.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<ScheduleReconciliationsHandler>.Instance);

        var report = await timer.RunAsync(CancellationToken.None);

        Assert.Equal(new ReconciliationScheduleReport("2026-11-23", 2, 0), report);
        var queued = runs.Publisher.Published.Select(m => JsonSerializer.Deserialize(m.Body, RunReconciliationJson.Default.RunReconciliationCommand)!).ToHashSet();
        Assert.Equal([new RunReconciliationCommand(Runs.Account, NextDay), new RunReconciliationCommand("ca_wx2", NextDay)], queued);
    }
}
