using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;

namespace Payments.Functions.Api;

public static class PaymentsApi
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(20);

    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/payments").RequireMerchantSignature();
        group.MapPost("", CreateAsync);
        group.MapGet("", FindByOrderNoAsync);
        group.MapGet("/{id}", GetAsync);
        group.MapPost("/{id}/close", CloseAsync);
        return app;
    }

    private static async Task<Results<Accepted<PaymentDto>, Ok<PaymentDto>, ProblemHttpResult>> CreateAsync(
        HttpContext http, CreatePaymentHandler handler, CancellationToken cancellationToken)
    {
        var request = JsonBody.Parse(http, http.RawBody(), ApiJson.Default.CreatePaymentCommand);
        if (request.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        var result = await handler.HandleAsync(http.App(), request.Value!, cancellationToken);
        if (result.Problem is { } problem)
        {
            return Problems.From(problem);
        }

        var dto = PaymentDto.From(result.Value!.Payment);
        return result.Value.Created
            ? TypedResults.Accepted($"/api/v1/payments/{dto.Id}", dto)
            : TypedResults.Ok(dto);
    }

    private static async Task<Results<Ok<PaymentDto>, ProblemHttpResult>> GetAsync(
        HttpContext http, string id, int? waitForSeconds, IPaymentStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (waitForSeconds is < 0 or > 20)
        {
            return Problems.Invalid("waitForSeconds", "Must be between 0 and 20.");
        }

        var payment = await LoadOwnAsync(http, id, store, cancellationToken);
        if (payment is null)
        {
            return Problems.NotFound("payment");
        }

        if (waitForSeconds is > 0)
        {
            payment = await WaitForChangeAsync(payment, TimeSpan.FromSeconds(waitForSeconds.Value), store, time, cancellationToken);
        }

        return TypedResults.Ok(PaymentDto.From(payment));
    }

    private static async Task<Results<Ok<PaymentDto>, ProblemHttpResult>> FindByOrderNoAsync(
        HttpContext http, string? merchantOrderNo, IPaymentStore store, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(merchantOrderNo))
        {
            return Problems.Invalid("merchantOrderNo", "Required (listing all payments is not available yet).");
        }

        // The id is derived from the order number, so this is a point read, not a query.
        var payment = await LoadOwnAsync(http, Ids.PaymentId(http.App().Id, merchantOrderNo), store, cancellationToken);
        return payment is null ? Problems.NotFound("payment") : TypedResults.Ok(PaymentDto.From(payment));
    }

    private static async Task<Results<Accepted<PaymentDto>, ProblemHttpResult>> CloseAsync(
        HttpContext http, string id, IPaymentStore store, PaymentCommitter committer, TimeProvider time, CancellationToken cancellationToken)
    {
        if (http.RawBody().Length > 0 && !IsEmptyJsonObject(http.RawBody()))
        {
            return Problems.Invalid("body", "Close takes no parameters.");
        }

        var payment = await LoadOwnAsync(http, id, store, cancellationToken);
        if (payment is null)
        {
            return Problems.NotFound("payment");
        }

        var now = time.GetUtcNow();
        Problem? refused = null;
        var final = await committer.CommitAsync(id, cur =>
        {
            if (cur.Value.Status.IsTerminal())
            {
                refused = cur.Value.Status == PaymentStatus.Closed
                    ? null
                    : new Problem(ProblemCodes.InvalidState, $"A {cur.Value.Status.ToWire()} payment cannot be closed.");
                return null;
            }

            refused = null;
            // Closing happens at the channel first; the payment turns closed when the channel confirms.
            return new PaymentChange(cur, cur.Value with { UpdatedAt = now })
            {
                Outbox = [ChannelRequests.Message(id, ChannelRequestKind.Close, 0)],
            };
        }, cancellationToken);

        return refused is not null ? Problems.From(refused) : TypedResults.Accepted($"/api/v1/payments/{id}", PaymentDto.From(final!));
    }

    /// <summary>The caller's own payment, or null: another app's payment is indistinguishable from none.</summary>
    /// <summary>Whether a path segment can be one of our payment ids, checked before it becomes a table key.</summary>
    internal static bool LooksLikePaymentId(string id) => id.StartsWith("pay_", StringComparison.Ordinal) && id.Length <= 64;

    internal static async Task<Payment?> LoadOwnAsync(HttpContext http, string id, IPaymentStore store, CancellationToken cancellationToken)
    {
        if (!LooksLikePaymentId(id))
        {
            return null;
        }

        var payment = await store.GetAsync(id, cancellationToken);
        // Another app's payment is indistinguishable from one that does not exist.
        return payment is not null && payment.Value.AppId == http.App().Id ? payment.Value : null;
    }

    /// <summary>Long poll. Polls the store (changes may be made by any instance) with a gentle backoff.</summary>
    private static async Task<Payment> WaitForChangeAsync(Payment initial, TimeSpan wait, IPaymentStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        var delay = TimeSpan.FromMilliseconds(100);
        while (time.GetUtcNow() < deadline)
        {
            var remaining = deadline - time.GetUtcNow();
            await Task.Delay(delay < remaining ? delay : remaining, time, cancellationToken);
            var current = await store.GetAsync(initial.Id, cancellationToken);
            if (current is not null && current.Value.Status != initial.Status)
            {
                return current.Value;
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 1.5, 1000));
        }

        return (await store.GetAsync(initial.Id, cancellationToken))?.Value ?? initial;
    }

    private static bool IsEmptyJsonObject(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object && !doc.RootElement.EnumerateObject().Any();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
