using System.Globalization;
using System.Net;
using System.Text;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

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

    private readonly IReadOnlyList<TimeSpan> _retries = NotifyRetries.Parse(configuration, "Sandbox:UnionPay:NotifyRetrySeconds", "60,120,240,480,960");

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

        string backUrl = refund?.BackUrl ?? order.Terms.BackUrl;
        var stopping = lifetime.ApplicationStopping;
        _ = NotifyRetries.RunAsync(
            time, _retries, record, fault, () => DeliverAsync(record, backUrl, stopping), attempts => LogGaveUp(record.QueryId, attempts), stopping);
    }

    private async Task<bool> DeliverAsync(UnionPayNotificationRecord record, string backUrl, CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, backUrl)
        {
            Content = new StringContent(record.Body, Encoding.UTF8, "application/x-www-form-urlencoded"),
        };
        return await NotificationPost.SendAsync(
            httpClients.CreateClient(HttpClientName), request, time, AcknowledgeTimeout, (response, _) => Task.FromResult(response.StatusCode == HttpStatusCode.OK),
            (status, _) => LogDelivered(record.QueryId, status), reason => LogUndelivered(record.QueryId, reason), stopping);
    }

    [LoggerMessage(LogLevel.Information, "UnionPay notification {QueryId} answered {Status}")]
    private partial void LogDelivered(string queryId, int status);

    [LoggerMessage(LogLevel.Information, "UnionPay notification {QueryId} not delivered: {Reason}")]
    private partial void LogUndelivered(string queryId, string reason);

    [LoggerMessage(LogLevel.Information, "UnionPay notification {QueryId} dropped by fault injection")]
    private partial void LogDropped(string queryId);

    [LoggerMessage(LogLevel.Warning, "UnionPay notification {QueryId} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string queryId, int attempts);
}
