using System.Text.Json;
using Microsoft.Extensions.Logging;
using Payments.Core.Apps;
using Payments.Core.Messaging;
using Payments.Core.Observability;
using Payments.Core.Payments;

namespace Payments.Core.Webhooks;

/// <summary>Consumes merchant-notifications: one delivery attempt per message. A failed attempt
/// schedules the next one as a new message (rescheduling, not failing the message), so the queue's
/// own retry limit never cuts the api.md schedule short.</summary>
public sealed class DeliverWebhookHandler(
    IPaymentStore store,
    IAppDirectory apps,
    IWebhookSender sender,
    PaymentSchedules schedules,
    TimeProvider time,
    ILogger<DeliverWebhookHandler> logger,
    Attention.IAttentionLog? attention = null,
    PaymentsMetrics? metrics = null)
{
    public async Task HandleAsync(MerchantNotificationMessage message, CancellationToken cancellationToken)
    {
        var current = await store.GetEventAsync(message.PaymentId, message.EventId, cancellationToken);
        if (current is null || current.Value.Status != WebhookDeliveryStatus.Pending || current.Value.Attempts != message.Attempt)
        {
            return; // delivered, given up, or a stale duplicate of an earlier attempt's message
        }

        var payment = await store.GetAsync(message.PaymentId, cancellationToken)
            ?? throw new InvalidOperationException($"Event {message.EventId} belongs to missing payment {message.PaymentId}.");
        var app = await apps.GetAppAsync(payment.Value.AppId, cancellationToken)
            ?? throw new InvalidOperationException($"App {payment.Value.AppId} does not exist.");

        var evt = current.Value;
        var result = await sender.SendAsync(evt, [.. app.WebhookSecretsAt(time.GetUtcNow())], cancellationToken);
        var now = time.GetUtcNow();
        int attempts = evt.Attempts + 1;

        if (result.Delivered)
        {
            if (await store.TryUpdateEventAsync(current, evt with { Status = WebhookDeliveryStatus.Delivered, Attempts = attempts, LastAttemptAt = now, DeliveredAt = now, LastError = null }, null, cancellationToken))
            {
                metrics?.WebhookDelivered(now - evt.CreatedAt, evt.Type);
            }

            return;
        }

        var retries = schedules.WebhookRetries;
        if (attempts > retries.Count)
        {
            logger.LogError("Webhook {EventId} to {Url} given up after {Attempts} attempts: {Error}", evt.Id, evt.NotifyUrl, attempts, result.Error);
            if (attention is not null)
            {
                // Raised first; the list shows it only once the event really is failed.
                await attention.RaiseAsync(Attention.AttentionItem.ForFailedWebhook(evt, result.Error ?? "unknown error", now), cancellationToken);
            }

            await store.TryUpdateEventAsync(current, evt with { Status = WebhookDeliveryStatus.Failed, Attempts = attempts, LastAttemptAt = now, LastError = result.Error }, null, cancellationToken);
            return;
        }

        // The schedule is measured from the first try; a late worker does not push every later retry back.
        var firstTry = evt.FirstAttemptAt ?? now;
        var due = firstTry + retries[attempts - 1];
        if (due < now)
        {
            due = now;
        }

        var followUp = new OutboxMessage(
            Ids.MessageId(evt.Id, attempts.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Queues.MerchantNotifications,
            JsonSerializer.Serialize(new MerchantNotificationMessage(evt.PaymentId, evt.Id, attempts), CoreJson.Default.MerchantNotificationMessage),
            due);
        logger.LogInformation("Webhook {EventId} attempt {Attempt} failed ({Error}); next at {Due:O}", evt.Id, attempts, result.Error, due);
        await store.TryUpdateEventAsync(current, evt with { Attempts = attempts, LastAttemptAt = now, LastError = result.Error, FirstAttemptAt = evt.FirstAttemptAt ?? now }, followUp, cancellationToken);
    }
}
