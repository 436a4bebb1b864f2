using System.Diagnostics;

namespace Payments.Core.Observability;

/// <summary>The app's one ActivitySource and the names that tie a payment's spans and log lines together.
/// A payment's correlation id is the trace id of the request that created it: the payment stores that
/// request's traceparent, every queue message carries the traceparent it was produced under, and each
/// consumer continues the payment's trace, so one id finds everything that happened to the payment.</summary>
public static class PaymentsTelemetry
{
    public const string Name = "Payments";

    /// <summary>Baggage that marks an activity as working on a payment's trace; messages produced under
    /// it carry the id, so their consumers need not look the payment up to find its trace.</summary>
    public const string CorrelationBaggage = "payments.correlation_id";

    public const string CorrelationTag = "payments.correlation_id";
    public const string PaymentIdTag = "payments.payment_id";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>The W3C traceparent of the current activity, if any.</summary>
    public static string? CurrentTraceParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } a ? a.Id : null;

    /// <summary>The payment correlation id in effect, if the current activity works on a payment's trace.</summary>
    public static string? CurrentCorrelationId() => Activity.Current?.GetBaggageItem(CorrelationBaggage);

    /// <summary>The correlation id a traceparent stands for: its trace id.</summary>
    public static string? CorrelationOf(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? context.TraceId.ToHexString() : null;
}
