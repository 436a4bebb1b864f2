using Microsoft.Extensions.Logging;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Payments.CreatePayment;
using Payments.Core.Webhooks;

namespace Payments.Core.Payments;

/// <summary>Turns what a channel says about a payment (query answer or callback) into our next state,
/// the webhook it causes, and the follow-up query it needs. One place, used by every path.</summary>
public sealed class ChannelStateApplier(PaymentSchedules schedules, ILogger<ChannelStateApplier> logger)
{
    /// <param name="followUpAttempt">The query attempt this answer belongs to; 0 for one-off answers
    /// (callbacks, janitor), which never start a follow-up chain of their own.</param>
    public PaymentChange? Decide(Versioned<Payment> current, ChannelPaymentState state, DateTimeOffset now, int followUpAttempt)
    {
        var p = current.Value;
        switch (state.Status)
        {
            case ChannelPaymentStatus.Succeeded:
                return Succeeded(current, state, now);

            case ChannelPaymentStatus.Failed:
                return Transition(current, p.MarkFailed(new Failure(state.FailureCode ?? "payment_failed", state.FailureMessage ?? "The channel declined the payment."), now), now);

            case ChannelPaymentStatus.Closed:
                return Transition(current, p.MarkClosed(now), now);

            case ChannelPaymentStatus.NotFound when p.Status == PaymentStatus.Created:
                // The create never reached the channel (or the channel lost it). Same out_trade_no,
                // so re-sending is safe; past expiry there is nothing left to create.
                if (p.IsExpiredAt(now))
                {
                    return Transition(current, p.MarkClosed(now), now);
                }

                return new PaymentChange(current, p.RecordQuery(now))
                {
                    Outbox = [ChannelRequests.Message(p.Id, ChannelRequestKind.Create, followUpAttempt + 1)],
                };

            case ChannelPaymentStatus.Pending when p.Status == PaymentStatus.Created:
                // The order exists but we never heard the create answer, so we have nothing to show the
                // payer. An identical create is answered with the same order (the channel deduplicates
                // on out_trade_no), which gives us the next action.
                return new PaymentChange(current, p.RecordQuery(now))
                {
                    Outbox = [ChannelRequests.Message(p.Id, ChannelRequestKind.Create, followUpAttempt + 1)],
                };

            default:
                // Still pending (or a puzzling NotFound for an order we saw): ask again later.
                return FollowUp(current, p.RecordQuery(now), now, followUpAttempt);
        }
    }

    /// <summary>Schedules the next follow-up query unless the expiry message will arrive first.</summary>
    public PaymentChange? FollowUp(Versioned<Payment> current, Payment next, DateTimeOffset now, int followUpAttempt)
    {
        if (followUpAttempt <= 0 && ReferenceEquals(next, current.Value))
        {
            return null;
        }

        var outbox = new List<OutboxMessage>();
        if (followUpAttempt > 0)
        {
            int nextAttempt = followUpAttempt + 1;
            var due = now + schedules.FollowUpDelay(nextAttempt);
            if (due < next.ExpiresAt)
            {
                outbox.Add(ChannelRequests.Message(next.Id, ChannelRequestKind.Query, nextAttempt, due));
            }
        }

        return new PaymentChange(current, next) { Outbox = outbox };
    }

    private PaymentChange? Succeeded(Versioned<Payment> current, ChannelPaymentState state, DateTimeOffset now)
    {
        var p = current.Value;
        if (state.PaidAmount is not { } paid || state.ChannelTransactionId is null)
        {
            logger.LogError("Channel reported {PaymentId} paid without amount or transaction id; ignored", p.Id);
            return null;
        }

        var (outcome, next) = p.MarkSucceeded(state.ChannelTransactionId, paid, state.PaidAt ?? now);
        if (outcome != TransitionOutcome.Rejected)
        {
            return Transition(current, (outcome, next), now);
        }

        string reason = paid != p.Amount
            ? $"amount_mismatch: channel reports {paid}, payment is {p.Amount}"
            : p.Status == PaymentStatus.Succeeded
                ? $"duplicate_payment: second transaction {state.ChannelTransactionId} after {p.ChannelTransactionId}"
                : $"paid_after_{p.Status.ToWire()}: transaction {state.ChannelTransactionId}";
        if (p.AttentionReason == reason)
        {
            return null;
        }

        // Money moved in a way our state machine refuses. Never mark paid by guess; raise it.
        logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", p.Id, reason);
        return new PaymentChange(current, p with { AttentionReason = reason, UpdatedAt = now });
    }

    private static PaymentChange? Transition(Versioned<Payment> current, (TransitionOutcome Outcome, Payment Next) result, DateTimeOffset now)
    {
        if (result.Outcome != TransitionOutcome.Applied)
        {
            return null;
        }

        var events = new List<WebhookEvent>();
        var outbox = new List<OutboxMessage>();
        if (PaymentEvents.For(result.Next, now) is { } e)
        {
            events.Add(e.Event);
            outbox.Add(e.Message);
        }

        return new PaymentChange(current, result.Next) { NewEvents = events, Outbox = outbox };
    }
}
