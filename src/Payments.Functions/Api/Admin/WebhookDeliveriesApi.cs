using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Attention;
using Payments.Core.Audit;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Webhooks;

namespace Payments.Functions.Api.Admin;

/// <summary>api.md Operators/Webhooks: deliveries given up after the whole retry schedule, and resending
/// one. A resend delivers the same event (same id, same bytes) on a fresh schedule.</summary>
public static class WebhookDeliveriesApi
{
    public static RouteGroupBuilder MapWebhookDeliveriesApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/webhook-deliveries", ListAsync).RequireRole(OperatorRole.Auditor);
        admin.MapPost("/webhook-deliveries/{id}/resend", ResendAsync).RequireRole(OperatorRole.Operator);
        return admin;
    }

    private static async Task<Results<Ok<ListDto<WebhookDeliveryDto>>, ProblemHttpResult>> ListAsync(
        string? status, IAttentionLog log, IPaymentStore store, CancellationToken cancellationToken)
    {
        if (status is not (null or "failed"))
        {
            return Problems.Invalid("status", "Only failed deliveries are listed: status=failed.");
        }

        var list = new List<WebhookDeliveryDto>();
        await foreach (var item in log.ListAsync(AttentionStatus.Open, cancellationToken))
        {
            if (item.Kind == AttentionKinds.WebhookFailed
                && await store.GetEventAsync(item.PaymentId!, item.Subject, cancellationToken) is { Value.Status: WebhookDeliveryStatus.Failed } evt)
            {
                list.Add(WebhookDeliveryDto.From(evt.Value));
            }
        }

        return TypedResults.Ok(new ListDto<WebhookDeliveryDto>(list, false));
    }

    private static async Task<Results<Ok<WebhookDeliveryDto>, ProblemHttpResult>> ResendAsync(
        HttpContext http, string id, IAttentionLog log, IPaymentStore store, IAuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await log.GetAsync(AttentionItem.IdFor(AttentionKinds.WebhookFailed, id), cancellationToken) is not { } item
            || await store.GetEventAsync(item.Value.PaymentId!, id, cancellationToken) is not { } current)
        {
            return Problems.NotFound("webhook delivery");
        }

        var evt = current.Value;
        if (evt.Status != WebhookDeliveryStatus.Failed)
        {
            return Problems.From(new Problem(ProblemCodes.InvalidState, $"The delivery is {evt.Status.ToString().ToLowerInvariant()}, not failed."));
        }

        var now = time.GetUtcNow();
        int resend = item.Value.RetryCount + 1;
        var next = evt with { Status = WebhookDeliveryStatus.Pending, Attempts = 0, FirstAttemptAt = null, LastError = null };
        var message = new OutboxMessage(
            Ids.MessageId(evt.Id, "resend", resend.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Queues.MerchantNotifications,
            JsonSerializer.Serialize(new MerchantNotificationMessage(evt.PaymentId, evt.Id, 0), CoreJson.Default.MerchantNotificationMessage));
        if (!await store.TryUpdateEventAsync(current, next, message, cancellationToken))
        {
            return Problems.From(new Problem(ProblemCodes.Conflict, "The delivery changed meanwhile; read it again."));
        }

        string actor = http.Operator().Actor;
        await log.TryReplaceAsync(item, item.Value with
        {
            Status = AttentionStatus.Resolved, RetryCount = resend, LastRetriedAt = now, UpdatedAt = now, ResolvedAt = now, ResolvedBy = actor,
            ResolutionNote = "Resent on a fresh retry schedule.",
        }, cancellationToken);
        await audit.AppendAsync(new AuditRecord(now, actor, "webhook.resent", evt.Id, $"status=failed attempts={evt.Attempts}", "status=pending attempts=0", http.TraceIdentifier), cancellationToken);
        return TypedResults.Ok(WebhookDeliveryDto.From(next));
    }
}

public sealed record WebhookDeliveryDto(
    string Id, string PaymentId, string Type, string NotifyUrl, string Status, int Attempts, DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt, string? LastError, string Object = "webhook_delivery")
{
    public static WebhookDeliveryDto From(WebhookEvent e) =>
        new(e.Id, e.PaymentId, e.Type, e.NotifyUrl, e.Status.ToString().ToLowerInvariant(), e.Attempts, e.CreatedAt, e.LastAttemptAt, e.LastError);
}
