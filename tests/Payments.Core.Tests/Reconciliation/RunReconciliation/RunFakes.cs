using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Payments.Core.Apps;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;
using Payments.Core.Refunds;

namespace Payments.Core.Tests.Reconciliation.RunReconciliation;

/// <summary>Channel accounts by id.</summary>
internal sealed class FakeAccounts : IChannelAccountDirectory, IReconciliationAccounts
{
    public Dictionary<string, ChannelAccount> Accounts { get; } = [];

    public void Add(string id, string channel) =>
        Accounts[id] = new ChannelAccount(id, channel, "sandbox", null, new Uri("http://127.0.0.1:9/"), new Dictionary<string, Secret>());

    public Task<ChannelAccount?> GetChannelAccountAsync(string channelAccountId, CancellationToken cancellationToken) =>
        Task.FromResult(Accounts.GetValueOrDefault(channelAccountId));

    public IAsyncEnumerable<ReconciliationAccount> ListAsync(CancellationToken cancellationToken) =>
        Accounts.Values.Select(a => new ReconciliationAccount(a.Id, a.Channel)).ToAsyncEnumerable();
}

/// <summary>A statement channel whose statements are lists of lines per day; the stream it hands out is a marker the
/// parser recognises, so a test can see that the run parses what it downloaded.</summary>
internal sealed class FakeStatementChannel(string name = "wechatpay") : IStatementChannel
{
    public Dictionary<DateOnly, List<StatementLine>> Statements { get; } = [];

    /// <summary>Set to make the download answer something other than Ok.</summary>
    public ChannelResult<Stream>? Answer { get; set; }

    public string Name => name;

    public Task<ChannelResult<Stream>> DownloadStatementAsync(ChannelAccount account, DateOnly date, CancellationToken ct) =>
        Task.FromResult(Answer ?? new ChannelResult<Stream>.Ok(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(date.ToString("O")))));

    public async IAsyncEnumerable<StatementLine> ParseStatementAsync(Stream statement, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(statement);
        var date = DateOnly.Parse(await reader.ReadToEndAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var line in Statements.GetValueOrDefault(date) ?? [])
        {
            yield return line;
        }
    }
}

/// <summary>The index as a dictionary by (account, day). <see cref="OnRead"/> runs as a day starts being read.</summary>
internal sealed class FakeIndex : IReconciliationIndex
{
    private readonly ConcurrentDictionary<(string, DateOnly), ConcurrentDictionary<string, IndexEntry>> _days = new();

    public Func<Task>? OnRead { get; set; }

    public void Add(IndexEntry entry, TimeZoneInfo zone) =>
        _days.GetOrAdd((entry.ChannelAccountId, BusinessCalendar.DayOf(entry.Time, zone)), _ => new())[entry.Id] = entry;

    public async IAsyncEnumerable<IndexEntry> ReadDayAsync(string channelAccountId, DateOnly day, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (OnRead is { } hook)
        {
            await hook();
        }

        foreach (var entry in _days.TryGetValue((channelAccountId, day), out var entries) ? entries.Values.ToList() : [])
        {
            yield return entry;
        }
    }
}

/// <summary>Payments and refunds by id, as the store would answer.</summary>
internal sealed class FakeLookup : IReconciliationLookup
{
    public ConcurrentDictionary<string, Payment> Payments { get; } = new();

    public ConcurrentDictionary<string, Refund> Refunds { get; } = new();

    public Task<Payment?> GetPaymentAsync(string paymentId, CancellationToken cancellationToken) =>
        Task.FromResult(Payments.GetValueOrDefault(paymentId));

    public Task<Refund?> GetRefundAsync(string paymentId, string refundId, CancellationToken cancellationToken) =>
        Task.FromResult(Refunds.TryGetValue(refundId, out var r) && r.PaymentId == paymentId ? r : null);
}

/// <summary>The normal path's query, played out on the fakes: when the channel holds the payment as paid, the payment
/// succeeds and (as the outbox would) lands in the index.</summary>
internal sealed class FakeQuery(FakeLookup lookup, FakeIndex index, TimeZoneInfo zone) : IPaymentQuery
{
    public HashSet<string> PaidAtChannel { get; } = [];

    public List<string> Queried { get; } = [];

    public Task QueryAsync(string paymentId, CancellationToken cancellationToken)
    {
        Queried.Add(paymentId);
        if (PaidAtChannel.Contains(paymentId) && lookup.Payments.TryGetValue(paymentId, out var p) && p.Status is PaymentStatus.Created or PaymentStatus.Pending)
        {
            var (_, paid) = p.MarkSucceeded("4200" + paymentId, p.Amount, p.UpdatedAt);
            lookup.Payments[paymentId] = paid;
            index.Add(Runs.EntryOf(paid), zone);
        }

        return Task.CompletedTask;
    }
}

internal sealed class RecordingPublisher : IMessagePublisher
{
    public ConcurrentQueue<OutboxMessage> Published { get; } = new();

    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        Published.Enqueue(message);
        return Task.CompletedTask;
    }
}

/// <summary>Runs as the table store keeps them: a versioned summary, rows per generation, resolutions settable.</summary>
internal sealed class InMemoryRunStore : IReconciliationRunStore
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (ReconciliationRun Run, int Version)> _runs = [];
    private readonly Dictionary<(string, int), List<RunDiscrepancy>> _results = [];
    private readonly Dictionary<(string, int), List<string>> _matched = [];

    public Task<Versioned<ReconciliationRun>?> GetAsync(string runId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_runs.TryGetValue(runId, out var r) ? new Versioned<ReconciliationRun>(r.Run, r.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null);
        }
    }

    public Task<bool> TryCreateAsync(ReconciliationRun run, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_runs.TryAdd(run.Id, (run, 1)));
        }
    }

    public Task<bool> TryReplaceAsync(Versioned<ReconciliationRun> current, ReconciliationRun next, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_runs.TryGetValue(next.Id, out var stored) || stored.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) != current.ETag)
            {
                return Task.FromResult(false);
            }

            _runs[next.Id] = (next, stored.Version + 1);
            return Task.FromResult(true);
        }
    }

    public Task WriteResultAsync(string runId, int generation, IReadOnlyList<RunDiscrepancy> discrepancies, IReadOnlyCollection<string> matchedNextDayRecordIds, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _results[(runId, generation)] = discrepancies.ToList();
            _matched[(runId, generation)] = matchedNextDayRecordIds.ToList();
            return Task.CompletedTask;
        }
    }

    public Task DeleteResultsAsync(string runId, int from, int to, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            for (int g = from; g < to; g++)
            {
                _results.Remove((runId, g));
                _matched.Remove((runId, g));
            }

            return Task.CompletedTask;
        }
    }

    public IAsyncEnumerable<RunDiscrepancy> ReadDiscrepanciesAsync(string runId, int generation, CancellationToken cancellationToken) =>
        Result(runId, generation).ToAsyncEnumerable();

    public Task<DiscrepancyPage?> ListDiscrepanciesAsync(string runId, int generation, DiscrepancyCategory? category, string? startingAfter, int limit, CancellationToken cancellationToken)
    {
        var all = Result(runId, generation);
        int start = 0;
        if (startingAfter is not null)
        {
            int at = all.FindIndex(d => d.Id == startingAfter);
            if (at < 0)
            {
                return Task.FromResult<DiscrepancyPage?>(null);
            }

            start = at + 1;
        }

        var rest = all.Skip(start).Where(d => category is null || d.Discrepancy.Category == category).ToList();
        return Task.FromResult<DiscrepancyPage?>(new DiscrepancyPage(rest.Take(limit).ToList(), rest.Count > limit));
    }

    public Task<IReadOnlyList<string>> ReadMatchedNextDayAsync(string runId, int generation, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<string>>(_matched.TryGetValue((runId, generation), out var ids) ? ids.ToList() : []);
        }
    }

    public Task<bool> SetResolutionAsync(string runId, int generation, string discrepancyId, DiscrepancyResolution resolution, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_results.TryGetValue((runId, generation), out var list) || list.FindIndex(d => d.Id == discrepancyId) is var at && at < 0)
            {
                return Task.FromResult(false);
            }

            list[at] = list[at] with { Resolution = resolution };
            return Task.FromResult(true);
        }
    }

    public bool HasGeneration(string runId, int generation)
    {
        lock (_gate)
        {
            return _results.ContainsKey((runId, generation));
        }
    }

    public List<RunDiscrepancy> Result(string runId, int generation)
    {
        lock (_gate)
        {
            return _results.TryGetValue((runId, generation), out var list) ? list.ToList() : [];
        }
    }
}
