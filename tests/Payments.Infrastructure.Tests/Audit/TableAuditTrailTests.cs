using Azure;
using Azure.Data.Tables;
using Payments.Core.Audit;
using Payments.Infrastructure.Audit;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Infrastructure.Tests.Audit;

/// <summary>The operators' hash chain on Azurite. Each test has its own audit table: the chain is one
/// partition, and a tampered chain must not leak into the next test.</summary>
public sealed class TableAuditTrailTests : IAsyncLifetime
{
    private const string Partition = "operators";

    private readonly StorageClients _clients = new(Azurite.IsolatedOptions());

    private TableAuditTrail Trail => new(_clients);

    public async Task InitializeAsync() => await _clients.Audit.CreateIfNotExistsAsync();

    public async Task DisposeAsync() => await _clients.Audit.DeleteAsync();

    private static AuditRecord Record(int i) => new(
        DateTimeOffset.UtcNow, "operator:alice", "exception.resolved", $"exc_{i:D24}", "status=open", $"status=resolved note={i}", $"corr-{i}");

    private async Task AppendAsync(int count)
    {
        for (int i = 1; i <= count; i++)
        {
            await Trail.AppendAsync(Record(i), CancellationToken.None);
        }
    }

    private static string EntryRow(long sequence) => "entry|" + sequence.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task AnUntouchedChainVerifiesAndListsNewestFirst()
    {
        await AppendAsync(5);

        var verification = await Trail.VerifyAsync(CancellationToken.None);
        var listed = await Trail.ListAsync(null, CancellationToken.None).ToListAsync();
        var below = await Trail.ListAsync(3, CancellationToken.None).ToListAsync();

        Assert.True(verification.Valid, verification.Problem);
        Assert.Equal(5, verification.Checked);
        Assert.Equal([5L, 4, 3, 2, 1], listed.Select(e => e.Sequence));
        Assert.Equal("status=resolved note=5", listed[0].Record.After);
        Assert.Equal([2L, 1], below.Select(e => e.Sequence));
    }

    [Fact]
    public async Task ChangingOneRecordIsCaughtAtItsSequence()
    {
        await AppendAsync(5);
        var row = (await _clients.Audit.GetEntityAsync<TableEntity>(Partition, EntryRow(3))).Value;
        row["After"] = "status=resolved note=nothing to see";
        await _clients.Audit.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace);

        var verification = await Trail.VerifyAsync(CancellationToken.None);

        Assert.False(verification.Valid);
        Assert.Equal(3, verification.FirstBrokenSequence);
        Assert.Equal(2, verification.Checked);
        Assert.Contains("record 3", verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RehashingAChangedRecordStillBreaksTheNextOne()
    {
        // A forger who recomputes the changed record's own hash cannot also fix the record after it.
        await AppendAsync(4);
        var row = (await _clients.Audit.GetEntityAsync<TableEntity>(Partition, EntryRow(2))).Value;
        var record = new AuditRecord(
            row.GetDateTimeOffset("At")!.Value, "operator:mallory", row.GetString("Action"), row.GetString("Subject"),
            row.GetString("Before"), row.GetString("After"), row.GetString("CorrelationId"));
        row["Actor"] = record.Actor;
        row["Hash"] = AuditChain.HashOf(2, record, row.GetString("PreviousHash"));
        await _clients.Audit.UpdateEntityAsync(row, ETag.All, TableUpdateMode.Replace);

        var verification = await Trail.VerifyAsync(CancellationToken.None);

        Assert.False(verification.Valid);
        Assert.Equal(3, verification.FirstBrokenSequence);
    }

    [Fact]
    public async Task DeletingTheLastRecordIsCaughtByTheHead()
    {
        await AppendAsync(5);
        await _clients.Audit.DeleteEntityAsync(Partition, EntryRow(5));

        var verification = await Trail.VerifyAsync(CancellationToken.None);

        Assert.False(verification.Valid);
        Assert.Equal(4, verification.Checked);
        Assert.Contains("removed", verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletingARecordInTheMiddleIsCaughtAtTheGap()
    {
        await AppendAsync(5);
        await _clients.Audit.DeleteEntityAsync(Partition, EntryRow(2));

        var verification = await Trail.VerifyAsync(CancellationToken.None);

        Assert.False(verification.Valid);
        Assert.Equal(2, verification.FirstBrokenSequence);
        Assert.Contains("missing", verification.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwentyConcurrentAppendsMakeOneGaplessChainOfTwenty()
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var appends = Enumerable.Range(1, 20).Select(async i =>
        {
            await start.Task;
            return await new TableAuditTrail(_clients).AppendAsync(Record(i), CancellationToken.None);
        }).ToArray();
        start.SetResult();
        var entries = await Task.WhenAll(appends);

        var verification = await Trail.VerifyAsync(CancellationToken.None);
        var stored = await Trail.ListAsync(null, CancellationToken.None).ToListAsync();

        Assert.True(verification.Valid, verification.Problem);
        Assert.Equal(20, verification.Checked);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), entries.Select(e => e.Sequence).Order());
        Assert.Equal(20, stored.Count);
        Assert.Equal(Enumerable.Range(1, 20).Select(i => $"status=resolved note={i}").Order(), stored.Select(e => e.Record.After!).Order());
    }
}
