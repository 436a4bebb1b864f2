using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.WeChatPay;

/// <summary>
/// Sends payment and refund notifications and retries the unacknowledged ones on the configured schedule.
/// Attempts wait in a timer queue ordered by due time, so a slow receiver never holds up others.
/// </summary>
internal sealed partial class NotificationDispatcher(
    IHttpClientFactory httpClients,
    TimeProvider time,
    PlatformCertificate platform,
    MerchantRegistry merchants,
    FaultRegistry faults,
    NotifySchedule schedule,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "wechatpay-notify";

    // The channel counts an answer slower than this as a failure and retries.
    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(5);

    private readonly DueQueue<PendingAttempt> _queue = new(time);

    public void PaymentSucceeded(Order order, Transaction transaction) =>
        Send(
            order.MchId,
            order.OutTradeNo,
            order.Terms.NotifyUrl,
            "TRANSACTION.SUCCESS",
            "支付成功",
            "transaction",
            JsonSerializer.Serialize(transaction, WeChatPayJsonContext.Wire.Transaction),
            order.AddNotification);

    /// <summary>A REFUND.SUCCESS, REFUND.CLOSED or REFUND.ABNORMAL event, sent and retried like a payment's.</summary>
    public void RefundSettled(Order order, RefundNotice notice, string notifyUrl)
    {
        var (eventType, summary) = notice.RefundStatus switch
        {
            "SUCCESS" => ("REFUND.SUCCESS", "退款成功"),
            "CLOSED" => ("REFUND.CLOSED", "退款关闭"),
            "ABNORMAL" => ("REFUND.ABNORMAL", "退款异常"),
            _ => throw new ArgumentException($"Refund status {notice.RefundStatus} is not final.", nameof(notice)),
        };
        Send(
            order.MchId,
            notice.OutRefundNo,
            notifyUrl,
            eventType,
            summary,
            "refund",
            JsonSerializer.Serialize(notice, WeChatPayJsonContext.Wire.RefundNotice),
            record => order.AddRefundNotification(notice.OutRefundNo, record));
    }

    /// <param name="resourceType">Both the resource's original_type and its associated_data, as the channel sets them.</param>
    /// <param name="attach">Records the notification where inspection finds it.</param>
    private void Send(
        string mchId,
        string subject,
        string notifyUrl,
        string eventType,
        string summary,
        string resourceType,
        string plaintext,
        Action<NotificationRecord> attach)
    {
        var fault = faults.TryConsume(FaultNames.WeChatPay, FaultNames.Notify);
        var id = Guid.NewGuid().ToString();
        if (fault?.Mode == FaultMode.Drop)
        {
            attach(new NotificationRecord(id, notifyUrl, [], duplicate: false, dropped: true));
            LogDropped(id, subject);
            return;
        }

        var merchant = merchants.Find(mchId)
            ?? throw new InvalidOperationException($"Merchant {mchId} vanished after creating an order.");
        var nonce = WeChatPaySignature.RandomAlphanumeric(12);
        var notification = new NotificationEvent(
            id,
            WeChatPayTime.Format(time.GetUtcNow()),
            "encrypt-resource",
            eventType,
            summary,
            new NotificationResource(
                resourceType,
                ResourceCipher.Algorithm,
                ResourceCipher.Encrypt(merchant.ApiV3Key, nonce, resourceType, plaintext),
                resourceType,
                nonce));
        var record = new NotificationRecord(
            id,
            notifyUrl,
            JsonSerializer.SerializeToUtf8Bytes(notification, WeChatPayJsonContext.Wire.NotificationEvent),
            duplicate: fault?.Mode == FaultMode.Duplicate,
            dropped: false);
        attach(record);

        _queue.Schedule(new PendingAttempt(record, 0), time.GetUtcNow() + NotifyRetries.FirstDelay(fault));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _queue.RunAsync(attempt => _ = AttemptAsync(attempt, stoppingToken), stoppingToken);

    private async Task AttemptAsync(PendingAttempt attempt, CancellationToken stoppingToken)
    {
        try
        {
            var record = attempt.Record;
            if (await NotifyRetries.AttemptAsync(record, record.Duplicate, () => SendAsync(record, stoppingToken)))
            {
                return;
            }

            if (attempt.Index < schedule.Retries.Count)
            {
                _queue.Schedule(attempt with { Index = attempt.Index + 1 }, time.GetUtcNow() + schedule.Retries[attempt.Index]);
            }
            else
            {
                LogGaveUp(record.Id, attempt.Index + 1);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: pending notifications die with the process, as the state does.
        }
        catch (Exception ex)
        {
            LogAttemptCrashed(ex, attempt.Record.Id);
        }
    }

    private async Task<bool> SendAsync(NotificationRecord record, CancellationToken stoppingToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl)
        {
            Content = new ByteArrayContent(record.Body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in WeChatPaySignature.Headers(platform, time, record.Body))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await NotificationPost.SendAsync(
            httpClients.CreateClient(HttpClientName), request, time, AcknowledgeTimeout, (response, _) => Task.FromResult(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NoContent),
            (status, acknowledged) => LogDelivered(record.Id, record.NotifyUrl, status, acknowledged), reason => LogUndelivered(record.Id, record.NotifyUrl, reason), stoppingToken);
    }

    private sealed record PendingAttempt(NotificationRecord Record, int Index);

    [LoggerMessage(LogLevel.Information, "Notification {Id} to {Url} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string id, string url, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "Notification {Id} to {Url} not delivered: {Reason}")]
    private partial void LogUndelivered(string id, string url, string reason);

    [LoggerMessage(LogLevel.Information, "Notification {Id} for {Subject} dropped by fault injection")]
    private partial void LogDropped(string id, string subject);

    [LoggerMessage(LogLevel.Warning, "Notification {Id} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string id, int attempts);

    [LoggerMessage(LogLevel.Error, "Notification {Id} attempt failed unexpectedly")]
    private partial void LogAttemptCrashed(Exception exception, string id);
}
