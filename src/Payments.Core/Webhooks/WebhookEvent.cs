namespace Payments.Core.Webhooks;

public enum WebhookDeliveryStatus
{
    Pending,
    Delivered,

    /// <summary>Retries exhausted: visible to operators, who can resend.</summary>
    Failed,
}

/// <summary>A merchant notification: the body is frozen when the event happens, so every retry
/// sends the same bytes under the same id.</summary>
public sealed record WebhookEvent(
    string Id,
    string PaymentId,
    string Type,
    string NotifyUrl,
    string Body,
    DateTimeOffset CreatedAt,
    WebhookDeliveryStatus Status = WebhookDeliveryStatus.Pending,
    int Attempts = 0,
    DateTimeOffset? LastAttemptAt = null,
    string? LastError = null,
    DateTimeOffset? DeliveredAt = null,
    DateTimeOffset? FirstAttemptAt = null);

/// <summary>api.md: retried at about 15 s, 1 m, 5 m, 15 m, 1 h, 3 h, 6 h, 12 h, 24 h, 48 h, 72 h
/// after the first try, then given up.</summary>
public static class WebhookSchedule
{
    public static IReadOnlyList<TimeSpan> AfterFirstTry { get; } =
    [
        TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15),
        TimeSpan.FromHours(1), TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12),
        TimeSpan.FromHours(24), TimeSpan.FromHours(48), TimeSpan.FromHours(72),
    ];

    /// <summary>When retry number <paramref name="failedAttempts"/> is due, measured from the
    /// first try; null when the schedule is exhausted.</summary>
    public static DateTimeOffset? NextAttempt(DateTimeOffset firstTry, int failedAttempts) =>
        failedAttempts >= 1 && failedAttempts <= AfterFirstTry.Count ? firstTry + AfterFirstTry[failedAttempts - 1] : null;
}

public sealed record WebhookSendResult(bool Delivered, string? Error);

/// <summary>Signs and posts a webhook. Delivered means 2xx within the time limit.</summary>
public interface IWebhookSender
{
    Task<WebhookSendResult> SendAsync(WebhookEvent webhookEvent, IReadOnlyList<Secret> secrets, CancellationToken cancellationToken);
}
