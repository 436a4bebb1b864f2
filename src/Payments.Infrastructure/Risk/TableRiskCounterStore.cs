using System.Collections.Concurrent;
using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Payments.Core.Risk;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Risk;

/// <summary>Risk counters of one merchant and business day share a partition, with one claim row per
/// payment counted. Payments are counted by an entity-group transaction that inserts their claims and
/// updates every counter they touch under the ETags read: all of it or none, and never past a limit
/// whatever other instances do (a lost race answers 412 or 409, and the requests are decided again on
/// fresh values). A claim makes a repeat of the same payment find itself instead of counting twice,
/// including an SDK retry of a transaction that went through.
///
/// Every payment of a merchant touches the merchant's counters, so its requests cannot run side by
/// side: they are group-committed. While one transaction of a scope is in flight, the next requests
/// gather; they are then decided in arrival order against running totals and written together (up to
/// 100 rows), which keeps a busy merchant's throughput at a batch per round trip instead of a payment.</summary>
public sealed class TableRiskCounterStore(StorageClients clients) : IRiskCounterStore
{
    /// <summary>How long a batch keeps retrying lost races before it fails as an infrastructure error.</summary>
    public static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);

    private const int MaxRowsPerTransaction = 100;
    private const string ClaimPrefix = "claim|";
    private const string CountProperty = "Count";

    private readonly ConcurrentDictionary<string, ScopeQueue> _queues = new(StringComparer.Ordinal);

    private TableClient Table => clients.RiskCounters;

    public Task<ConsumeResult> TryConsumeAsync(CounterRequest request, CancellationToken cancellationToken)
    {
        string partition = RowKeys.Sanitize(request.Scope);
        var pending = new Pending(request, ClaimPrefix + RowKeys.Sanitize(request.ClaimId), cancellationToken);
        var queue = _queues.GetOrAdd(partition, _ => new ScopeQueue());
        bool flush;
        lock (queue)
        {
            queue.Items.Add(pending);
            flush = !queue.Flushing;
            queue.Flushing = true;
        }

        if (flush)
        {
            _ = FlushAsync(partition, queue);
        }

        return pending.Result.Task.WaitAsync(cancellationToken);
    }

    private async Task FlushAsync(string partition, ScopeQueue queue)
    {
        while (true)
        {
            List<Pending> batch;
            lock (queue)
            {
                // A caller that gave up must not be counted for a payment it will not create.
                queue.Items.RemoveAll(p => p.Cancellation.IsCancellationRequested && p.Result.TrySetCanceled(p.Cancellation));
                if (queue.Items.Count == 0)
                {
                    queue.Flushing = false;
                    // A request that still reaches this queue finds Flushing false and flushes it itself.
                    _queues.TryRemove(new KeyValuePair<string, ScopeQueue>(partition, queue));
                    return;
                }

                batch = TakeBatch(queue.Items);
            }

            try
            {
                var results = await DecideAndCommitAsync(partition, batch);
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i].Result.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                batch.ForEach(p => p.Result.TrySetException(e));
            }
        }
    }

    /// <summary>Requests in arrival order while their claims and counters fit one transaction.</summary>
    private static List<Pending> TakeBatch(List<Pending> items)
    {
        var rows = new HashSet<string>(StringComparer.Ordinal);
        int taken = 0;
        foreach (var item in items)
        {
            var needed = item.Request.Limits.Select(l => l.Counter).Append(item.ClaimKey).Where(r => !rows.Contains(r)).Distinct(StringComparer.Ordinal).ToList();
            if (taken > 0 && rows.Count + needed.Count > MaxRowsPerTransaction)
            {
                break;
            }

            rows.UnionWith(needed);
            taken++;
        }

        var batch = items.GetRange(0, taken);
        items.RemoveRange(0, taken);
        return batch;
    }

    private async Task<ConsumeResult[]> DecideAndCommitAsync(string partition, List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        for (int attempt = 0; ; attempt++)
        {
            var claimReads = batch.Select(p => p.ClaimKey).Distinct(StringComparer.Ordinal).ToDictionary(
                k => k,
                k => Table.GetEntityIfExistsAsync<TableEntity>(partition, k, select: ["PartitionKey"]),
                StringComparer.Ordinal);
            var counterReads = batch.SelectMany(p => p.Request.Limits.Select(l => l.Counter)).Distinct(StringComparer.Ordinal).ToDictionary(
                c => c,
                c => Table.GetEntityIfExistsAsync<TableEntity>(partition, RowKeys.Sanitize(c)),
                StringComparer.Ordinal);
            await Task.WhenAll(claimReads.Values.Cast<Task>().Concat(counterReads.Values));

            var decision = Decide(partition, batch, claimReads.Where(c => c.Value.Result.HasValue).Select(c => c.Key).ToHashSet(StringComparer.Ordinal),
                counterReads.ToDictionary(c => c.Key, c => c.Value.Result.HasValue ? c.Value.Result.Value : null, StringComparer.Ordinal));
            if (decision.Actions.Count == 0)
            {
                return decision.Results;
            }

            try
            {
                await Table.SubmitTransactionAsync(decision.Actions);
                return decision.Results;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                // Another instance counted first (or our own commit went through and this is the SDK's
                // retry of it): read again and decide on what is there now.
                if (Stopwatch.GetElapsedTime(started) > GiveUpAfter)
                {
                    throw new TimeoutException($"Risk counters of {partition} stayed contended for {GiveUpAfter.TotalSeconds:0} s ({attempt + 1} attempts).", e);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 << Math.Min(attempt, 4))));
            }
        }
    }

    /// <summary>Decides each request in order against what was read plus what the earlier requests of
    /// the batch add, and builds the transaction that writes the admitted ones.</summary>
    private static (ConsumeResult[] Results, List<TableTransactionAction> Actions) Decide(
        string partition, List<Pending> batch, HashSet<string> existingClaims, Dictionary<string, TableEntity?> rows)
    {
        var totals = new Dictionary<(string Counter, string Property), long>();
        long Value(string counter, string property) =>
            totals.TryGetValue((counter, property), out long v) ? v : rows[counter]?.GetInt64(property) ?? 0;

        var results = new ConsumeResult[batch.Count];
        var firstOfClaim = new Dictionary<string, ConsumeResult>(StringComparer.Ordinal);
        var actions = new List<TableTransactionAction>();
        for (int i = 0; i < batch.Count; i++)
        {
            var request = batch[i].Request;
            string claimKey = batch[i].ClaimKey;
            if (existingClaims.Contains(claimKey))
            {
                results[i] = ConsumeResult.AlreadyConsumed;
                continue;
            }

            if (firstOfClaim.TryGetValue(claimKey, out var first))
            {
                // The same payment twice in one batch: the second is a repeat of the first.
                results[i] = first.Outcome == ConsumeOutcome.Consumed ? ConsumeResult.AlreadyConsumed : first;
                continue;
            }

            string amountProperty = AmountProperty(request.Amount.Currency);
            var exceeded = request.Limits
                .Where(l => Value(l.Counter, l.Measure == CounterMeasure.Count ? CountProperty : amountProperty)
                    + (l.Measure == CounterMeasure.Count ? 1 : request.Amount.MinorUnits) > l.Max)
                .Select(l => l.Reason)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (exceeded.Count > 0)
            {
                results[i] = firstOfClaim[claimKey] = new ConsumeResult(ConsumeOutcome.Exceeded, exceeded);
                continue;
            }

            foreach (string counter in request.Limits.Select(l => l.Counter).Distinct(StringComparer.Ordinal))
            {
                totals[(counter, CountProperty)] = checked(Value(counter, CountProperty) + 1);
                totals[(counter, amountProperty)] = checked(Value(counter, amountProperty) + request.Amount.MinorUnits);
            }

            actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partition, claimKey)
            {
                ["ClaimId"] = request.ClaimId,
                ["Amount"] = request.Amount.MinorUnits,
                ["Currency"] = request.Amount.Currency.Code,
            }));
            results[i] = firstOfClaim[claimKey] = ConsumeResult.Consumed;
        }

        foreach (var counter in totals.GroupBy(t => t.Key.Counter, StringComparer.Ordinal))
        {
            var row = rows[counter.Key];
            var next = new TableEntity(partition, RowKeys.Sanitize(counter.Key)) { ["Counter"] = counter.Key };
            foreach (var property in counter)
            {
                next[property.Key.Property] = property.Value;
            }

            actions.Add(row is null
                ? new TableTransactionAction(TableTransactionActionType.Add, next)
                : new TableTransactionAction(TableTransactionActionType.UpdateMerge, next, row.ETag));
        }

        return (results, actions);
    }

    /// <summary>Amounts are kept per currency (the rules' currency can change within a day).</summary>
    private static string AmountProperty(Core.Currency currency) => "Amount_" + currency.Code;

    private sealed class ScopeQueue
    {
        public List<Pending> Items { get; } = [];

        public bool Flushing { get; set; }
    }

    private sealed record Pending(CounterRequest Request, string ClaimKey, CancellationToken Cancellation)
    {
        public TaskCompletionSource<ConsumeResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
