using System.Collections.Concurrent;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// Closes unpaid trades at their time_expire and notifies TRADE_CLOSED, as Alipay does for a trade
/// a payer had opened. One timer per trade, on the injected clock; every read of a trade also
/// applies a due expiry first, so answers never depend on a timer's slack.
/// </summary>
internal sealed class AlipayExpiry(TimeProvider time, AlipayNotifier notifier) : IHostedService, IDisposable
{
    private readonly ConcurrentDictionary<ITimer, byte> _timers = new();
    private bool _disposed;

    private DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Arranges the closing of a trade just recorded; nothing for one without time_expire.</summary>
    public void Track(AlipayTrade trade)
    {
        if (trade.Terms.TimeExpire is not { } expiry)
        {
            return;
        }

        var pending = new PendingExpiry(this, trade);
        var timer = time.CreateTimer(static state => ((PendingExpiry)state!).Fire(), pending, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        pending.Timer = timer;
        _timers[timer] = 0;

        // Armed only once registered, so an expiry already due cannot fire before it can be forgotten.
        var due = expiry - time.GetUtcNow();
        if (Volatile.Read(ref _disposed) || !timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan))
        {
            Forget(timer);
        }
    }

    /// <summary>Applies a due expiry (and sends its notification) before the trade is read or changed.</summary>
    public void Refresh(AlipayTrade trade)
    {
        if (trade.ExpireIfDue(time.GetUtcNow()) is { } notice)
        {
            notifier.Send(trade, notice);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        foreach (var timer in _timers.Keys)
        {
            Forget(timer);
        }
    }

    private void Forget(ITimer timer)
    {
        _timers.TryRemove(timer, out _);
        timer.Dispose();
    }

    private sealed class PendingExpiry(AlipayExpiry expiry, AlipayTrade trade)
    {
        public ITimer? Timer { get; set; }

        public void Fire()
        {
            expiry.Forget(Timer!);
            // A timer can fire a moment before the wall clock reaches the expiry (timers run on a
            // millisecond tick, expiries on the clock): then the trade is not due yet, so wait again.
            if (trade.Terms.TimeExpire is { } at && expiry.Now < at)
            {
                expiry.Track(trade);
                return;
            }

            expiry.Refresh(trade);
        }
    }
}
