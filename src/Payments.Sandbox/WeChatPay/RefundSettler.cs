using System.Collections.Concurrent;
using System.Globalization;

namespace Payments.Sandbox.WeChatPay;

/// <summary>
/// Settles PROCESSING refunds to SUCCESS after the configured delay, as the channel does once the
/// money has reached the payer, and notifies the merchant. One timer per pending refund, on the
/// injected clock, so a test can drive it with a fake one. Hosted so that a bad setting stops the
/// sandbox at start-up and pending settlements stop with it.
/// </summary>
internal sealed class RefundSettler(
    TimeProvider time,
    NotificationDispatcher notifier,
    IConfiguration configuration) : IHostedService, IDisposable
{
    public const string ConfigurationKey = "Sandbox:RefundSettleSeconds";

    // Same ceiling as the notification schedule: far beyond any test, within a timer's range.
    private const double MaxSettleSeconds = 7 * 24 * 3600;

    private readonly TimeSpan? _settleAfter = ParseSettleAfter(configuration[ConfigurationKey]);
    private readonly ConcurrentDictionary<ITimer, byte> _timers = new();
    private bool _disposed;

    /// <summary>Arranges the automatic settlement of a refund just created; nothing when it is switched off.</summary>
    public void Track(Order order, string outRefundNo)
    {
        if (_settleAfter is not { } delay)
        {
            return;
        }

        var pending = new PendingSettle(this, order, outRefundNo);
        var timer = time.CreateTimer(static state => ((PendingSettle)state!).Fire(), pending, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        pending.Timer = timer;
        _timers[timer] = 0;

        // Armed only once registered, so a zero delay cannot fire before the timer can be forgotten.
        if (Volatile.Read(ref _disposed) || !timer.Change(delay, Timeout.InfiniteTimeSpan))
        {
            Forget(timer);
        }
    }

    /// <summary>Settles a PROCESSING refund now and notifies the merchant of the outcome.</summary>
    public RefundSettleOutcome Settle(Order order, string outRefundNo, RefundStatus status)
    {
        var (outcome, notice, notifyUrl) = order.SettleRefund(outRefundNo, status, time.GetUtcNow());
        if (outcome == RefundSettleOutcome.Settled)
        {
            notifier.RefundSettled(order, notice!, notifyUrl);
        }

        return outcome;
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

    /// <summary>Seconds, fractions allowed; 0 settles at once, -1 never (only the test hook settles).</summary>
    internal static TimeSpan? ParseSettleAfter(string? text)
    {
        if (text is null)
        {
            return TimeSpan.FromSeconds(1);
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || !(seconds == -1 || seconds is >= 0 and <= MaxSettleSeconds))
        {
            throw new InvalidOperationException(
                $"{ConfigurationKey} must be -1 (never) or seconds between 0 and {MaxSettleSeconds}, got '{text}'.");
        }

        return seconds < 0 ? null : TimeSpan.FromSeconds(seconds);
    }

    private void Forget(ITimer timer)
    {
        _timers.TryRemove(timer, out _);
        timer.Dispose();
    }

    private sealed class PendingSettle(RefundSettler settler, Order order, string outRefundNo)
    {
        public ITimer? Timer { get; set; }

        public void Fire()
        {
            settler.Forget(Timer!);

            // The test hook may have settled it first; then there is nothing left to do.
            settler.Settle(order, outRefundNo, RefundStatus.Success);
        }
    }
}
