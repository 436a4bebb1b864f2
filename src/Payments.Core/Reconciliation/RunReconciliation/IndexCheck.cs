using System.Threading.Channels;
using Payments.Core.Payments;
using Payments.Core.Refunds;

namespace Payments.Core.Reconciliation.RunReconciliation;

/// <summary>
/// The system-internal half of a run: every index entry of the day is compared with the payment or refund it stands
/// for, concurrently with the run reading the index (entries are handed over as they are read, through a bounded
/// queue, so the check never holds the day).
/// </summary>
internal sealed class IndexCheck : IAsyncDisposable
{
    private const int Concurrency = 16;

    private readonly IReconciliationLookup _lookup;
    private readonly DateOnly _date;
    private readonly TimeZoneInfo _zone;
    private readonly Channel<IndexEntry> _entries = Channel.CreateBounded<IndexEntry>(new BoundedChannelOptions(1024) { SingleWriter = true });
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _workers;
    private readonly List<string> _problems = [];
    private long _checked;
    private long _mismatched;
    private long _notIndexed;
    private Exception? _failure;

    public IndexCheck(IReconciliationLookup lookup, DateOnly date, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        _lookup = lookup;
        _date = date;
        _zone = zone;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(WorkAsync, CancellationToken.None)).ToArray();
    }

    /// <summary>The day's index, each entry also handed to the check.</summary>
    public async IAsyncEnumerable<SystemRecord> ReadAsync(IAsyncEnumerable<IndexEntry> day)
    {
        await foreach (var entry in day.WithCancellation(_stop.Token))
        {
            await HandOverAsync(entry);
            yield return entry.ToRecord();
        }

        _entries.Writer.TryComplete();
    }

    /// <summary>A final record the statement surfaced that the store has and the index lacks.</summary>
    public void NotIndexed(string problem)
    {
        Interlocked.Increment(ref _notIndexed);
        Note(problem);
    }

    /// <summary>Waits for the last comparisons; call once the day's index has been read.</summary>
    public async Task<InternalCheck> CompleteAsync()
    {
        _entries.Writer.TryComplete();
        await Task.WhenAll(_workers);
        if (_failure is not null)
        {
            throw new InvalidOperationException("Checking the index against the payment store failed.", _failure);
        }

        lock (_problems)
        {
            return new InternalCheck(Interlocked.Read(ref _checked), Interlocked.Read(ref _mismatched), Interlocked.Read(ref _notIndexed), _problems.ToList());
        }
    }

    public async ValueTask DisposeAsync()
    {
        _entries.Writer.TryComplete();
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
    }

    private async Task HandOverAsync(IndexEntry entry)
    {
        try
        {
            await _entries.Writer.WriteAsync(entry, _stop.Token);
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            throw new InvalidOperationException("Checking the index against the payment store failed.", _failure);
        }
    }

    private async Task WorkAsync()
    {
        try
        {
            await CheckAllAsync();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: the run is failing for a reason of its own, or one of the workers failed.
        }
        catch (Exception e)
        {
            // One store failure fails the run: a check that skipped entries would understate what it found.
            Interlocked.CompareExchange(ref _failure, e, null);
            await _stop.CancelAsync();
        }
    }

    private async Task CheckAllAsync()
    {
        await foreach (var entry in _entries.Reader.ReadAllAsync(_stop.Token))
        {
            string? problem = entry.Kind == TransactionKind.Refund
                ? Compare(entry, await _lookup.GetRefundAsync(entry.PaymentId, entry.Id, _stop.Token))
                : Compare(entry, await _lookup.GetPaymentAsync(entry.PaymentId, _stop.Token));
            Interlocked.Increment(ref _checked);
            if (problem is not null)
            {
                Interlocked.Increment(ref _mismatched);
                Note(problem);
            }
        }
    }

    private string? Compare(IndexEntry entry, Payment? payment)
    {
        if (payment is null)
        {
            return $"the index has payment {entry.Id}; the store has no such payment";
        }

        var ours = ReconciledPayment.Of(payment);
        if (ours.Status != entry.Status)
        {
            return $"the index has payment {entry.Id} {entry.Status}; the store has it {payment.Status.ToWire()}";
        }

        if (entry.Amount != ours.Amount.MinorUnits || entry.Currency != ours.Amount.Currency.Code)
        {
            return $"the index has payment {entry.Id} for {entry.Amount} {entry.Currency}; the store has {ours.Amount}";
        }

        if (entry.ChannelAccountId != payment.ChannelAccountId)
        {
            return $"the index has payment {entry.Id} under {entry.ChannelAccountId}; the store has it under {payment.ChannelAccountId}";
        }

        // Only a time money moved is final: a closed payment's UpdatedAt moves on when it is paid late and refunded.
        return CompareDay(entry, ours.Status == TransactionStatus.Succeeded ? ours.Time : null);
    }

    private string? Compare(IndexEntry entry, Refund? refund)
    {
        if (refund is null)
        {
            return $"the index has refund {entry.Id}; the store has no such refund";
        }

        var status = refund.Status switch
        {
            RefundStatus.Succeeded => TransactionStatus.Succeeded,
            RefundStatus.Failed => TransactionStatus.Failed,
            _ => TransactionStatus.Processing,
        };
        if (status != entry.Status)
        {
            return $"the index has refund {entry.Id} {entry.Status}; the store has it {refund.Status.ToWire()}";
        }

        if (entry.Amount != refund.Amount.MinorUnits || entry.Currency != refund.Amount.Currency.Code)
        {
            return $"the index has refund {entry.Id} for {entry.Amount} {entry.Currency}; the store has {refund.Amount}";
        }

        return CompareDay(entry, refund.Status == RefundStatus.Succeeded ? refund.SucceededAt : null);
    }

    /// <summary>An entry lies on the day its final time falls on; an id indexed twice has a copy on a wrong day.</summary>
    private string? CompareDay(IndexEntry entry, DateTimeOffset? finalAt)
    {
        var day = BusinessCalendar.DayOf(finalAt ?? entry.Time, _zone);
        return day == _date && BusinessCalendar.DayOf(entry.Time, _zone) == _date
            ? null
            : $"the index has {entry.Id} on {ReconciliationRunIds.Day(_date)}; it became final on {ReconciliationRunIds.Day(day)}";
    }

    private void Note(string problem)
    {
        lock (_problems)
        {
            if (_problems.Count < InternalCheck.MaxProblems)
            {
                _problems.Add(problem);
            }
        }
    }
}
