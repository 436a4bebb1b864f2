using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Payments.Sandbox.Faults;

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

    // A week keeps every delay within Task.Delay's range and far beyond any real gap.
    private const double MaxRetrySeconds = 7 * 24 * 3600;

    private readonly IReadOnlyList<TimeSpan> _retries = ParseSchedule(configuration[ConfigurationKey] ?? DefaultSchedule);
    private readonly Lock _gate = new();
    private readonly PriorityQueue<PendingAttempt, DateTimeOffset> _queue = new();
    private TaskCompletionSource _wakeUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

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

        // Reorder is accepted as a delay until notifications for several events can be shuffled.
        var delay = fault?.Mode is FaultMode.Delay or FaultMode.Reorder ? fault.Delay : TimeSpan.Zero;
        Schedule(new PendingAttempt(record, 0), time.GetUtcNow() + delay);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var due = new List<PendingAttempt>();
            TimeSpan wait;
            Task wakeUp;
            lock (_gate)
            {
                if (_wakeUp.Task.IsCompleted)
                {
                    _wakeUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wakeUp = _wakeUp.Task;
                var now = time.GetUtcNow();
                while (_queue.TryPeek(out var attempt, out var at) && at <= now)
                {
                    _queue.Dequeue();
                    due.Add(attempt);
                }

                wait = _queue.TryPeek(out _, out var next) ? next - now : Timeout.InfiniteTimeSpan;
            }

            foreach (var attempt in due)
            {
                _ = AttemptAsync(attempt, stoppingToken);
            }

            using var waitCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(wakeUp, Task.Delay(wait, time, waitCancellation.Token));
            await waitCancellation.CancelAsync();
        }
    }

    /// <summary>Comma-separated seconds, fractions allowed so tests can retry quickly; empty means never retry.</summary>
    internal static IReadOnlyList<TimeSpan> ParseSchedule(string text)
    {
        var retries = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                || double.IsNaN(seconds) || seconds is < 0 or > MaxRetrySeconds)
            {
                throw new InvalidOperationException(
                    $"{ConfigurationKey} must be comma-separated seconds between 0 and {MaxRetrySeconds}, got '{text}'.");
            }

            retries.Add(TimeSpan.FromSeconds(seconds));
        }

        return retries;
    }

    private void Schedule(PendingAttempt attempt, DateTimeOffset at)
    {
        lock (_gate)
        {
            _queue.Enqueue(attempt, at);
            _wakeUp.TrySetResult();
        }
    }

    private async Task AttemptAsync(PendingAttempt attempt, CancellationToken stoppingToken)
    {
        try
        {
            var record = attempt.Record;
            var copies = record.Duplicate ? 2 : 1;
            var results = await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => DeliverAsync(record, stoppingToken)));
            var acknowledged = results.Any(ok => ok);
            record.RecordAttempt(copies, acknowledged);
            if (acknowledged)
            {
                return;
            }

            if (attempt.Index < _retries.Count)
            {
                Schedule(attempt with { Index = attempt.Index + 1 }, time.GetUtcNow() + _retries[attempt.Index]);
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
        using var timeout = new CancellationTokenSource(AcknowledgeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl) { Content = new ByteArrayContent(record.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded") { CharSet = "utf-8" };
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, linked.Token);
            var answer = await response.Content.ReadAsStringAsync(linked.Token);
            var acknowledged = response.StatusCode == System.Net.HttpStatusCode.OK && answer == "success";
            LogDelivered(record.NotifyId, record.NotifyUrl, (int)response.StatusCode, acknowledged);
            return acknowledged;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stoppingToken.IsCancellationRequested))
        {
            LogUndelivered(record.NotifyId, record.NotifyUrl, ex.Message);
            return false;
        }
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
