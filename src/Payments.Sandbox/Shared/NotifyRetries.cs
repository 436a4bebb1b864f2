using System.Globalization;
using Payments.Sandbox.Faults;

namespace Payments.Sandbox.Shared;

/// <summary>A channel's notification retry schedule, and the loop that sends one notification until it is acknowledged or the schedule runs out.</summary>
internal static class NotifyRetries
{
    // A week keeps every delay within Task.Delay's range and far beyond any channel's longest gap.
    private const double MaxRetrySeconds = 7 * 24 * 3600;

    /// <summary>
    /// The delays at <paramref name="configurationKey"/>, else the channel's <paramref name="defaultSchedule"/>: comma-separated seconds
    /// after each failed attempt, fractions allowed so tests can retry quickly. Empty means never retry.
    /// </summary>
    public static IReadOnlyList<TimeSpan> Parse(IConfiguration configuration, string configurationKey, string defaultSchedule)
    {
        string text = configuration[configurationKey] ?? defaultSchedule;
        var retries = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                || double.IsNaN(seconds) || seconds is < 0 or > MaxRetrySeconds)
            {
                throw new InvalidOperationException(
                    $"{configurationKey} must be comma-separated seconds between 0 and {MaxRetrySeconds}, got '{text}'.");
            }

            retries.Add(TimeSpan.FromSeconds(seconds));
        }

        return retries;
    }

    /// <summary>
    /// Attempts delivery until one copy is acknowledged, waiting each of <paramref name="retries"/> in turn after a failure;
    /// <paramref name="gaveUp"/> hears the attempt count when the schedule runs out. A notify <paramref name="fault"/> delays the
    /// first attempt or duplicates every one.
    /// </summary>
    public static async Task RunAsync(
        TimeProvider time,
        IReadOnlyList<TimeSpan> retries,
        DeliveryTally tally,
        Fault? fault,
        Func<Task<bool>> deliver,
        Action<int> gaveUp,
        CancellationToken stopping)
    {
        var firstDelay = FirstDelay(fault);
        bool duplicate = fault?.Mode == FaultMode.Duplicate;
        try
        {
            if (firstDelay > TimeSpan.Zero)
            {
                await Task.Delay(firstDelay, time, stopping);
            }

            for (int attempt = 0; ; attempt++)
            {
                if (await AttemptAsync(tally, duplicate, deliver))
                {
                    return;
                }

                if (attempt >= retries.Count)
                {
                    gaveUp(attempt + 1);
                    return;
                }

                await Task.Delay(retries[attempt], time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: pending notifications die with the process, as the sandbox's state does.
        }
    }

    /// <summary>How long a notify fault holds back the first attempt.</summary>
    public static TimeSpan FirstDelay(Fault? fault) =>
        // Reorder is accepted as a delay until notifications for several events can be shuffled.
        fault?.Mode is FaultMode.Delay or FaultMode.Reorder ? fault.Delay : TimeSpan.Zero;

    /// <summary>One attempt: two copies at once when <paramref name="duplicate"/>, to rehearse the receiver's de-duplication; true when either was acknowledged.</summary>
    public static async Task<bool> AttemptAsync(DeliveryTally tally, bool duplicate, Func<Task<bool>> deliver)
    {
        int copies = duplicate ? 2 : 1;
        bool[] results = await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => deliver()));
        bool acknowledged = results.Any(ok => ok);
        tally.RecordAttempt(copies, acknowledged);
        return acknowledged;
    }
}
