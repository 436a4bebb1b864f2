namespace Payments.Core.Payments;

/// <summary>How often we chase the channel and the merchant. Defaults follow api.md; tests and
/// local runs shorten them through configuration.</summary>
public sealed class PaymentSchedules
{
    /// <summary>Follow-up queries after the order is placed: about 15 s, 30 s, 1 m, then backing off.
    /// The last entry repeats until the payment expires.</summary>
    public IReadOnlyList<TimeSpan> FollowUpQueries { get; set; } =
    [
        TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2),
        TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10),
    ];

    /// <summary>Refund queries while the channel processes a refund: about 1 minute, then longer; the
    /// last entry repeats until the refund is final (bank-card refunds can take days).</summary>
    public IReadOnlyList<TimeSpan> RefundQueries { get; set; } =
    [
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15),
        TimeSpan.FromHours(1), TimeSpan.FromHours(6),
    ];

    public TimeSpan RefundQueryDelay(int attempt) =>
        RefundQueries[Math.Clamp(attempt - 1, 0, RefundQueries.Count - 1)];

    /// <summary>How soon to try again when a close or expiry could not reach the channel.</summary>
    public TimeSpan ChannelRetry { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Webhook retries, measured from the first try (api.md).</summary>
    public IReadOnlyList<TimeSpan> WebhookRetries { get; set; } = Webhooks.WebhookSchedule.AfterFirstTry;

    /// <summary>The janitor asks the channel about an open payment or refund not heard of for this long
    /// (5 m at first); one stuck for an hour is asked hourly, one stuck for a day daily.</summary>
    public IReadOnlyList<TimeSpan> StuckChecks { get; set; } = [TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromDays(1)];

    /// <summary>The first of <see cref="StuckChecks"/>: nothing younger than this is stuck.</summary>
    public TimeSpan StuckAfter
    {
        get => StuckChecks[0];
        set => StuckChecks = [value, .. StuckChecks.Where(c => c > value)];
    }

    /// <summary>How often to ask about something that has been open for <paramref name="openFor"/>: the
    /// longest check interval it has outlived.</summary>
    public TimeSpan StuckCheckInterval(TimeSpan openFor) => StuckChecks.LastOrDefault(c => c <= openFor, StuckChecks[0]);

    /// <summary>The shortest expiry a storefront may ask for. 60 s by contract; end-to-end tests lower
    /// it so that expiry can be watched without waiting a minute.</summary>
    public int MinExpiresInSeconds { get; set; } = 60;

    public TimeSpan FollowUpDelay(int attempt) =>
        FollowUpQueries[Math.Clamp(attempt - 1, 0, FollowUpQueries.Count - 1)];
}
