using System.Globalization;
using System.Text;
using Payments.Sandbox.Faults;

namespace Payments.Sandbox.UnionPay;

/// <summary>
/// Posts back-end notifications (signed forms) to <c>backUrl</c> and retries each until the merchant answers
/// HTTP 200, on the configured schedule (<c>Sandbox:UnionPay:NotifyRetrySeconds</c>; UnionPay's own is about
/// 1, 2, 4, 8 and 16 minutes after the first). Consumes are notified only when they succeed, as UnionPay does.
/// </summary>
internal sealed partial class UnionPayNotifier(
    IHttpClientFactory httpClients,
    TimeProvider time,
    FaultRegistry faults,
    UnionPayPki pki,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<UnionPayNotifier> logger)
{
    public const string HttpClientName = "unionpay-notify";

    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(10);

    private readonly TimeSpan[] _retries = ParseSchedule(configuration["Sandbox:UnionPay:NotifyRetrySeconds"] ?? "60,120,240,480,960");

    /// <summary>Signs a notification about the order (or one of its refunds), records it and starts delivering it. Call under the order's lock.</summary>
    public void Send(UnionPayOrder order, UnionPayRefund? refund = null)
    {
        var fault = faults.TryConsume(FaultNames.UnionPay, FaultNames.Notify);
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["version"] = UnionPayAcp.Version,
            ["encoding"] = "UTF-8",
            ["signMethod"] = "01",
            ["txnType"] = refund is null ? "01" : "04",
            ["txnSubType"] = refund is null ? (order.Terms.Kind == "qr" ? "07" : "01") : "00",
            ["bizType"] = refund is null && order.Terms.Kind == "qr" ? "000000" : "000201",
            ["accessType"] = "0",
            ["merId"] = order.Merchant.MerId,
            ["orderId"] = refund?.OrderId ?? order.OrderId,
            ["txnTime"] = refund?.TxnTime ?? order.Terms.TxnTime,
            ["txnAmt"] = (refund?.TxnAmt ?? order.Terms.TxnAmt).ToString(CultureInfo.InvariantCulture),
            ["currencyCode"] = "156",
            ["queryId"] = refund?.QueryId ?? order.QueryId!,
            ["traceNo"] = (refund?.QueryId ?? order.QueryId!)[^6..],
            ["traceTime"] = UnionPayAcp.TraceTime(refund?.RefundedAt ?? order.PaidAt!.Value),
            ["settleDate"] = UnionPayAcp.TraceTime(refund?.RefundedAt ?? order.PaidAt!.Value)[..4],
            ["settleAmt"] = (refund?.TxnAmt ?? order.Terms.TxnAmt).ToString(CultureInfo.InvariantCulture),
            ["settleCurrencyCode"] = "156",
            ["respCode"] = "00",
            ["respMsg"] = "成功[0000000]",
        };
        if (refund is not null)
        {
            fields["origQryId"] = order.QueryId!;
        }

        pki.Sign(fields);
        var record = new UnionPayNotificationRecord(fields["queryId"], fields["txnType"], UnionPayAcp.Form(fields));
        order.Notifications.Add(record);
        if (fault?.Mode == FaultMode.Drop)
        {
            LogDropped(record.QueryId);
            return;
        }

        var delay = fault?.Mode is FaultMode.Delay or FaultMode.Reorder ? fault.Delay : TimeSpan.Zero;
        _ = DeliverWithRetriesAsync(record, refund?.BackUrl ?? order.Terms.BackUrl, fault?.Mode == FaultMode.Duplicate, delay, lifetime.ApplicationStopping);
    }

    private async Task DeliverWithRetriesAsync(UnionPayNotificationRecord record, string backUrl, bool duplicate, TimeSpan firstDelay, CancellationToken stopping)
    {
        try
        {
            if (firstDelay > TimeSpan.Zero)
            {
                await Task.Delay(firstDelay, time, stopping);
            }

            for (int attempt = 0; ; attempt++)
            {
                int copies = duplicate ? 2 : 1;
                bool[] results = await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => DeliverAsync(record, backUrl, stopping)));
                bool acknowledged = results.Any(ok => ok);
                record.RecordAttempt(copies, acknowledged);
                if (acknowledged)
                {
                    return;
                }

                if (attempt >= _retries.Length)
                {
                    LogGaveUp(record.QueryId, attempt + 1);
                    return;
                }

                await Task.Delay(_retries[attempt], time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: pending notifications die with the process, as the orders do.
        }
    }

    private async Task<bool> DeliverAsync(UnionPayNotificationRecord record, string backUrl, CancellationToken stopping)
    {
        using var timeout = new CancellationTokenSource(AcknowledgeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
        using var request = new HttpRequestMessage(HttpMethod.Post, backUrl)
        {
            Content = new StringContent(record.Body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, linked.Token);
            bool acknowledged = response.StatusCode == System.Net.HttpStatusCode.OK;
            LogDelivered(record.QueryId, (int)response.StatusCode);
            return acknowledged;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            LogUndelivered(record.QueryId, ex.Message);
            return false;
        }
    }

    private static TimeSpan[] ParseSchedule(string text) =>
    [
        .. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
            double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds is >= 0 and <= 7 * 24 * 3600
                ? TimeSpan.FromSeconds(seconds)
                : throw new InvalidOperationException($"Sandbox:UnionPay:NotifyRetrySeconds must be comma-separated seconds, got '{text}'.")),
    ];

    [LoggerMessage(LogLevel.Information, "UnionPay notification {QueryId} answered {Status}")]
    private partial void LogDelivered(string queryId, int status);

    [LoggerMessage(LogLevel.Information, "UnionPay notification {QueryId} not delivered: {Reason}")]
    private partial void LogUndelivered(string queryId, string reason);

    [LoggerMessage(LogLevel.Information, "UnionPay notification {QueryId} dropped by fault injection")]
    private partial void LogDropped(string queryId);

    [LoggerMessage(LogLevel.Warning, "UnionPay notification {QueryId} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string queryId, int attempts);
}
