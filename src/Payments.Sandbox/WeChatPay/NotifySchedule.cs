using System.Globalization;

namespace Payments.Sandbox.WeChatPay;

/// <summary>Delays between notification attempts after the first one fails.</summary>
internal sealed record NotifySchedule(IReadOnlyList<TimeSpan> Retries)
{
    public const string ConfigurationKey = "Sandbox:NotifyRetrySeconds";

    /// <summary>The channel's documented cadence: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h.</summary>
    public const string Default = "15,15,30,180,600,1200,1800,1800,1800,3600,10800,10800,10800,21600,21600";

    // A week is far beyond the channel's longest gap and keeps every delay within Task.Delay's range.
    private const double MaxRetrySeconds = 7 * 24 * 3600;

    /// <summary>Comma-separated seconds; fractions are allowed so tests can retry quickly. Empty means never retry.</summary>
    public static NotifySchedule Parse(string? text)
    {
        text ??= Default;
        var retries = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                || seconds is < 0 or > MaxRetrySeconds || double.IsNaN(seconds))
            {
                throw new InvalidOperationException(
                    $"{ConfigurationKey} must be comma-separated seconds between 0 and {MaxRetrySeconds}, got '{text}'.");
            }

            retries.Add(TimeSpan.FromSeconds(seconds));
        }

        return new NotifySchedule(retries);
    }
}
