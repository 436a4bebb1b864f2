using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// Sends trade_status_sync notifications as signed form POSTs and retries each until the merchant
/// answers exactly <c>success</c>, on Alipay's schedule (or the configured one). Attempts wait in a
/// timer queue ordered by due time, so a slow receiver never holds up others.
/// </summary>
internal sealed partial class AlipayNotifier(
    IHttpClientFactory httpClients,
    TimeProvider time,
    AlipayKey alipayKey,
    FaultRegistry faults,
    IConfiguration configuration,
    ILogger<AlipayNotifier> logger) : BackgroundService
{
    public const string HttpClientName = "alipay-notify";
    public const string ConfigurationKey = "Sandbox:Alipay:NotifyRetrySeconds";

    /// <summary>Alipay's documented cadence after the first attempt: 4m, 10m, 10m, 1h, 2h, 6h, 15h.</summary>
    public const string DefaultSchedule = "240,600,600,3600,7200,21600,54000";

    // Alipay counts a slower answer as a failure and retries.
    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<TimeSpan> _retries = NotifyRetries.Parse(configuration, ConfigurationKey, DefaultSchedule);
    private readonly DueQueue<PendingAttempt> _queue = new(time);

    /// <summary>Signs and queues a notification about <paramref name="trade"/>; nothing when it has no notify_url.</summary>
    public void Send(AlipayTrade trade, Dictionary<string, string> notice)
    {
        if (trade.Terms.NotifyUrl is not { } notifyUrl)
        {
            return;
        }

        var fault = faults.TryConsume(FaultNames.Alipay, FaultNames.Notify);
        var notifyId = notice["notify_id"];
        notice.TryGetValue("out_biz_no", out var outBizNo);
        if (fault?.Mode == FaultMode.Drop)
        {
            trade.AddNotification(new AlipayNotificationRecord(notifyId, notice["trade_status"], outBizNo, notifyUrl, [], duplicate: false, dropped: true));
            LogDropped(notifyId, trade.OutTradeNo);
            return;
        }

        notice["sign"] = alipayKey.Sign(AlipaySignatures.Content(notice, withoutSignType: true));
        var body = string.Join('&', notice.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var record = new AlipayNotificationRecord(
            notifyId, notice["trade_status"], outBizNo, notifyUrl, Encoding.UTF8.GetBytes(body), duplicate: fault?.Mode == FaultMode.Duplicate, dropped: false);
        trade.AddNotification(record);

        _queue.Schedule(new PendingAttempt(record, 0), time.GetUtcNow() + NotifyRetries.FirstDelay(fault));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _queue.RunAsync(attempt => _ = AttemptAsync(attempt, stoppingToken), stoppingToken);

    private async Task AttemptAsync(PendingAttempt attempt, CancellationToken stoppingToken)
    {
        try
        {
            var record = attempt.Record;
            if (await NotifyRetries.AttemptAsync(record, record.Duplicate, () => DeliverAsync(record, stoppingToken)))
            {
                return;
            }

            if (attempt.Index < _retries.Count)
            {
                _queue.Schedule(attempt with { Index = attempt.Index + 1 }, time.GetUtcNow() + _retries[attempt.Index]);
            }
            else
            {
                LogGaveUp(record.NotifyId, attempt.Index + 1);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: pending notifications die with the process, as the trades do.
        }
        catch (Exception ex)
        {
            LogAttemptCrashed(ex, attempt.Record.NotifyId);
        }
    }

    /// <returns>True only for a 200 whose body is exactly <c>success</c>: Alipay's acknowledgement.</returns>
    private async Task<bool> DeliverAsync(AlipayNotificationRecord record, CancellationToken stoppingToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl) { Content = new ByteArrayContent(record.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") { CharSet = "utf-8" };
        return await NotificationPost.SendAsync(
            httpClients.CreateClient(HttpClientName), request, time, AcknowledgeTimeout, async (response, ct) => await response.Content.ReadAsStringAsync(ct) == "success" && response.StatusCode == HttpStatusCode.OK,
            (status, acknowledged) => LogDelivered(record.NotifyId, record.NotifyUrl, status, acknowledged), reason => LogUndelivered(record.NotifyId, record.NotifyUrl, reason), stoppingToken);
    }

    private sealed record PendingAttempt(AlipayNotificationRecord Record, int Index);

    [LoggerMessage(LogLevel.Information, "Alipay notification {NotifyId} to {Url} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string notifyId, string url, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "Alipay notification {NotifyId} to {Url} not delivered: {Reason}")]
    private partial void LogUndelivered(string notifyId, string url, string reason);

    [LoggerMessage(LogLevel.Information, "Alipay notification {NotifyId} for {OutTradeNo} dropped by fault injection")]
    private partial void LogDropped(string notifyId, string outTradeNo);

    [LoggerMessage(LogLevel.Warning, "Alipay notification {NotifyId} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string notifyId, int attempts);

    [LoggerMessage(LogLevel.Error, "Alipay notification {NotifyId} attempt failed unexpectedly")]
    private partial void LogAttemptCrashed(Exception exception, string notifyId);
}
