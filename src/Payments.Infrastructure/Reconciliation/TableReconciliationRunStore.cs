using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Payments.Core;
using Payments.Core.Payments;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Reconciliation;

/// <summary>
/// Reconciliation runs in table <c>reconruns</c>, one partition per run. Row <c>run</c> is the summary, replaced under
/// its ETag. A generation's result is rows keyed <c>g{generation}-d-{sequence}</c> (the discrepancies, in the run's
/// order), <c>g{generation}-i-{discrepancy id}</c> (where each discrepancy is, for cursors and resolutions) and
/// <c>g{generation}-n-{chunk}</c> (the next day's records the statement matched). Readers only read the generation the
/// summary names, so a re-run that is still writing, or one that died half way, is never seen.
/// </summary>
public sealed class TableReconciliationRunStore(StorageClients clients) : IReconciliationRunStore
{
    private const string RunRow = "run";
    private const int BatchSize = 100;
    private const int IdsPerChunk = 500;

    private TableClient Table => clients.ReconciliationRuns;

    public async Task<Versioned<ReconciliationRun>?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        if (!RowKeys.IsSafeKey(runId))
        {
            return null;
        }

        var response = await Table.GetEntityIfExistsAsync<TableEntity>(runId, RunRow, cancellationToken: cancellationToken);
        return response.HasValue && response.Value is { } e
            ? new Versioned<ReconciliationRun>(JsonSerializer.Deserialize(e.GetString("Data"), RunStoreJson.Default.RunRecord)!.ToDomain(), e.ETag.ToString())
            : null;
    }

    public async Task<bool> TryCreateAsync(ReconciliationRun run, CancellationToken cancellationToken)
    {
        try
        {
            await Table.AddEntityAsync(RunEntity(run), cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Also what an SDK retry of our own insert answers: the caller re-reads and decides again either way.
            return false;
        }
    }

    public async Task<bool> TryReplaceAsync(Versioned<ReconciliationRun> current, ReconciliationRun next, CancellationToken cancellationToken)
    {
        try
        {
            await Table.UpdateEntityAsync(RunEntity(next), new ETag(current.ETag), TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async Task WriteResultAsync(
        string runId, int generation, IReadOnlyList<RunDiscrepancy> discrepancies, IReadOnlyCollection<string> matchedNextDayRecordIds, CancellationToken cancellationToken)
    {
        var entities = new List<TableEntity>((discrepancies.Count * 2) + 1);
        for (int i = 0; i < discrepancies.Count; i++)
        {
            var d = discrepancies[i];
            entities.Add(new TableEntity(runId, DiscrepancyRow(generation, i))
            {
                ["Id"] = d.Id,
                ["Category"] = d.Discrepancy.Category.ToWire(),
                ["Suspected"] = d.Discrepancy.Suspected,
                ["Resolution"] = d.Resolution.ToWire(),
                ["Data"] = JsonSerializer.Serialize(DiscrepancyRecord.From(d.Discrepancy), RunStoreJson.Default.DiscrepancyRecord),
            });
            entities.Add(new TableEntity(runId, LocatorRow(generation, d.Id)) { ["Seq"] = i });
        }

        int chunk = 0;
        foreach (var ids in matchedNextDayRecordIds.Chunk(IdsPerChunk))
        {
            entities.Add(new TableEntity(runId, $"{Generation(generation)}-n-{chunk++:D6}")
            {
                ["Data"] = JsonSerializer.Serialize(ids, RunStoreJson.Default.StringArray),
            });
        }

        // One partition, so entity-group transactions of up to 100 rows; the result is not visible until the summary
        // names this generation, so the batches need not be one transaction.
        foreach (var batch in entities.Chunk(BatchSize))
        {
            await Table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken);
        }
    }

    public async Task DeleteResultsAsync(string runId, int from, int to, CancellationToken cancellationToken)
    {
        if (from >= to)
        {
            return;
        }

        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {Generation(from)} and RowKey lt {Generation(to)}");
        var keys = new List<string>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
        {
            keys.Add(e.RowKey);
        }

        foreach (var batch in keys.Chunk(BatchSize))
        {
            try
            {
                await Table.SubmitTransactionAsync(batch.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(runId, k), ETag.All)), cancellationToken);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // Someone deleted part of it meanwhile (a concurrent clean-up): delete what is left one by one.
                foreach (string key in batch)
                {
                    await Table.DeleteEntityAsync(runId, key, ETag.All, cancellationToken);
                }
            }
        }
    }

    public async IAsyncEnumerable<RunDiscrepancy> ReadDiscrepanciesAsync(string runId, int generation, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in Table.QueryAsync<TableEntity>(DiscrepancyRange(runId, generation, null, null), cancellationToken: cancellationToken))
        {
            yield return ToDiscrepancy(e);
        }
    }

    public async Task<DiscrepancyPage?> ListDiscrepanciesAsync(
        string runId, int generation, DiscrepancyCategory? category, string? startingAfter, int limit, CancellationToken cancellationToken)
    {
        int? after = null;
        if (startingAfter is not null)
        {
            if (!RowKeys.IsSafeKey(startingAfter))
            {
                return null;
            }

            var locator = await Table.GetEntityIfExistsAsync<TableEntity>(runId, LocatorRow(generation, startingAfter), cancellationToken: cancellationToken);
            if (!locator.HasValue || locator.Value?.GetInt32("Seq") is not int seq)
            {
                return null;
            }

            after = seq;
        }

        var items = new List<RunDiscrepancy>(limit);
        await foreach (var e in Table.QueryAsync<TableEntity>(DiscrepancyRange(runId, generation, after, category), maxPerPage: limit + 1, cancellationToken: cancellationToken))
        {
            if (items.Count == limit)
            {
                return new DiscrepancyPage(items, HasMore: true);
            }

            items.Add(ToDiscrepancy(e));
        }

        return new DiscrepancyPage(items, HasMore: false);
    }

    public async Task<IReadOnlyList<string>> ReadMatchedNextDayAsync(string runId, int generation, CancellationToken cancellationToken)
    {
        string prefix = $"{Generation(generation)}-n-";
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {prefix} and RowKey lt {Successor(prefix)}");
        var ids = new List<string>();
        await foreach (var e in Table.QueryAsync<TableEntity>(filter, select: ["Data"], cancellationToken: cancellationToken))
        {
            ids.AddRange(JsonSerializer.Deserialize(e.GetString("Data"), RunStoreJson.Default.StringArray)!);
        }

        return ids;
    }

    public async Task<bool> SetResolutionAsync(string runId, int generation, string discrepancyId, DiscrepancyResolution resolution, CancellationToken cancellationToken)
    {
        var locator = await Table.GetEntityIfExistsAsync<TableEntity>(runId, LocatorRow(generation, discrepancyId), cancellationToken: cancellationToken);
        if (!locator.HasValue || locator.Value?.GetInt32("Seq") is not int seq)
        {
            return false;
        }

        try
        {
            await Table.UpdateEntityAsync(
                new TableEntity(runId, DiscrepancyRow(generation, seq)) { ["Resolution"] = resolution.ToWire() }, ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return false; // the generation was deleted meanwhile (the day re-ran)
        }
    }

    private static TableEntity RunEntity(ReconciliationRun run) => new(run.Id, RunRow)
    {
        ["Data"] = JsonSerializer.Serialize(RunRecord.From(run), RunStoreJson.Default.RunRecord),
    };

    private static RunDiscrepancy ToDiscrepancy(TableEntity e) => new(
        e.GetString("Id"),
        JsonSerializer.Deserialize(e.GetString("Data"), RunStoreJson.Default.DiscrepancyRecord)!.ToDomain(),
        DiscrepancyResolutions.TryParseWire(e.GetString("Resolution"), out var resolution) ? resolution : DiscrepancyResolution.Reported);

    private static string DiscrepancyRange(string runId, int generation, int? after, DiscrepancyCategory? category)
    {
        string prefix = $"{Generation(generation)}-d-";
        string from = after is int seq ? DiscrepancyRow(generation, seq) : prefix;
        string filter = after is null
            ? TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {from} and RowKey lt {Successor(prefix)}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey gt {from} and RowKey lt {Successor(prefix)}");
        return category is { } c ? filter + " and " + TableClient.CreateQueryFilter($"Category eq {c.ToWire()}") : filter;
    }

    private static string Generation(int generation) => "g" + generation.ToString("D6", CultureInfo.InvariantCulture);

    private static string DiscrepancyRow(int generation, int seq) => $"{Generation(generation)}-d-{seq.ToString("D8", CultureInfo.InvariantCulture)}";

    private static string LocatorRow(int generation, string discrepancyId) => $"{Generation(generation)}-i-{discrepancyId}";

    /// <summary>The first key after every key that starts with <paramref name="prefix"/> (which ends in '-').</summary>
    private static string Successor(string prefix) => prefix[..^1] + ".";
}

internal sealed record KindTotalsRecord(long Count, long Amount, long Matched, long MatchedAmount)
{
    public static KindTotalsRecord From(KindTotals t) => new(t.Count, t.Amount.MinorUnits, t.Matched, t.MatchedAmount.MinorUnits);

    public KindTotals ToDomain(Currency currency) => new(Count, new Money(Amount, currency), Matched, new Money(MatchedAmount, currency));
}

internal sealed record TotalsRecord(
    string Currency, KindTotalsRecord StatementPayments, KindTotalsRecord StatementRefunds, KindTotalsRecord SystemPayments, KindTotalsRecord SystemRefunds)
{
    public static TotalsRecord From(ReconciliationTotals t) => new(
        t.Statement.Payments.Amount.Currency.Code,
        KindTotalsRecord.From(t.Statement.Payments),
        KindTotalsRecord.From(t.Statement.Refunds),
        KindTotalsRecord.From(t.System.Payments),
        KindTotalsRecord.From(t.System.Refunds));

    public ReconciliationTotals ToDomain()
    {
        var currency = Core.Currency.Parse(Currency);
        return new ReconciliationTotals(
            new SideTotals(StatementPayments.ToDomain(currency), StatementRefunds.ToDomain(currency)),
            new SideTotals(SystemPayments.ToDomain(currency), SystemRefunds.ToDomain(currency)));
    }
}

internal sealed record RunRecord(
    string Id,
    string ChannelAccountId,
    string Channel,
    DateOnly Date,
    ReconciliationRunStatus Status,
    int Generation,
    int? ResultGeneration,
    DateTimeOffset RequestedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Failure,
    Dictionary<DiscrepancyCategory, int> Counts,
    Dictionary<DiscrepancyResolution, int> Resolutions,
    RecheckCounts Rechecks,
    TotalsRecord? Totals,
    InternalCheck? Internal)
{
    public static RunRecord From(ReconciliationRun r) => new(
        r.Id, r.ChannelAccountId, r.Channel, r.Date, r.Status, r.Generation, r.ResultGeneration, r.RequestedAt, r.StartedAt, r.CompletedAt, r.Failure,
        r.Counts.ToDictionary(), r.Resolutions.ToDictionary(), r.Rechecks, r.Totals is { } t ? TotalsRecord.From(t) : null, r.Internal);

    public ReconciliationRun ToDomain() => new()
    {
        Id = Id, ChannelAccountId = ChannelAccountId, Channel = Channel, Date = Date, Status = Status, Generation = Generation,
        ResultGeneration = ResultGeneration, RequestedAt = RequestedAt, StartedAt = StartedAt, CompletedAt = CompletedAt, Failure = Failure,
        Counts = DiscrepancyCategories.All.ToDictionary(c => c, c => Counts.GetValueOrDefault(c)),
        Resolutions = DiscrepancyResolutions.All.ToDictionary(r => r, r => Resolutions.GetValueOrDefault(r)),
        Rechecks = Rechecks, Totals = Totals?.ToDomain(), Internal = Internal,
    };
}

internal sealed record LineRecord(
    string Id, string? ChannelTransactionId, TransactionKind Kind, long Amount, string Currency, long? Fee, string ChannelStatus, TransactionStatus Status,
    DateTimeOffset Time, string? PaymentId)
{
    public static LineRecord From(StatementLine l) => new(
        l.Id, l.ChannelTransactionId, l.Kind, l.Amount.MinorUnits, l.Amount.Currency.Code, l.Fee?.MinorUnits, l.ChannelStatus, l.Status, l.Time, l.PaymentId);

    public StatementLine ToDomain()
    {
        var currency = Core.Currency.Parse(Currency);
        return new StatementLine(
            Id, ChannelTransactionId, Kind, new Money(Amount, currency), Fee is long fee ? new Money(fee, currency) : null, ChannelStatus, Status, Time, PaymentId);
    }
}

internal sealed record SystemRecordRecord(
    string Id, TransactionKind Kind, string? ChannelTransactionId, long Amount, string Currency, TransactionStatus Status, DateTimeOffset Time, long? Fee, string? PaymentId)
{
    public static SystemRecordRecord From(SystemRecord r) => new(
        r.Id, r.Kind, r.ChannelTransactionId, r.Amount.MinorUnits, r.Amount.Currency.Code, r.Status, r.Time, r.Fee?.MinorUnits, r.PaymentId);

    public SystemRecord ToDomain()
    {
        var currency = Core.Currency.Parse(Currency);
        return new SystemRecord(Id, Kind, ChannelTransactionId, new Money(Amount, currency), Status, Time, Fee is long fee ? new Money(fee, currency) : null, PaymentId);
    }
}

internal sealed record DiscrepancyRecord(
    DiscrepancyCategory Category, string TransactionId, bool Suspected, int Occurrence, string Detail, LineRecord? Line, SystemRecordRecord? Record)
{
    public static DiscrepancyRecord From(Discrepancy d) => new(
        d.Category, d.TransactionId, d.Suspected, d.Occurrence, d.Detail, d.Line is { } l ? LineRecord.From(l) : null,
        d.Record is { } r ? SystemRecordRecord.From(r) : null);

    public Discrepancy ToDomain() => new(Category, TransactionId, Line?.ToDomain(), Record?.ToDomain(), Suspected, Occurrence, Detail);
}

/// <summary>Storage shapes only: time stamps keep their offset and full precision, so a carried-over record compares
/// with the cut-off exactly as it did when it was written.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(RunRecord))]
[JsonSerializable(typeof(DiscrepancyRecord))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class RunStoreJson : JsonSerializerContext;

/// <summary>The channel accounts reconciliation runs for, from the directory.</summary>
public sealed class TableReconciliationAccounts(TableDirectories directories) : IReconciliationAccounts
{
    public async IAsyncEnumerable<ReconciliationAccount> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var account in directories.ListChannelAccountsAsync(cancellationToken))
        {
            yield return new ReconciliationAccount(account.Id, account.Channel);
        }
    }
}
