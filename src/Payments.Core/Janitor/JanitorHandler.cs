using Microsoft.Extensions.Logging;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;

namespace Payments.Core.Janitor;

public sealed record JanitorReport(int Examined, int Queried, int Expired, int Cleaned);

/// <summary>The safety net under the per-payment follow-up messages: finds open payments nobody has
/// asked the channel about lately and asks; finds overdue ones and expires them. Publishes directly:
/// it changes no state itself, and every message it sends is idempotent.</summary>
public sealed class JanitorHandler(
    IPaymentStore store,
    IOpenPaymentIndex openPayments,
    IMessagePublisher publisher,
    PaymentSchedules schedules,
    TimeProvider time,
    ILogger<JanitorHandler> logger)
{
    /// <summary>Payments older than this are no longer chased by the janitor (they are long expired and closed).</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromDays(3);

    public async Task<JanitorReport> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        // One id per payment per sweep slot: two instances firing the same tick send the same message.
        string slot = (now.ToUnixTimeSeconds() / (long)Math.Max(1, schedules.StuckAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        int examined = 0, queried = 0, expired = 0, cleaned = 0;

        await foreach (string paymentId in openPayments.ListAsync(now - Horizon, now - schedules.StuckAfter, cancellationToken))
        {
            examined++;
            var current = await store.GetAsync(paymentId, cancellationToken);
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
            else if (now - lastHeard >= schedules.StuckAfter)
            {
                await publisher.PublishAsync(WithSlot(ChannelRequests.Message(p.Id, ChannelRequestKind.Query, 0), slot), cancellationToken);
                queried++;
            }
        }

        var report = new JanitorReport(examined, queried, expired, cleaned);
        if (examined > 0)
        {
            logger.LogInformation("Janitor: {Report}", report);
        }

        return report;
    }

    private static OutboxMessage WithSlot(OutboxMessage m, string slot) => m with { Id = Ids.MessageId(m.Id, "janitor", slot) };
}
