using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Payments.Core.Apps;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;

namespace Payments.Core.Refunds.CreateRefund;

public sealed record CreateRefundCommand(string? MerchantRefundNo, long? Amount, string? Reason);

public sealed record CreateRefundResult(Refund Refund, bool Created);

/// <summary>Creates a refund idempotently on (payment, merchantRefundNo). The refund row and the
/// payment's reserved amount commit together under the payment's ETag, so any number of concurrent
/// refunds can never exceed what was paid.</summary>
public sealed partial class CreateRefundHandler(IPaymentStore store, TimeProvider time)
{
    /// <summary>Under a burst of refunds on one payment every round has one winner: allow enough rounds.</summary>
    private const int MaxAttempts = 100;

    [GeneratedRegex("^[A-Za-z0-9_*@|-]{1,64}$")]
    private static partial Regex RefundNoPattern();

    public async Task<Result<CreateRefundResult>> HandleAsync(App app, string paymentId, CreateRefundCommand command, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(command.MerchantRefundNo) || !RefundNoPattern().IsMatch(command.MerchantRefundNo))
        {
            errors["merchantRefundNo"] = ["Required: 1 to 64 characters of A-Z, a-z, 0-9 and _ - | * @."];
        }

        if (command.Amount is not { } amount || amount < 1)
        {
            errors["amount"] = ["Required: a positive integer count of minor units."];
        }

        if (command.Reason is { } reason && (reason.Length > 80 || reason.Any(char.IsControl)))
        {
            errors["reason"] = ["At most 80 printable characters."];
        }

        if (errors.Count > 0)
        {
            return Problem.Validation(errors);
        }

        string refundId = Ids.RefundId(paymentId, command.MerchantRefundNo!);
        string hash = RequestHash(command);
        for (int attempt = 1; ; attempt++)
        {
            var current = await store.GetAsync(paymentId, cancellationToken);
            if (current is null || current.Value.AppId != app.Id)
            {
                return Problem.NotFound("payment");
            }

            var existing = await store.GetRefundAsync(paymentId, refundId, cancellationToken);
            if (existing is not null)
            {
                return existing.RequestHash == hash
                    ? new CreateRefundResult(existing, Created: false)
                    : new Problem(ProblemCodes.IdempotencyConflict, "A refund with this merchantRefundNo exists with different parameters.");
            }

            var now = time.GetUtcNow();
            var money = new Money(command.Amount!.Value, current.Value.Currency);
            var reserved = current.Value.ReserveRefund(money, now);
            if (reserved.Problem is { } problem)
            {
                return problem;
            }

            var refund = new Refund
            {
                Id = refundId, PaymentId = paymentId, MerchantRefundNo = command.MerchantRefundNo!, Amount = money,
                Reason = command.Reason, RequestHash = hash, CreatedAt = now, UpdatedAt = now,
            };
            var change = new PaymentChange(current, reserved.Value!)
            {
                NewRefunds = [refund],
                Outbox = [ChannelRequests.Message(paymentId, ChannelRequestKind.Refund, 0, refundId: refundId)],
                Actor = "app:" + app.Id,
            };
            if (await store.TryCommitAsync(change, cancellationToken))
            {
                return new CreateRefundResult(refund, Created: true);
            }

            if (attempt >= MaxAttempts)
            {
                return new Problem(ProblemCodes.Conflict, "The payment is changing too quickly; try again.");
            }

            // Someone else changed the payment: back off a little, with jitter, and decide again.
            await Task.Delay(TimeSpan.FromMilliseconds(RandomNumberGenerator.GetInt32(1, 5 + Math.Min(attempt, 20))), time, cancellationToken);
        }
    }

    private static string RequestHash(CreateRefundCommand c) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        $"{c.MerchantRefundNo?.Length}:{c.MerchantRefundNo}|{c.Amount}|{(c.Reason is null ? "-" : $"{c.Reason.Length}:{c.Reason}")}")));
}
