using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core.Audit;

namespace Payments.Functions.Api.Admin;

/// <summary>api.md Operators/Audit. Without <c>paymentId</c> these read the operators' chain; with it,
/// that payment's money trail (its own chain, committed with each state change).</summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/audit", ListAsync).RequireRole(OperatorRole.Auditor);
        admin.MapGet("/audit/verify", VerifyAsync).RequireRole(OperatorRole.Auditor);
        return admin;
    }

    private static async Task<Results<Ok<ListDto<AuditEntryDto>>, ProblemHttpResult>> ListAsync(
        string? paymentId, long? before, int? limit, IAuditTrail audit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 200)
        {
            return Problems.Invalid("limit", "Between 1 and 200.");
        }

        if (before is < 1)
        {
            return Problems.Invalid("before", "A sequence number of 1 or more.");
        }

        if (paymentId is { Length: > 80 })
        {
            return Problems.Invalid("paymentId", "Not a payment id.");
        }

        int take = limit ?? 50;
        var entries = new List<AuditEntryDto>();
        bool more = false;
        var source = paymentId is null ? audit.ListAsync(before, cancellationToken) : audit.ListPaymentAsync(paymentId, cancellationToken);
        await foreach (var e in source)
        {
            if (paymentId is not null && before is { } b && e.Sequence >= b)
            {
                continue;
            }

            if (entries.Count == take)
            {
                more = true;
                break;
            }

            entries.Add(new AuditEntryDto(e.Sequence, e.Record.At, e.Record.Actor, e.Record.Action, e.Record.Subject, e.Record.Before, e.Record.After,
                e.Record.CorrelationId, e.PreviousHash, e.Hash));
        }

        return TypedResults.Ok(new ListDto<AuditEntryDto>(entries, more));
    }

    private static async Task<Results<Ok<AuditVerificationDto>, ProblemHttpResult>> VerifyAsync(
        string? paymentId, IAuditTrail audit, CancellationToken cancellationToken)
    {
        var result = paymentId is null ? await audit.VerifyAsync(cancellationToken) : await audit.VerifyPaymentAsync(paymentId, cancellationToken);
        return result is null
            ? Problems.NotFound("payment")
            : TypedResults.Ok(new AuditVerificationDto(result.Valid, result.Checked, result.FirstBrokenSequence, result.Problem));
    }
}
