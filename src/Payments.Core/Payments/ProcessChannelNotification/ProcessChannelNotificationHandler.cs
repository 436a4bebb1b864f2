using Microsoft.Extensions.Logging;
using Payments.Core.Messaging;
using Payments.Core.Refunds;

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

        var payload = InboxPayload.Parse(inbox.Payload);
        var now = time.GetUtcNow();
        var final = await committer.CommitAsync(message.PaymentId, async cur =>
        {
            PaymentChange? change;
            if (payload.RefundId is { } refundId && payload.RefundState(cur.Value.Currency) is { } refundState)
            {
                var refund = await store.GetRefundAsync(cur.Value.Id, refundId, cancellationToken);
                if (refund is null)
                {
                    logger.LogCritical("ALERT refund notification {NotificationId} for unknown refund {RefundId} of {PaymentId}", inbox.NotificationId, refundId, cur.Value.Id);
                }

                change = refund is null || refund.Status.IsTerminal() ? null : applier.DecideRefund(cur, refund, refundState, now, followUpAttempt: 0);
            }
            else
            {
                change = applier.Decide(cur, payload.PaymentState(), now, followUpAttempt: 0);
            }

            return (change ?? new PaymentChange(cur, cur.Value)) with { ProcessedInbox = inbox with { Processed = true } };
        }, cancellationToken);

        if (final is { } f && f.Status.IsTerminal())
        {
            await openPayments.RemoveAsync(f, cancellationToken);
        }
    }
}
