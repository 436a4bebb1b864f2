using System.Diagnostics.Metrics;

namespace Payments.Core.Observability;

/// <summary>The app's one Meter ("Payments") and its instruments. Made through IMeterFactory so that each
/// host (and each test's host) has its own meter instance.</summary>
public sealed class PaymentsMetrics
{
    private readonly Counter<long> _transitions;
    private readonly Histogram<double> _webhookDeliveryLag;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _reconciliationDiscrepancies;

    public PaymentsMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(PaymentsTelemetry.Name);
        _transitions = Meter.CreateCounter<long>(
            "payments.transitions", "{payment}", "Payments entering a status (created included), by status and channel.");
        _webhookDeliveryLag = Meter.CreateHistogram(
            "payments.webhook.delivery_lag", "s", "From a webhook event's creation to its delivery.",
            advice: new InstrumentAdvice<double>
            {
                // The retry schedule reaches 72 h: the buckets follow it rather than the HTTP-latency defaults.
                HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 3600, 10800, 21600, 43200, 86400, 172800, 259200],
            });
        _deadLetters = Meter.CreateCounter<long>("payments.queue.dead_letters", "{message}", "Queue messages moved to a dead-letter queue.");
        _reconciliationDiscrepancies = Meter.CreateCounter<long>(
            "payments.reconciliation.discrepancies", "{discrepancy}", "Differences between a channel's statement and our records.");
    }

    public Meter Meter { get; }

    public void PaymentEntered(string status, string channel) =>
        _transitions.Add(1, new KeyValuePair<string, object?>("payment.status", status), new KeyValuePair<string, object?>("payment.channel", channel));

    public void WebhookDelivered(TimeSpan lag, string eventType) =>
        _webhookDeliveryLag.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>("webhook.event_type", eventType));

    public void DeadLettered(string queue) => _deadLetters.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", queue));

    public void ReconciliationDiscrepancy(string channel, string kind) =>
        _reconciliationDiscrepancies.Add(1, new KeyValuePair<string, object?>("payment.channel", channel), new KeyValuePair<string, object?>("discrepancy.kind", kind));
}
