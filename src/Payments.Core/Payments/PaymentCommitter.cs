using Microsoft.Extensions.Logging;
using Payments.Core.Observability;

namespace Payments.Core.Payments;

/// <summary>Read-decide-write with optimistic concurrency: the decision is recomputed from the fresh
/// state whenever another writer got there first.</summary>
public sealed class PaymentCommitter(IPaymentStore store, ILogger<PaymentCommitter> logger, Attention.IAttentionLog? attention = null, PaymentsMetrics? metrics = null)
{
    private const int MaxAttempts = 8;

    /// <summary>Applies <paramref name="decide"/> until it commits; decide returns null for "nothing to write".
    /// Returns the payment as finally stored, or null if it does not exist.</summary>
    public Task<Payment?> CommitAsync(string paymentId, Func<Versioned<Payment>, PaymentChange?> decide, CancellationToken cancellationToken) =>
        CommitAsync(paymentId, cur => Task.FromResult(decide(cur)), cancellationToken);

    /// <summary>As above, for decisions that read more of the partition (a refund) after the payment:
    /// anything committed since changes the payment's ETag too, so the commit then fails and we decide again.</summary>
    public async Task<Payment?> CommitAsync(string paymentId, Func<Versioned<Payment>, Task<PaymentChange?>> decide, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var current = await store.GetAsync(paymentId, cancellationToken);
            if (current is null)
            {
                return null;
            }

            var change = await decide(current);
            if (change is null)
            {
                return current.Value;
            }

            if (attention is not null && change.Next.AttentionReason is { } reason && reason != current.Value.AttentionReason)
            {
                // Raised before the commit so a crash in between cannot lose it; a raise whose commit never
                // lands is dropped when read, because the payment then carries no such reason.
                await attention.RaiseAsync(Attention.AttentionItem.ForPayment(change.Next, reason, change.Next.UpdatedAt), cancellationToken);
            }

            if (await store.TryCommitAsync(change, cancellationToken))
            {
                if (change.Next.Status != current.Value.Status)
                {
                    metrics?.PaymentEntered(change.Next.Status.ToWire(), change.Next.Channel);
                }

                return change.Next;
            }

            if (attempt >= MaxAttempts)
            {
                // Throwing fails the message; the queue redelivers it later, when contention has passed.
                throw new InvalidOperationException($"Payment {paymentId} kept changing under us ({MaxAttempts} attempts).");
            }

            logger.LogDebug("ETag conflict on {PaymentId}, attempt {Attempt}; re-reading", paymentId, attempt);
        }
    }
}
