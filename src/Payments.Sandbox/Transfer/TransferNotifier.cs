using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Transfer;

/// <summary>
/// Posts notifications as JSON signed with HMAC-SHA256 over <c>TIMESTAMP\nNONCE\nBODY</c> (the merchant's notification
/// key) and retries each until the merchant answers 200 with <c>{"code":"SUCCESS"}</c>, on the configured schedule.
/// </summary>
internal sealed partial class TransferNotifier(
    IHttpClientFactory httpClients,
    TimeProvider time,
    FaultRegistry faults,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<TransferNotifier> logger)
{
    public const string HttpClientName = "transfer-notify";

    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<TimeSpan> _retries = NotifyRetries.Parse(configuration, "Sandbox:Transfer:NotifyRetrySeconds", "15,60,300,900,3600,7200");

    /// <summary>Signs a notification about <paramref name="collection"/> (and <paramref name="refund"/>), records it and
    /// starts delivering it, to the refund's notify URL for a refund. Call under the collection's lock.</summary>
    public void Send(TransferCollectionState collection, string eventType, TransferRefundAnswer? refund = null, string? refundNotifyUrl = null)
    {
        var fault = faults.TryConsume(FaultNames.Transfer, FaultNames.Notify);
        var now = time.GetUtcNow();
        var webhook = new TransferWebhook(
            "EVT" + RandomNumberGenerator.GetHexString(24), eventType, collection.Merchant.CorporateId, now, collection.Answer(null), refund);
        string body = JsonSerializer.Serialize(webhook, TransferSandboxJson.Default.TransferWebhook);
        string timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        string signature = TransferSignatures.SignNotification(collection.Merchant.NotifyKeyHex, timestamp, nonce, body);
        bool dropped = fault?.Mode == FaultMode.Drop;
        var record = new TransferNotificationRecord(
            webhook.NotificationId, eventType, refund?.RefundRef, refundNotifyUrl ?? collection.NotifyUrl, body, timestamp, nonce, signature, dropped);
        collection.Notifications.Add(record);
        if (dropped)
        {
            LogDropped(record.NotificationId, collection.MerchantRef);
            return;
        }

        var stopping = lifetime.ApplicationStopping;
        _ = NotifyRetries.RunAsync(
            time, _retries, record, fault, () => DeliverAsync(record, stopping), attempts => LogGaveUp(record.NotificationId, attempts), stopping);
    }

    private async Task<bool> DeliverAsync(TransferNotificationRecord record, CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl)
        {
            Content = new StringContent(record.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(TransferSignatures.NotifyTimestampHeader, record.Timestamp);
        request.Headers.TryAddWithoutValidation(TransferSignatures.NotifyNonceHeader, record.Nonce);
        request.Headers.TryAddWithoutValidation(TransferSignatures.NotifySignatureHeader, record.Signature);
        return await NotificationPost.SendAsync(
            httpClients.CreateClient(HttpClientName), request, time, AcknowledgeTimeout, async (response, ct) => IsSuccess(await response.Content.ReadAsStringAsync(ct)) && response.StatusCode == HttpStatusCode.OK,
            (status, acknowledged) => LogDelivered(record.NotificationId, status, acknowledged), reason => LogUndelivered(record.NotificationId, reason), stopping);
    }

    private static bool IsSuccess(string answer)
    {
        try
        {
            return JsonSerializer.Deserialize(answer, TransferSandboxJson.Default.TransferAckWire)?.Code == "SUCCESS";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "Transfer notification {NotificationId} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string notificationId, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "Transfer notification {NotificationId} not delivered: {Reason}")]
    private partial void LogUndelivered(string notificationId, string reason);

    [LoggerMessage(LogLevel.Information, "Transfer notification {NotificationId} for {MerchantRef} dropped by fault injection")]
    private partial void LogDropped(string notificationId, string merchantRef);

    [LoggerMessage(LogLevel.Warning, "Transfer notification {NotificationId} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string notificationId, int attempts);
}
