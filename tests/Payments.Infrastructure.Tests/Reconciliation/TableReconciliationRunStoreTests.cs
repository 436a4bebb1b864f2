using Payments.Core;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;
using Payments.Infrastructure.Reconciliation;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Infrastructure.Tests.Reconciliation;

/// <summary>Reconciliation runs on Azurite: the summary under its ETag, results per generation, paging, resolutions.</summary>
public sealed class TableReconciliationRunStoreTests : IAsyncLifetime
{
    private static readonly DateOnly Day = new(2026, 11, 22);

    private readonly StorageClients _clients = new(Azurite.IsolatedOptions());
    private readonly TableReconciliationRunStore _store;

    public TableReconciliationRunStoreTests()
    {
        _store = new TableReconciliationRunStore(_clients);
    }

    public Task InitializeAsync() => _clients.ReconciliationRuns.CreateIfNotExistsAsync();

    public Task DisposeAsync() => _clients.ReconciliationRuns.DeleteAsync();

    private static Money Cny(long fen) => new(fen, Currency.CNY);

    private static ReconciliationRun NewRun(string account = "ca_run") => new()
    {
        Id = ReconciliationRunIds.For(account, Day), ChannelAccountId = account, Channel = "wechatpay", Date = Day,
        RequestedAt = new DateTimeOffset(2026, 11, 23, 2, 30, 0, TimeSpan.Zero),
    };

    private static RunDiscrepancy Discrepancy(string runId, int i, DiscrepancyCategory category)
    {
        string id = $"pay_{i:D5}";
        var time = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.FromHours(8)).AddSeconds(i);
        var line = category == DiscrepancyCategory.MissingInChannel
            ? null
            : new StatementLine(id, "4200" + i, TransactionKind.Payment, Cny(100 + i), Cny(1), "SUCCESS", TransactionStatus.Succeeded, time);
        var record = category == DiscrepancyCategory.MissingInSystem
            ? null
            : new SystemRecord(id, TransactionKind.Payment, "4200" + i, Cny(100), TransactionStatus.Succeeded, time, Fee: Cny(1));
        var d = new Core.Reconciliation.Discrepancy(category, id, line, record, Suspected: i % 7 == 0, Occurrence: 1, $"detail, \"quoted\" {i}");
        return new RunDiscrepancy(ReconciliationRunIds.Discrepancy(runId, id, category, 1), d, d.Suspected ? DiscrepancyResolution.AwaitingRecheck : DiscrepancyResolution.Reported);
    }

    private static List<RunDiscrepancy> Result(string runId, int count)
    {
        var categories = DiscrepancyCategories.All;
        return Enumerable.Range(0, count).Select(i => Discrepancy(runId, i, categories[i % categories.Count])).ToList();
    }

    [Fact]
    public async Task ARunIsCreatedOnceAndReplacedOnlyUnderTheVersionItWasReadAt()
    {
        var run = NewRun();

        Assert.True(await _store.TryCreateAsync(run, CancellationToken.None));
        Assert.False(await _store.TryCreateAsync(run, CancellationToken.None));
        var read = (await _store.GetAsync(run.Id, CancellationToken.None))!;
        Assert.True(await _store.TryReplaceAsync(read, read.Value with { Generation = 1 }, CancellationToken.None));
        Assert.False(await _store.TryReplaceAsync(read, read.Value with { Generation = 2 }, CancellationToken.None));

        Assert.Equal(1, (await _store.GetAsync(run.Id, CancellationToken.None))!.Value.Generation);
        Assert.Null(await _store.GetAsync("rec_nosuchrun", CancellationToken.None));
        Assert.Null(await _store.GetAsync("../x", CancellationToken.None));
    }

    [Fact]
    public async Task ACompletedRunRoundTripsWithCountsTotalsRechecksAndTheInternalCheck()
    {
        var totals = new ReconciliationTotals(
            new SideTotals(new KindTotals(10, Cny(10_000), 9, Cny(9_000)), new KindTotals(2, Cny(300), 2, Cny(300))),
            new SideTotals(new KindTotals(11, Cny(11_000), 9, Cny(9_000)), new KindTotals(2, Cny(300), 2, Cny(300))));
        var run = NewRun().WithTally(Result(NewRun().Id, 12)) with
        {
            Status = ReconciliationRunStatus.Completed, Generation = 3, ResultGeneration = 3, StartedAt = DateTimeOffset.UnixEpoch,
            CompletedAt = DateTimeOffset.UnixEpoch.AddMinutes(1), Totals = totals, Rechecks = new RecheckCounts(2, 1),
            Internal = new InternalCheck(42, 1, 2, ["the index has pay_x; the store has no such payment"]),
        };
        Assert.True(await _store.TryCreateAsync(run, CancellationToken.None));

        var read = (await _store.GetAsync(run.Id, CancellationToken.None))!.Value;

        Assert.Equal(run.Counts, read.Counts);
        Assert.Equal(run.Resolutions, read.Resolutions);
        Assert.Equal(totals, read.Totals);
        Assert.Equal(run.Rechecks, read.Rechecks);
        Assert.Equal((42L, 1L, 2L), (read.Internal!.Checked, read.Internal.Mismatched, read.Internal.NotIndexed));
        Assert.Equal(run.Internal.Problems, read.Internal.Problems);
        Assert.Equal(run with { Counts = read.Counts, Resolutions = read.Resolutions, Internal = read.Internal }, read);
    }

    [Fact]
    public async Task AResultOfManyBatchesReadsBackInOrderWithBothSides()
    {
        string runId = NewRun().Id;
        var result = Result(runId, 250);

        await _store.WriteResultAsync(runId, 1, result, [], CancellationToken.None);

        Assert.Equal(result, await _store.ReadDiscrepanciesAsync(runId, 1, CancellationToken.None).ToListAsync());
        Assert.Empty(await _store.ReadDiscrepanciesAsync(runId, 2, CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task PagesFollowTheRunsOrderAfterACursorAndWithinACategory()
    {
        string runId = NewRun().Id;
        var result = Result(runId, 130);
        await _store.WriteResultAsync(runId, 1, result, [], CancellationToken.None);

        var first = (await _store.ListDiscrepanciesAsync(runId, 1, null, null, 100, CancellationToken.None))!;
        var second = (await _store.ListDiscrepanciesAsync(runId, 1, null, first.Items[^1].Id, 100, CancellationToken.None))!;
        var amounts = (await _store.ListDiscrepanciesAsync(runId, 1, DiscrepancyCategory.AmountMismatch, null, 100, CancellationToken.None))!;
        var amountsAfter = (await _store.ListDiscrepanciesAsync(runId, 1, DiscrepancyCategory.AmountMismatch, amounts.Items[0].Id, 5, CancellationToken.None))!;

        Assert.True(first.HasMore);
        Assert.False(second.HasMore);
        Assert.Equal(result, first.Items.Concat(second.Items));
        Assert.Equal(result.Where(d => d.Discrepancy.Category == DiscrepancyCategory.AmountMismatch), amounts.Items);
        Assert.False(amounts.HasMore);
        Assert.Equal(amounts.Items.Skip(1).Take(5), amountsAfter.Items);
        Assert.True(amountsAfter.HasMore);
        Assert.Null(await _store.ListDiscrepanciesAsync(runId, 1, null, "dsc_notinthisrun", 10, CancellationToken.None));
        Assert.Null(await _store.ListDiscrepanciesAsync(runId, 2, null, first.Items[0].Id, 10, CancellationToken.None));
    }

    [Fact]
    public async Task AResolutionChangesOneDiscrepancyOfOneGeneration()
    {
        string runId = NewRun().Id;
        var result = Result(runId, 20);
        await _store.WriteResultAsync(runId, 1, result, [], CancellationToken.None);
        await _store.WriteResultAsync(runId, 2, result, [], CancellationToken.None);

        Assert.True(await _store.SetResolutionAsync(runId, 2, result[7].Id, DiscrepancyResolution.Cleared, CancellationToken.None));
        Assert.False(await _store.SetResolutionAsync(runId, 2, "dsc_unknown", DiscrepancyResolution.Cleared, CancellationToken.None));

        var second = await _store.ReadDiscrepanciesAsync(runId, 2, CancellationToken.None).ToListAsync();
        Assert.Equal(result.Select((d, i) => i == 7 ? d with { Resolution = DiscrepancyResolution.Cleared } : d), second);
        Assert.Equal(result, await _store.ReadDiscrepanciesAsync(runId, 1, CancellationToken.None).ToListAsync());
    }

    [Fact]
    public async Task DeletingGenerationsRemovesExactlyThoseAndTheNextDaysMatchesRoundTrip()
    {
        string runId = NewRun().Id;
        var matched = Enumerable.Range(0, 1200).Select(i => $"pay_next{i:D5}").ToList();
        for (int g = 1; g <= 3; g++)
        {
            await _store.WriteResultAsync(runId, g, Result(runId, 30), matched, CancellationToken.None);
        }

        await _store.DeleteResultsAsync(runId, 0, 3, CancellationToken.None);

        Assert.Empty(await _store.ReadDiscrepanciesAsync(runId, 1, CancellationToken.None).ToListAsync());
        Assert.Empty(await _store.ReadDiscrepanciesAsync(runId, 2, CancellationToken.None).ToListAsync());
        Assert.Empty(await _store.ReadMatchedNextDayAsync(runId, 2, CancellationToken.None));
        Assert.Equal(30, await _store.ReadDiscrepanciesAsync(runId, 3, CancellationToken.None).CountAsync());
        Assert.Equal(matched, await _store.ReadMatchedNextDayAsync(runId, 3, CancellationToken.None));
    }
}
