using System.Diagnostics;
using Payments.Core.Messaging;
using Payments.Core.Observability;
using Payments.Core.Payments;

namespace Payments.Functions.Observability;

/// <summary>Starts a queue consumer's span on its payment's trace, whoever produced the message. A message
/// produced on the payment's trace (it carries the correlation id) is continued as a child of its producer.
/// A message produced elsewhere (a channel's callback, a timer, an API call other than the create) has a
/// trace of its own: the span then continues the payment's trace, read from the payment, and links the
/// producer's. Either way the span, its log lines and every message it produces carry one correlation id:
/// the trace id of the request that created the payment.</summary>
public sealed class QueueTracing(IPaymentStore store, ILogger<QueueTracing> logger)
{
    /// <summary>Where the consumer's span belongs. Async (it may read the payment), so it only decides:
    /// the span itself is started by <see cref="Start"/> in the caller's own context, because an
    /// Activity made current inside an awaited method is not current after it returns.</summary>
    public async Task<QueueParent> ResolveAsync(IPaymentMessage message, CancellationToken cancellationToken)
    {
        ActivityContext.TryParse(message.TraceParent, null, isRemote: true, out var producer);
        if (message.CorrelationId is { } known)
        {
            return new QueueParent(producer, known, []);
        }

        if (PaymentsTelemetry.Source.HasListeners()
            && await store.GetAsync(message.PaymentId, cancellationToken) is { Value.TraceParent: { } origin }
            && ActivityContext.TryParse(origin, null, isRemote: true, out var created))
        {
            return producer.TraceId == created.TraceId
                ? new QueueParent(producer, created.TraceId.ToHexString(), [])
                : new QueueParent(created, created.TraceId.ToHexString(), producer == default ? [] : [new ActivityLink(producer)]);
        }

        return new QueueParent(producer, null, []);
    }

    public QueueInvocation Start(string functionName, IPaymentMessage message, QueueParent parent)
    {
        var links = parent.Links.ToList();

        // The invocation that delivered the message (the host's HTTP call) is its own trace: linked, not the parent.
        if (Activity.Current is { } delivery && parent.Context != default && delivery.TraceId != parent.Context.TraceId)
        {
            links.Add(new ActivityLink(delivery.Context));
        }

        var activity = PaymentsTelemetry.Source.StartActivity($"{functionName} process", ActivityKind.Consumer, parent.Context, links: links);
        string? correlationId = parent.CorrelationId ?? activity?.TraceId.ToHexString();
        if (activity is not null)
        {
            activity.SetTag("messaging.destination.name", functionName).SetTag(PaymentsTelemetry.PaymentIdTag, message.PaymentId);
            activity.SetTag(PaymentsTelemetry.CorrelationTag, correlationId);
            activity.SetBaggage(PaymentsTelemetry.CorrelationBaggage, correlationId);
        }

        var scope = logger.BeginScope(new Dictionary<string, object?>
        {
            ["CorrelationId"] = correlationId,
            ["PaymentId"] = message.PaymentId,
        });
        return new QueueInvocation(activity, scope);
    }
}

/// <summary>The consumer span's parent, the payment's correlation id when known, and links to other traces.</summary>
public sealed record QueueParent(ActivityContext Context, string? CorrelationId, IReadOnlyList<ActivityLink> Links);

/// <summary>A consumer's span and log scope, ended together.</summary>
public sealed class QueueInvocation(Activity? activity, IDisposable? scope) : IDisposable
{
    public Activity? Activity => activity;

    public void Fail(Exception exception)
    {
        activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
        activity?.AddException(exception);
    }

    public void Dispose()
    {
        scope?.Dispose();
        activity?.Dispose();
    }
}
