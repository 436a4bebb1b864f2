using Microsoft.Extensions.Logging;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;
using Payments.Core.Refunds;

namespace Payments.Core.Janitor;

public sealed record JanitorReport(int Examined, int Queried, int Expired, int Cleaned, int RefundsQueried = 0);

/// <summary>The safety net under the per-payment follow-up messages: finds open payments and pending
/// refunds nobody has asked the channel about lately and asks (after 5 m, then hourly once stuck for an
/// hour, then daily); finds overdue payments and expires them. Publishes directly: it changes no state
/// itself, every message it sends is idempotent, and the handler that answers records the attempt on
/// the payment or refund (QueryAttempts, LastQueriedAt).</summary>
public sealed class JanitorHandler(
    IPaymentStore store,
    IOpenPaymentIndex openPayments,
    IMessagePublisher publisher,
    PaymentSchedules schedules,
    TimeProvider time,
    ILogger<JanitorHandler> logger)
{
    /// <summary>How far back the janitor looks. Bank refunds can take days; past this an open item is
    /// already in front of operators through reconciliation.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(7);

    public async Task<JanitorReport> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // One id per item per sweep slot: two instances firing the same tick send the same message.
        string slot = (now.ToUnixTimeSeconds() / (long)Math.Max(1, schedules.StuckAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        int examined = 0, queried = 0, expired = 0, cleaned = 0, refundsQueried = 0;

        await foreach (string id in openPayments.ListAsync(now - Horizon, now - schedules.StuckAfter, cancellationToken))
        {
            examined++;
            if (id.StartsWith("ref_", StringComparison.Ordinal))
            {
                switch (await CheckRefundAsync(id, now, slot, cancellationToken))
                {
                    case true: refundsQueried++; break;
                    case null: cleaned++; break;
                }

                continue;
            }

            var current = await store.GetAsync(id, cancellationToken);
            if (current is null || current.Value.Status.IsTerminal())
            {
                if (current is not null)
                {
                    await openPayments.RemoveAsync(current.Value, cancellationToken);
                }

                cleaned++;
                continue;
            }

            var p = current.Value;
            var lastHeard = p.LastQueriedAt ?? p.UpdatedAt;
            if (p.IsExpiredAt(now))
            {
                await publisher.PublishAsync(WithSlot(ChannelRequests.Message(p.Id, ChannelRequestKind.Expire, 0), slot), cancellationToken);
                expired++;
            }
            else if (now - lastHeard >= schedules.StuckCheckInterval(now - p.CreatedAt))
            {
                await publisher.PublishAsync(WithSlot(ChannelRequests.Message(p.Id, ChannelRequestKind.Query, 0), slot), cancellationToken);
                queried++;
            }
        }

        var report = new JanitorReport(examined, queried, expired, cleaned, refundsQueried);
        if (examined > 0)
        {
            logger.LogInformation("Janitor: {Report}", report);
        }

        return report;
    }

    /// <summary>True when a refund query was sent, false when the refund is not due yet, null when it is
    /// final (or gone) and left the index.</summary>
    private async Task<bool?> CheckRefundAsync(string refundId, DateTimeOffset now, string slot, CancellationToken cancellationToken)
    {
        if (Ids.PaymentIdOfRefund(refundId) is not { } paymentId)
        {
            return null;
        }

        var refund = await store.GetRefundAsync(paymentId, refundId, cancellationToken);
        if (refund is null || refund.Status.IsTerminal())
        {
            if (refund is not null)
            {
                await openPayments.RemoveAsync(refund, cancellationToken);
            }

            return null;
        }

        var lastHeard = refund.LastQueriedAt ?? refund.UpdatedAt;
        if (now - lastHeard < schedules.StuckCheckInterval(now - refund.CreatedAt))
        {
            return false;
        }

        // A refund still "created" never got an answer from the channel: the query finds out whether the
        // request arrived, and the answer path re-sends it (same out_refund_no) if it did not.
        await publisher.PublishAsync(
            WithSlot(ChannelRequests.Message(paymentId, ChannelRequestKind.RefundQuery, 0, refundId: refundId), slot), cancellationToken);
        return true;
    }

    private static OutboxMessage WithSlot(OutboxMessage m, string slot) => m with { Id = Ids.MessageId(m.Id, "janitor", slot) };
}
