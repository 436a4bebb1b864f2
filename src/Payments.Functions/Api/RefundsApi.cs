using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Payments;
using Payments.Core.Refunds;
using Payments.Core.Refunds.CreateRefund;

namespace Payments.Functions.Api;

public sealed record RefundListDto(IReadOnlyList<RefundDto> Data, bool HasMore);

public static class RefundsApi
{
    public static IEndpointRouteBuilder MapRefundsApi(this IEndpointRouteBuilder app)
    {
        var payments = app.MapGroup("/api/v1/payments/{id}/refunds").RequireMerchantSignature();
        payments.MapPost("", CreateAsync);
        payments.MapGet("", ListAsync);
        app.MapGroup("/api/v1/refunds").RequireMerchantSignature().MapGet("/{id}", GetAsync);
        return app;
    }

    private static async Task<Results<Accepted<RefundDto>, Ok<RefundDto>, ProblemHttpResult>> CreateAsync(
        HttpContext http, string id, CreateRefundHandler handler, CancellationToken cancellationToken)
    {
        var parsed = JsonBody.Parse(http, http.RawBody(), ApiJson.Default.CreateRefundCommand);
        if (parsed.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        var command = parsed.Value!;

        if (!id.StartsWith("pay_", StringComparison.Ordinal) || id.Length > 64)
        {
            return Problems.NotFound("payment");
        }

        var result = await handler.HandleAsync(http.App(), id, command, cancellationToken);
        if (result.Problem is { } problem)
        {
            return Problems.From(problem);
        }

        var dto = RefundDto.From(result.Value!.Refund);
        return result.Value.Created ? TypedResults.Accepted($"/api/v1/refunds/{dto.Id}", dto) : TypedResults.Ok(dto);
    }

    private static async Task<Results<Ok<RefundListDto>, ProblemHttpResult>> ListAsync(
        HttpContext http, string id, int? limit, string? startingAfter, IPaymentStore store, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 100)
        {
            return Problems.Invalid("limit", "Must be between 1 and 100.");
        }

        if (await PaymentsApi.LoadOwnAsync(http, id, store, cancellationToken) is null)
        {
            return Problems.NotFound("payment");
        }

        var refunds = await store.ListRefundsAsync(id, cancellationToken);
        var page = refunds.AsEnumerable();
        if (startingAfter is not null)
        {
            int index = refunds.ToList().FindIndex(r => r.Id == startingAfter);
            if (index < 0)
            {
                return Problems.Invalid("startingAfter", "Not a refund of this payment.");
            }

            page = refunds.Skip(index + 1);
        }

        int take = limit ?? 20;
        var list = page.Take(take + 1).ToList();
        return TypedResults.Ok(new RefundListDto(list.Take(take).Select(RefundDto.From).ToList(), list.Count > take));
    }

    private static async Task<Results<Ok<RefundDto>, ProblemHttpResult>> GetAsync(
        HttpContext http, string id, IPaymentStore store, CancellationToken cancellationToken)
    {
        if (Ids.PaymentIdOfRefund(id) is not { } paymentId)
        {
            return Problems.NotFound("refund");
        }

        var refund = await PaymentsApi.LoadOwnAsync(http, paymentId, store, cancellationToken) is not null
            ? await store.GetRefundAsync(paymentId, id, cancellationToken)
            : null;
        return refund is null ? Problems.NotFound("refund") : TypedResults.Ok(RefundDto.From(refund));
    }
}
