using Microsoft.Extensions.Logging;
using Payments.Core.Messaging;

namespace Payments.Core.Payments.ProcessChannelNotification;

/// <summary>Consumes channel-notifications: applies a stored, verified callback to its payment and
/// marks the inbox entry processed in the same transaction, so a repeat is a no-op.</summary>
public sealed class ProcessChannelNotificationHandler(
    IPaymentStore store,
    PaymentCommitter committer,
    ChannelStateApplier applier,
    IOpenPaymentIndex openPayments,
    TimeProvider time,
    ILogger<ProcessChannelNotificationHandler> logger)
{
    public async Task HandleAsync(ChannelNotificationMessage message, CancellationToken cancellationToken)
    {
        var inbox = await store.GetInboxAsync(message.PaymentId, message.NotificationId, cancellationToken);
        if (inbox is null)
        {
            logger.LogWarning("Notification {NotificationId} of {PaymentId} is not in the inbox; dropped", message.NotificationId, message.PaymentId);
            return;
        }

        if (inbox.Processed)
        {
            return;
        }

        var state = InboxPayload.Deserialize(inbox.Payload);
        var now = time.GetUtcNow();
        var final = await committer.CommitAsync(message.PaymentId, cur =>
        {
            var change = applier.Decide(cur, state, now, followUpAttempt: 0) ?? new PaymentChange(cur, cur.Value);
            return change with { ProcessedInbox = inbox with { Processed = true } };
        }, cancellationToken);

        if (final is { } f && f.Status.IsTerminal())
        {
            await openPayments.RemoveAsync(f, cancellationToken);
        }
    }
}
