using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core.Payments;
using Payments.Core.Refunds;
using Payments.Core.Routing;

namespace Payments.Functions.Api.Admin;

/// <summary>What an operator needs to see about one payment that the merchant's view leaves out: why it
/// went to its account, what risk control said, why it is flagged, what the payer actually sent where the
/// payer sets the amount, how often we asked the channel.</summary>
public static class PaymentsAdminApi
{
    public static RouteGroupBuilder MapPaymentsAdminApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/payments/{id}", GetAsync).RequireRole(OperatorRole.Auditor);
        return admin;
    }

    private static async Task<Results<Ok<OperatorPaymentDto>, ProblemHttpResult>> GetAsync(string id, IPaymentStore store, CancellationToken cancellationToken)
    {
        if (!PaymentsApi.LooksLikePaymentId(id) || await store.GetAsync(id, cancellationToken) is not { } payment)
        {
            return Problems.NotFound("payment");
        }

        var p = payment.Value;
        var refunds = await store.ListRefundsAsync(id, cancellationToken);
        return TypedResults.Ok(new OperatorPaymentDto(
            PaymentDto.From(p),
            p.MerchantId,
            p.AttentionReason,
            p.AmountReceived?.MinorUnits,
            p.Routing,
            p.Risk is { } risk ? new OperatorRiskDto(risk.Action.ToString().ToLowerInvariant(), risk.Reasons) : null,
            p.QueryAttempts,
            p.LastQueriedAt,
            [.. refunds.OrderBy(r => r.CreatedAt).Select(r => new OperatorRefundDto(RefundDto.From(r), r.IsAutomatic, r.DuplicateTransactionId))]));
    }
}

public sealed record OperatorRiskDto(string Action, IReadOnlyList<string> Reasons);

/// <summary>A refund with what only operators see: whether we made it ourselves, and the channel transaction
/// it returns money from when that is not the payment's own order.</summary>
public sealed record OperatorRefundDto(RefundDto Refund, bool Automatic, string? ChannelTransactionId);

public sealed record OperatorPaymentDto(
    PaymentDto Payment, string MerchantId, string? AttentionReason, long? AmountReceived, RoutingDecision? Routing, OperatorRiskDto? Risk,
    int QueryAttempts, DateTimeOffset? LastQueriedAt, IReadOnlyList<OperatorRefundDto> Refunds, string Object = "operator_payment");
