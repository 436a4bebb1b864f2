using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Attention;
using Payments.Core.Audit;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;
using Payments.Core.Payments.ProcessChannelNotification;
using Payments.Core.Refunds;

namespace Payments.Functions.Api.Admin;

/// <summary>api.md Operators/Exceptions: what needs a person, and the two things a person can do about
/// it. Retrying never changes money by itself: it asks the channel again or redelivers a message, and
/// the normal paths decide. Resolving records the operator's judgement.</summary>
public static class ExceptionsApi
{
    public const int MaxNoteLength = 500;

    public static RouteGroupBuilder MapExceptionsApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/exceptions", ListAsync).RequireRole(OperatorRole.Auditor);
        admin.MapGet("/exceptions/{id}", GetAsync).RequireRole(OperatorRole.Auditor);
        admin.MapPost("/exceptions/{id}/retry", RetryAsync).RequireRole(OperatorRole.Operator);
        admin.MapPost("/exceptions/{id}/resolve", ResolveAsync).RequireRole(OperatorRole.Operator);
        return admin;
    }

    private static async Task<Results<Ok<ListDto<ExceptionDto>>, ProblemHttpResult>> ListAsync(
        string? status, string? kind, int? limit, IAttentionLog log, IPaymentStore payments, CancellationToken cancellationToken)
    {
        if (status is not (null or "open" or "resolved" or "all"))
        {
            return Problems.Invalid("status", "One of open, resolved, all.");
        }

        AttentionStatus? wanted = status switch
        {
            "resolved" => AttentionStatus.Resolved,
            "all" => null,
            _ => AttentionStatus.Open,
        };

        if (kind is not (null or AttentionKinds.Payment or AttentionKinds.UnmatchedCallback or AttentionKinds.DeadLetter or AttentionKinds.WebhookFailed))
        {
            return Problems.Invalid("kind", $"One of {AttentionKinds.Payment}, {AttentionKinds.UnmatchedCallback}, {AttentionKinds.DeadLetter}, {AttentionKinds.WebhookFailed}.");
        }

        if (limit is < 1 or > 100)
        {
            return Problems.Invalid("limit", "Between 1 and 100.");
        }

        int take = limit ?? 50;
        var items = new List<ExceptionDto>();
        bool more = false;
        await foreach (var item in log.ListAsync(wanted, cancellationToken))
        {
            if ((kind is not null && item.Kind != kind) || !await IsRealAsync(item, payments, cancellationToken))
            {
                continue;
            }

            if (items.Count == take)
            {
                more = true;
                break;
            }

            items.Add(Dto(item));
        }

        return TypedResults.Ok(new ListDto<ExceptionDto>(items, more));
    }

    private static async Task<Results<Ok<ExceptionDto>, ProblemHttpResult>> GetAsync(
        string id, IAttentionLog log, IPaymentStore payments, CancellationToken cancellationToken) =>
        await log.GetAsync(id, cancellationToken) is { } item && await IsRealAsync(item.Value, payments, cancellationToken)
            ? TypedResults.Ok(Dto(item.Value))
            : Problems.NotFound("exception");

    private static async Task<Results<Ok<ExceptionDto>, ProblemHttpResult>> RetryAsync(
        HttpContext http, string id, IAttentionLog log, IPaymentStore payments, IMessagePublisher publisher, IAuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        if (await log.GetAsync(id, cancellationToken) is not { } current || !await IsRealAsync(current.Value, payments, cancellationToken))
        {
            return Problems.NotFound("exception");
        }

        var item = current.Value;
        if (item.Status == AttentionStatus.Resolved)
        {
            return Problems.From(new Problem(ProblemCodes.InvalidState, "This exception is resolved; nothing to retry."));
        }

        var now = time.GetUtcNow();
        string attempt = (item.RetryCount + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var next = item with { RetryCount = item.RetryCount + 1, LastRetriedAt = now, UpdatedAt = now };
        switch (item.Kind)
        {
            case AttentionKinds.Payment:
            {
                // Ask the channel again about the payment and every refund still open; the answers go through
                // the normal paths, which settle whatever can be settled.
                string paymentId = item.PaymentId!;
                await publisher.PublishAsync(ChannelRequests.Message(paymentId, ChannelRequestKind.Query, 0) with { Id = Ids.MessageId(paymentId, "operator-retry", attempt) }, cancellationToken);
                foreach (var refund in (await payments.ListRefundsAsync(paymentId, cancellationToken)).Where(r => !r.Status.IsTerminal()))
                {
                    await publisher.PublishAsync(
                        ChannelRequests.Message(paymentId, ChannelRequestKind.RefundQuery, 0, refundId: refund.Id) with { Id = Ids.MessageId(refund.Id, "operator-retry", attempt) },
                        cancellationToken);
                }

                break;
            }

            case AttentionKinds.UnmatchedCallback:
            {
                var entry = new InboxEntry(item.Subject, item.PaymentId!, item.Queue!, item.Detail!, now);
                var message = new OutboxMessage(
                    Ids.MessageId(entry.PaymentId, "notification", entry.NotificationId), Queues.ChannelNotifications,
                    JsonSerializer.Serialize(new ChannelNotificationMessage(entry.PaymentId, entry.NotificationId), CoreJson.Default.ChannelNotificationMessage));
                if (await payments.StoreInboxAsync(entry, message, cancellationToken) == InboxOutcome.UnknownPayment)
                {
                    return Problems.From(new Problem(ProblemCodes.InvalidState, $"Payment {entry.PaymentId} is still unknown; resolve this with a note instead."));
                }

                // Handed to the normal notification path: nothing left for a person here.
                next = next with
                {
                    Status = AttentionStatus.Resolved, ResolvedAt = now, ResolvedBy = http.Operator().Actor,
                    ResolutionNote = "Payment now known; callback reprocessed.",
                };
                break;
            }

            case AttentionKinds.WebhookFailed:
                return Problems.From(new Problem(ProblemCodes.InvalidState, $"Resend it with POST /api/v1/admin/webhook-deliveries/{item.Subject}/resend."));

            case AttentionKinds.DeadLetter:
                await publisher.PublishAsync(new OutboxMessage(Ids.MessageId(item.Subject, "operator-retry", attempt), item.Queue!, item.Detail!), cancellationToken);

                // Back on its queue: nothing is left for a person unless it dies again, which reopens this item.
                next = next with
                {
                    Status = AttentionStatus.Resolved, ResolvedAt = now, ResolvedBy = http.Operator().Actor,
                    ResolutionNote = "Message put back on its queue; reopened if it is dead-lettered again.",
                };
                break;
        }

        if (!await log.TryReplaceAsync(current, next, cancellationToken))
        {
            return Problems.From(new Problem(ProblemCodes.Conflict, "The exception changed meanwhile; read it again."));
        }

        await audit.AppendAsync(new AuditRecord(now, http.Operator().Actor, "exception.retried", item.Id, Summary(item), Summary(next), http.TraceIdentifier), cancellationToken);
        return TypedResults.Ok(Dto(next));
    }

    private static async Task<Results<Ok<ExceptionDto>, ProblemHttpResult>> ResolveAsync(
        HttpContext http, string id, IAttentionLog log, IPaymentStore payments, PaymentCommitter committer, IAuditTrail audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var body = await AdminBody.ReadAsync(http, AdminJson.Default.ResolveExceptionCommand, cancellationToken);
        if (body.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        string? note = body.Value!.Note?.Trim();
        if (string.IsNullOrEmpty(note) || note.Length > MaxNoteLength || note.Any(char.IsControl))
        {
            return Problems.Invalid("note", $"Say what was done: 1 to {MaxNoteLength} characters, no control characters.");
        }

        if (await log.GetAsync(id, cancellationToken) is not { } current || !await IsRealAsync(current.Value, payments, cancellationToken))
        {
            return Problems.NotFound("exception");
        }

        var item = current.Value;
        if (item.Status == AttentionStatus.Resolved)
        {
            return Problems.From(new Problem(ProblemCodes.InvalidState, "Already resolved."));
        }

        var now = time.GetUtcNow();
        string actor = http.Operator().Actor;
        if (item.Kind == AttentionKinds.Payment)
        {
            // The payment's own trail records that an operator cleared it, in the same transaction.
            await committer.CommitAsync(
                item.PaymentId!,
                cur => cur.Value.AttentionReason is null ? null : new PaymentChange(cur, cur.Value with { AttentionReason = null, UpdatedAt = now }) { Actor = actor },
                cancellationToken);
        }

        var next = item with { Status = AttentionStatus.Resolved, ResolvedAt = now, ResolvedBy = actor, ResolutionNote = note, UpdatedAt = now };
        if (!await log.TryReplaceAsync(current, next, cancellationToken))
        {
            return Problems.From(new Problem(ProblemCodes.Conflict, "The exception changed meanwhile; read it again."));
        }

        await audit.AppendAsync(new AuditRecord(now, actor, "exception.resolved", item.Id, Summary(item), Summary(next), http.TraceIdentifier), cancellationToken);
        return TypedResults.Ok(Dto(next));
    }

    /// <summary>A payment item is raised before the change it reports commits; if that commit never
    /// landed, the payment carries no reason and the item is not real.</summary>
    private static async Task<bool> IsRealAsync(AttentionItem item, IPaymentStore payments, CancellationToken cancellationToken)
    {
        if (item.Kind != AttentionKinds.Payment || item.Status == AttentionStatus.Resolved)
        {
            return true;
        }

        var payment = await payments.GetAsync(item.PaymentId!, cancellationToken);
        return payment?.Value.AttentionReason is not null;
    }

    private static string Summary(AttentionItem i) => $"status={i.Status.ToString().ToLowerInvariant()} retries={i.RetryCount} reason={i.Reason}";

    private static ExceptionDto Dto(AttentionItem i) => new(
        i.Id, i.Kind, i.Status.ToString().ToLowerInvariant(), i.Reason, i.Subject, i.PaymentId, i.Queue, i.CreatedAt, i.UpdatedAt, i.RetryCount,
        i.LastRetriedAt, i.ResolvedBy, i.ResolutionNote, i.ResolvedAt);
}
