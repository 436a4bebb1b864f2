using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

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

    private readonly IReadOnlyList<TimeSpan> _retries = NotifyRetries.Parse(configuration, "Sandbox:Card:NotifyRetrySeconds", "60,120,300,900,3600,7200");

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
        var record = new CardNotificationRecord(webhook.NotificationId, eventCode, success, refundReference, session.NotifyUrl, body, signature, dropped);
        session.Notifications.Add(record);
        if (dropped)
        {
            LogDropped(record.NotificationId, session.Reference);
            return;
        }

        var stopping = lifetime.ApplicationStopping;
        _ = NotifyRetries.RunAsync(
            time, _retries, record, fault, () => DeliverAsync(record, stopping), attempts => LogGaveUp(record.NotificationId, attempts), stopping);
    }

    private async Task<bool> DeliverAsync(CardNotificationRecord record, CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl)
        {
            Content = new StringContent(record.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(SignatureHeader, record.Signature);
        return await NotificationPost.SendAsync(
            httpClients.CreateClient(HttpClientName), request, time, AcknowledgeTimeout, async (response, ct) => await response.Content.ReadAsStringAsync(ct) == Acknowledgement && response.StatusCode == HttpStatusCode.OK,
            (status, acknowledged) => LogDelivered(record.NotificationId, status, acknowledged), reason => LogUndelivered(record.NotificationId, reason), stopping);
    }

    [LoggerMessage(LogLevel.Information, "Card webhook {NotificationId} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string notificationId, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "Card webhook {NotificationId} not delivered: {Reason}")]
    private partial void LogUndelivered(string notificationId, string reason);

    [LoggerMessage(LogLevel.Information, "Card webhook {NotificationId} for {Reference} dropped by fault injection")]
    private partial void LogDropped(string notificationId, string reference);

    [LoggerMessage(LogLevel.Warning, "Card webhook {NotificationId} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string notificationId, int attempts);
}
