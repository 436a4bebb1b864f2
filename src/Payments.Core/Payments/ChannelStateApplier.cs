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
        if (state.PayerSetsAmount && state.PaidAmount is { MinorUnits: > 0 } received && received.Currency == p.Currency && state.ChannelTransactionId is { } transaction)
        {
            switch (state.Status)
            {
                case ChannelPaymentStatus.Pending or ChannelPaymentStatus.Succeeded when received < p.Amount:
                    return PartlyPaid(current, received, now, followUpAttempt);
                case ChannelPaymentStatus.Succeeded:
                    return PaidInFull(current, transaction, received, state.PaidAt ?? now, now);
                case ChannelPaymentStatus.Closed:
                    return ClosedHolding(current, transaction, received, state.PaidAt ?? now, now);
            }
        }

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

    /// <summary>What a channel says about a refund, turned into the refund's next state; a failed refund
    /// releases its amount on the payment in the same change.</summary>
    public PaymentChange? DecideRefund(Versioned<Payment> current, Refunds.Refund refund, ChannelRefundState state, DateTimeOffset now, int followUpAttempt)
    {
        var payment = current.Value;
        switch (state.Status)
        {
            case ChannelRefundStatus.Succeeded:
            {
                var (outcome, next) = refund.MarkSucceeded(state.ChannelRefundId, state.SucceededAt ?? now);
                if (state.RefundedAmount is { } refunded && refunded != refund.Amount)
                {
                    logger.LogCritical("ALERT refund {RefundId} of {PaymentId}: channel refunded {Refunded}, we asked {Asked}", refund.Id, payment.Id, refunded, refund.Amount);
                }

                bool wasStuck = payment.AttentionReason?.StartsWith(StuckReasonPrefix(refund), StringComparison.Ordinal) == true;
                return outcome == TransitionOutcome.Applied
                    ? RefundTransition(current, payment with { UpdatedAt = now, AttentionReason = wasStuck ? null : payment.AttentionReason }, next, now)
                    : null;
            }

            case ChannelRefundStatus.Failed:
            {
                var (outcome, next) = refund.MarkFailed(new Failure(state.FailureCode ?? "refund_failed", state.FailureMessage ?? "The channel did not refund."), now);
                if (outcome != TransitionOutcome.Applied)
                {
                    return null;
                }

                var released = refund.DuplicateTransactionId is null ? payment.ReleaseRefund(refund.Amount, now) : payment with { UpdatedAt = now };
                if (refund.IsAutomatic)
                {
                    // We hold a payer's money we meant to return: a person must move it.
                    string reason = $"auto_refund_failed: refund {refund.Id} of {refund.Amount} ({next.Failure?.Code})";
                    logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", payment.Id, reason);
                    released = released with { AttentionReason = reason };
                }

                return RefundTransition(current, released, next, now);
            }

            case ChannelRefundStatus.NotFound when refund.Status == Refunds.RefundStatus.Created:
                // The refund request never reached the channel: ask again (same out_refund_no, so at most once).
                return new PaymentChange(current, payment)
                {
                    UpdatedRefunds = [refund.RecordQuery(now)],
                    Outbox = [ChannelRequests.Message(payment.Id, Messaging.ChannelRequestKind.Refund, followUpAttempt + 1, refundId: refund.Id)],
                };

            default:
            {
                // Processing (or a puzzling NotFound): it is at the channel; look again later.
                var (_, pending) = state.Status == ChannelRefundStatus.Processing ? refund.MarkPending(state.ChannelRefundId, now) : (TransitionOutcome.AlreadyDone, refund);
                var change = RefundFollowUp(current, pending.RecordQuery(now), now, followUpAttempt);
                if (state is { Status: ChannelRefundStatus.Processing, FailureCode: ChannelRefundState.Stuck } && pending.Status is not (Refunds.RefundStatus.Succeeded or Refunds.RefundStatus.Failed))
                {
                    // The money left the merchant and did not reach the payer: neither refundable again nor done.
                    string reason = $"{StuckReasonPrefix(refund)}did not reach the payer ({state.FailureMessage}); re-apply it at the channel";
                    if (payment.AttentionReason != reason)
                    {
                        logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", payment.Id, reason);
                        change = change! with { Next = change.Next with { AttentionReason = reason, UpdatedAt = now } };
                    }
                }

                return change;
            }
        }
    }

    private static string StuckReasonPrefix(Refunds.Refund refund) => $"refund_stuck: refund {refund.Id} of {refund.Amount} ";

    /// <summary>Keeps the refund's query chain going (a 0 attempt is a one-off answer that starts none).</summary>
    public PaymentChange? RefundFollowUp(Versioned<Payment> current, Refunds.Refund refund, DateTimeOffset now, int followUpAttempt)
    {
        var outbox = new List<OutboxMessage>();
        if (followUpAttempt > 0)
        {
            int nextAttempt = followUpAttempt + 1;
            outbox.Add(ChannelRequests.Message(current.Value.Id, Messaging.ChannelRequestKind.RefundQuery, nextAttempt, now + schedules.RefundQueryDelay(nextAttempt), refund.Id));
        }

        return new PaymentChange(current, current.Value) { UpdatedRefunds = [refund], Outbox = outbox };
    }

    private static PaymentChange RefundTransition(Versioned<Payment> current, Payment payment, Refunds.Refund refund, DateTimeOffset now)
    {
        var events = new List<WebhookEvent>();
        var outbox = new List<OutboxMessage>();
        if (PaymentEvents.For(refund, current.Value.NotifyUrl, now) is { } e)
        {
            events.Add(e.Event);
            outbox.Add(e.Message);
        }

        return new PaymentChange(current, payment) { UpdatedRefunds = [refund], NewEvents = events, Outbox = outbox };
    }

    /// <summary>Part of the amount has arrived: the payment waits for the rest, and operators see it.</summary>
    private PaymentChange? PartlyPaid(Versioned<Payment> current, Money received, DateTimeOffset now, int followUpAttempt)
    {
        var p = current.Value;
        if (p.Status is not (PaymentStatus.Created or PaymentStatus.Pending))
        {
            return null; // older news; money held at close was returned then, and a paid reference takes no more
        }

        string reason = $"partial_payment: received {received} of {p.Amount}";
        var next = p;
        if (p.AttentionReason != reason)
        {
            logger.LogWarning("Payment {PaymentId} is partly paid: {Reason}", p.Id, reason);
            next = p with { AttentionReason = reason, UpdatedAt = now };
        }

        return FollowUp(current, next.RecordQuery(now), now, followUpAttempt);
    }

    /// <summary>The amount due has arrived, perhaps more: the payment succeeds for the amount due, and any excess
    /// goes back to the payer automatically, outside the merchant's refundable amount.</summary>
    private PaymentChange? PaidInFull(Versioned<Payment> current, string transaction, Money received, DateTimeOffset paidAt, DateTimeOffset now)
    {
        var p = current.Value;
        var (outcome, paid) = p.MarkSucceeded(transaction, p.Amount, paidAt);
        if (outcome == TransitionOutcome.AlreadyDone)
        {
            return null;
        }

        if (outcome == TransitionOutcome.Rejected)
        {
            // Money reached a reference we had given up on (a credit that raced the close): whatever was held at
            // close has been returned already, so a person decides about the rest. Never refund by guess.
            string late = $"paid_after_{p.Status.ToWire()}: received {received} on {transaction}";
            if (p.AttentionReason == late)
            {
                return null;
            }

            logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", p.Id, late);
            return new PaymentChange(current, p with { AttentionReason = late, UpdatedAt = now });
        }

        paid = paid with { AmountReceived = received, ReceivedAt = paidAt };
        var excess = received - p.Amount;
        if (excess.MinorUnits == 0)
        {
            bool wasPartial = p.AttentionReason?.StartsWith("partial_payment:", StringComparison.Ordinal) == true;
            return Transition(current, (outcome, wasPartial ? paid with { AttentionReason = null } : paid), now);
        }

        string reason = $"overpayment: received {received} for {p.Amount}; excess {excess} refunded automatically";
        logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", p.Id, reason);
        return WithRefund(
            Transition(current, (outcome, paid with { AttentionReason = reason }), now)!,
            AutomaticRefund(p, "auto-over-" + transaction, excess, "Paid more than the amount due", transaction, now));
    }

    /// <summary>The reference closed while holding part of the amount: everything that arrived goes back.</summary>
    private PaymentChange? ClosedHolding(Versioned<Payment> current, string transaction, Money received, DateTimeOffset receivedAt, DateTimeOffset now)
    {
        var p = current.Value;
        var (outcome, closed) = p.MarkClosed(now);
        if (outcome != TransitionOutcome.Applied)
        {
            return null;
        }

        string reason = $"partial_payment_returned: received {received} of {p.Amount} before the payment closed";
        logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", p.Id, reason);
        return WithRefund(
            Transition(current, (outcome, closed with { AttentionReason = reason, AmountReceived = received, ReceivedAt = receivedAt }), now)!,
            AutomaticRefund(p, "auto-partial-" + transaction, received, "Partly paid when the payment closed", transaction, now));
    }

    /// <summary>A refund of money the merchant never had a right to keep. With <paramref name="outsideRefundable"/> it
    /// is refunded by that transaction and not counted against the payment's refundable amount.</summary>
    private static Refunds.Refund AutomaticRefund(Payment p, string merchantRefundNo, Money amount, string reason, string? outsideRefundable, DateTimeOffset now) => new()
    {
        Id = Ids.RefundId(p.Id, merchantRefundNo), PaymentId = p.Id, MerchantRefundNo = merchantRefundNo, Amount = amount, Reason = reason,
        RequestHash = Refunds.Refund.AutomaticRequestHash, CreatedAt = now, UpdatedAt = now, DuplicateTransactionId = outsideRefundable,
    };

    /// <summary>Adds an automatic refund to a change, with the message that sends it to the channel.</summary>
    private static PaymentChange WithRefund(PaymentChange change, Refunds.Refund refund) => change with
    {
        NewRefunds = [.. change.NewRefunds, refund],
        Outbox = [.. change.Outbox, ChannelRequests.Message(refund.PaymentId, Messaging.ChannelRequestKind.Refund, 0, refundId: refund.Id)],
    };

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

        string transaction = state.ChannelTransactionId;
        if (p.AutoRefundedTransactions.Contains(transaction))
        {
            return null; // already being refunded: a repeat of the same news
        }

        bool duplicate = p.Status == PaymentStatus.Succeeded && transaction != p.ChannelTransactionId;
        string reason = duplicate
            ? $"duplicate_payment: second transaction {transaction} ({paid}) after {p.ChannelTransactionId}"
            : paid != p.Amount
                ? $"amount_mismatch: channel reports {paid}, payment is {p.Amount}"
                : $"paid_after_{p.Status.ToWire()}: transaction {transaction}";
        if (p.AttentionReason == reason)
        {
            return null;
        }

        if (duplicate && paid.Currency == p.Currency && paid.MinorUnits > 0)
        {
            // The payer paid twice for one order: the second transaction goes back in full, refunded by its
            // own transaction id. It is not the merchant's refund: the payment's refundable amount is unchanged.
            logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", p.Id, reason);
            return WithRefund(
                new PaymentChange(current, p with { AttentionReason = reason, UpdatedAt = now, AutoRefundedTransactions = [.. p.AutoRefundedTransactions, transaction] }),
                AutomaticRefund(p, "auto-dup-" + transaction, paid, "Duplicate payment", transaction, now));
        }

        // Money moved in a way our state machine refuses. Never mark paid by guess; raise it.
        logger.LogCritical("ALERT payment {PaymentId} needs attention: {Reason}", p.Id, reason);
        var flagged = p with { AttentionReason = reason, UpdatedAt = now };
        if (paid == p.Amount && p.Status is PaymentStatus.Closed or PaymentStatus.Failed)
        {
            // The payer paid an order we had already given up on: the money goes back on its own, and
            // the refund's webhook tells the merchant. The payment itself stays closed (terminal).
            return WithRefund(
                new PaymentChange(current, flagged with { AmountRefunded = p.AmountRefunded + paid.MinorUnits, AutoRefundedTransactions = [.. p.AutoRefundedTransactions, transaction] }),
                AutomaticRefund(p, "auto-late-" + transaction, paid, $"Paid after the payment was {p.Status.ToWire()}", outsideRefundable: null, now));
        }

        return new PaymentChange(current, flagged);
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
