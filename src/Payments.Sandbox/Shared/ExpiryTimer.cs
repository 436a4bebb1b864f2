namespace Payments.Sandbox.Shared;

/// <summary>
/// Runs an expiry once the injected clock has reached its instant. Whoever owns the expiring thing holds this, so the timer lives as
/// long as that thing does (an unreferenced timer may be collected). Reads apply due expiries themselves; this makes sure one
/// nobody reads still happens, and is notified where the channel notifies it.
/// </summary>
internal sealed class ExpiryTimer
{
    private readonly TimeProvider _time;
    private readonly DateTimeOffset _expiresAt;
    private readonly Action _expire;
    private ITimer? _timer;

    public ExpiryTimer(TimeProvider time, DateTimeOffset expiresAt, Action expire)
    {
        _time = time;
        _expiresAt = expiresAt;
        _expire = expire;
        Arm();
    }

    private void Arm()
    {
        var timer = _time.CreateTimer(_ => Fire(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer = timer;
        var due = _expiresAt - _time.GetUtcNow();
        timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void Fire()
    {
        _timer?.Dispose();
        // A timer can fire a moment before the wall clock reaches the expiry (timers run on a millisecond tick, expiries
        // on the clock): then nothing is due yet and no later timer exists, so wait again.
        if (_time.GetUtcNow() < _expiresAt)
        {
            Arm();
            return;
        }

        _expire();
    }
}
