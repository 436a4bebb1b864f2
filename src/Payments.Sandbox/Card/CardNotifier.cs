using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Sandbox.Faults;

namespace Payments.Sandbox.Card;

/// <summary>
/// Posts webhooks as JSON signed with HMAC-SHA256 (hex key, hex signature in <c>X-Card-Signature</c>)
/// and retries each until the merchant answers 200 with <c>[accepted]</c>, on the configured schedule.
/// </summary>
internal sealed partial class CardNotifier(
    IHttpClientFactory httpClients,
    TimeProvider time,
    FaultRegistry faults,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<CardNotifier> logger)
{
    public const string HttpClientName = "card-notify";
    public const string SignatureHeader = "X-Card-Signature";
    public const string Acknowledgement = "[accepted]";

    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeSpan[] _retries = ParseSchedule(configuration["Sandbox:Card:NotifyRetrySeconds"] ?? "60,120,300,900,3600,7200");

    /// <summary>Signs a webhook about <paramref name="session"/>, records it on the session and starts delivering it. Call under the session's lock.</summary>
    public void Send(CardSessionState session, string eventCode, bool success, string? reason, string? refundReference = null, CardAmountWire? amount = null)
    {
        var fault = faults.TryConsume(FaultNames.Card, FaultNames.Notify);
        var webhook = new CardWebhook(
            "ntf_" + RandomNumberGenerator.GetHexString(24, lowercase: true), eventCode, success, session.Merchant.MerchantAccount, session.Reference,
            refundReference is null ? session.PspReference : session.Refunds.Find(r => r.Reference == refundReference)?.PspReference,
            amount ?? session.Amount, time.GetUtcNow(), refundReference, reason, refundReference is null ? session.Card : null);
        string body = JsonSerializer.Serialize(webhook, CardSandboxJson.Default.CardWebhook);
        string signature = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(session.Merchant.HmacKeyHex), Encoding.UTF8.GetBytes(body)));
        bool dropped = fault?.Mode == FaultMode.Drop;
        var record = new CardNotificationRecord(webhook.NotificationId, eventCode, success, refundReference, session.NotifyUrl, body, signature, fault?.Mode == FaultMode.Duplicate, dropped);
        session.Notifications.Add(record);
        if (dropped)
        {
            LogDropped(record.NotificationId, session.Reference);
            return;
        }

        var delay = fault?.Mode is FaultMode.Delay or FaultMode.Reorder ? fault.Delay : TimeSpan.Zero;
        _ = DeliverWithRetriesAsync(record, delay, lifetime.ApplicationStopping);
    }

    private async Task DeliverWithRetriesAsync(CardNotificationRecord record, TimeSpan firstDelay, CancellationToken stopping)
    {
        try
        {
            if (firstDelay > TimeSpan.Zero)
            {
                await Task.Delay(firstDelay, time, stopping);
            }

            for (int attempt = 0; ; attempt++)
            {
                int copies = record.Duplicate ? 2 : 1;
                bool[] results = await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => DeliverAsync(record, stopping)));
                bool acknowledged = results.Any(ok => ok);
                record.RecordAttempt(copies, acknowledged);
                if (acknowledged)
                {
                    return;
                }

                if (attempt >= _retries.Length)
                {
                    LogGaveUp(record.NotificationId, attempt + 1);
                    return;
                }

                await Task.Delay(_retries[attempt], time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: pending webhooks die with the process, as the sessions do.
        }
    }

    private async Task<bool> DeliverAsync(CardNotificationRecord record, CancellationToken stopping)
    {
        using var timeout = new CancellationTokenSource(AcknowledgeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl)
        {
            Content = new StringContent(record.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(SignatureHeader, record.Signature);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, linked.Token);
            string answer = await response.Content.ReadAsStringAsync(linked.Token);
            bool acknowledged = response.StatusCode == System.Net.HttpStatusCode.OK && answer == Acknowledgement;
            LogDelivered(record.NotificationId, (int)response.StatusCode, acknowledged);
            return acknowledged;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            LogUndelivered(record.NotificationId, ex.Message);
            return false;
        }
    }

    private static TimeSpan[] ParseSchedule(string text) =>
    [
        .. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
            double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds is >= 0 and <= 7 * 24 * 3600
                ? TimeSpan.FromSeconds(seconds)
                : throw new InvalidOperationException($"Sandbox:Card:NotifyRetrySeconds must be comma-separated seconds, got '{text}'.")),
    ];

    [LoggerMessage(LogLevel.Information, "Card webhook {NotificationId} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string notificationId, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "Card webhook {NotificationId} not delivered: {Reason}")]
    private partial void LogUndelivered(string notificationId, string reason);

    [LoggerMessage(LogLevel.Information, "Card webhook {NotificationId} for {Reference} dropped by fault injection")]
    private partial void LogDropped(string notificationId, string reference);

    [LoggerMessage(LogLevel.Warning, "Card webhook {NotificationId} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string notificationId, int attempts);
}
