using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Sandbox.Faults;

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

    private readonly TimeSpan[] _retries = ParseSchedule(configuration["Sandbox:Transfer:NotifyRetrySeconds"] ?? "15,60,300,900,3600,7200");

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
            webhook.NotificationId, eventType, refund?.RefundRef, refundNotifyUrl ?? collection.NotifyUrl, body, timestamp, nonce, signature, fault?.Mode == FaultMode.Duplicate, dropped);
        collection.Notifications.Add(record);
        if (dropped)
        {
            LogDropped(record.NotificationId, collection.MerchantRef);
            return;
        }

        var delay = fault?.Mode is FaultMode.Delay or FaultMode.Reorder ? fault.Delay : TimeSpan.Zero;
        _ = DeliverWithRetriesAsync(record, delay, lifetime.ApplicationStopping);
    }

    private async Task DeliverWithRetriesAsync(TransferNotificationRecord record, TimeSpan firstDelay, CancellationToken stopping)
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
            // Shutting down: pending notifications die with the process, as the collections do.
        }
    }

    private async Task<bool> DeliverAsync(TransferNotificationRecord record, CancellationToken stopping)
    {
        using var timeout = new CancellationTokenSource(AcknowledgeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl)
        {
            Content = new StringContent(record.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation(TransferSignatures.NotifyTimestampHeader, record.Timestamp);
        request.Headers.TryAddWithoutValidation(TransferSignatures.NotifyNonceHeader, record.Nonce);
        request.Headers.TryAddWithoutValidation(TransferSignatures.NotifySignatureHeader, record.Signature);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, linked.Token);
            string answer = await response.Content.ReadAsStringAsync(linked.Token);
            bool acknowledged = response.StatusCode == System.Net.HttpStatusCode.OK && IsSuccess(answer);
            LogDelivered(record.NotificationId, (int)response.StatusCode, acknowledged);
            return acknowledged;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            LogUndelivered(record.NotificationId, ex.Message);
            return false;
        }
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

    private static TimeSpan[] ParseSchedule(string text) =>
    [
        .. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
            double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds is >= 0 and <= 7 * 24 * 3600
                ? TimeSpan.FromSeconds(seconds)
                : throw new InvalidOperationException($"Sandbox:Transfer:NotifyRetrySeconds must be comma-separated seconds, got '{text}'.")),
    ];

    [LoggerMessage(LogLevel.Information, "Transfer notification {NotificationId} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string notificationId, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "Transfer notification {NotificationId} not delivered: {Reason}")]
    private partial void LogUndelivered(string notificationId, string reason);

    [LoggerMessage(LogLevel.Information, "Transfer notification {NotificationId} for {MerchantRef} dropped by fault injection")]
    private partial void LogDropped(string notificationId, string merchantRef);

    [LoggerMessage(LogLevel.Warning, "Transfer notification {NotificationId} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string notificationId, int attempts);
}
