

namespace Payments.Core.Payments;

public sealed record NextAction(string Type, string Url);

public sealed record Failure(string Code, string Message);

public sealed record Payer(string? Id, string? Ip);

/// <summary>What a transition did. Repeats are no-ops, not errors: queue consumers see the same
/// message many times.</summary>
public enum TransitionOutcome
{
    Applied,
    AlreadyDone,
    Rejected,
}

/// <summary>The payment aggregate: immutable; each transition returns the next version.</summary>
public sealed record Payment
{
    public required string Id { get; init; }
    public required string AppId { get; init; }
    public required string MerchantId { get; init; }
    public required string MerchantOrderNo { get; init; }
    public required Money Amount { get; init; }
    public required string Channel { get; init; }
    public required string Method { get; init; }
    public required string Subject { get; init; }
    public string? Description { get; init; }
    public string? NotifyUrl { get; init; }
    public string? ReturnUrl { get; init; }
    public Payer? Payer { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public required string ChannelAccountId { get; init; }

    /// <summary>Hash of the creating request's parameters: same order number, other parameters = conflict.</summary>
    public required string RequestHash { get; init; }

    public PaymentStatus Status { get; init; } = PaymentStatus.Created;
    public long AmountRefunded { get; init; }
    public string? ChannelTransactionId { get; init; }
    public NextAction? NextAction { get; init; }
    public Failure? Failure { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? SucceededAt { get; init; }

    /// <summary>How many times we have asked the channel about this payment (janitor and follow-ups).</summary>
    public int QueryAttempts { get; init; }
    public DateTimeOffset? LastQueriedAt { get; init; }

    /// <summary>Why operators should look at this payment (amount mismatch, ...); null when nothing is wrong.</summary>
    public string? AttentionReason { get; init; }

    /// <summary>W3C traceparent of the request that created the payment; its trace id is the payment's
    /// correlation id, which every later span and log line of the payment carries.</summary>
    public string? TraceParent { get; init; }

    /// <summary>Risk control's decision when the payment was created (allow or review; a denied payment
    /// is never created). Null for payments created before risk control existed.</summary>
    public Risk.RiskDecision? Risk { get; init; }

    /// <summary>Why the payment went to <see cref="ChannelAccountId"/>. Null for payments created before
    /// routing existed.</summary>
    public Routing.RoutingDecision? Routing { get; init; }

    /// <summary>Head of the payment's hash-chained audit trail (sequence and hash of its last record).
    /// Kept by <see cref="Audit.PaymentAudit"/>; the records live in the payment's partition.</summary>
    public long AuditSequence { get; init; }
    public string AuditHash { get; init; } = Audit.AuditChain.Genesis;

    /// <summary>Channel transactions other than <see cref="ChannelTransactionId"/> that paid this payment
    /// (paid after close, or a second time) and were refunded automatically: each is refunded once.</summary>
    public IReadOnlyList<string> AutoRefundedTransactions { get; init; } = [];

    /// <summary>What the payer actually sent, where the payer sets the amount (a bank transfer to a reference): the
    /// amount due or more once paid, what was held when it closed. The merchant keeps <see cref="Amount"/> at most;
    /// the rest went back by automatic refund. Reconciliation needs it because the bank's statement lists the money
    /// that arrived, not the amount due. Null where the channel moves exactly the amount due, or nothing.</summary>
    public Money? AmountReceived { get; init; }

    /// <summary>When the last of <see cref="AmountReceived"/> arrived, in the channel's words.</summary>
    public DateTimeOffset? ReceivedAt { get; init; }

    public Currency Currency => Amount.Currency;

    /// <summary>The order exists at the channel. Only from Created; a later Pending is a repeat.</summary>
    public (TransitionOutcome Outcome, Payment Payment) MarkPending(NextAction nextAction, DateTimeOffset at) => Status switch
    {
        PaymentStatus.Created => (TransitionOutcome.Applied, this with { Status = PaymentStatus.Pending, NextAction = nextAction, UpdatedAt = at }),
        PaymentStatus.Pending => (TransitionOutcome.AlreadyDone, this),
        _ => (TransitionOutcome.Rejected, this),
    };

    /// <summary>The channel says the payer paid. Allowed from Created too: a callback may beat the
    /// create response to our store. The paid amount must equal ours exactly.</summary>
    public (TransitionOutcome Outcome, Payment Payment) MarkSucceeded(string channelTransactionId, Money paid, DateTimeOffset at)
    {
        if (paid != Amount)
        {
            return (TransitionOutcome.Rejected, this);
        }

        return Status switch
        {
            PaymentStatus.Created or PaymentStatus.Pending => (TransitionOutcome.Applied, this with
            {
                Status = PaymentStatus.Succeeded,
                ChannelTransactionId = channelTransactionId,
                NextAction = null,
                SucceededAt = at,
                UpdatedAt = at,
            }),
            PaymentStatus.Succeeded when ChannelTransactionId == channelTransactionId => (TransitionOutcome.AlreadyDone, this),
            _ => (TransitionOutcome.Rejected, this),
        };
    }

    public (TransitionOutcome Outcome, Payment Payment) MarkFailed(Failure failure, DateTimeOffset at) => Status switch
    {
        PaymentStatus.Created or PaymentStatus.Pending => (TransitionOutcome.Applied, this with { Status = PaymentStatus.Failed, Failure = failure, NextAction = null, UpdatedAt = at }),
        PaymentStatus.Failed => (TransitionOutcome.AlreadyDone, this),
        _ => (TransitionOutcome.Rejected, this),
    };

    /// <summary>Closed at the channel (or never reached it) before anyone paid.</summary>
    public (TransitionOutcome Outcome, Payment Payment) MarkClosed(DateTimeOffset at) => Status switch
    {
        PaymentStatus.Created or PaymentStatus.Pending => (TransitionOutcome.Applied, this with { Status = PaymentStatus.Closed, NextAction = null, UpdatedAt = at }),
        PaymentStatus.Closed => (TransitionOutcome.AlreadyDone, this),
        _ => (TransitionOutcome.Rejected, this),
    };

    /// <summary>What can still be refunded: the amount less every refund that has not failed.</summary>
    public Money Refundable => Amount - new Money(AmountRefunded, Amount.Currency);

    /// <summary>Reserves a refund against the payment. AmountRefunded counts every refund that has not
    /// failed, so concurrent refunds can never exceed the amount paid.</summary>
    public Result<Payment> ReserveRefund(Money amount, DateTimeOffset at)
    {
        if (Status != PaymentStatus.Succeeded)
        {
            return new Problem(ProblemCodes.InvalidState, $"Only succeeded payments can be refunded; this one is {Status.ToWire()}.");
        }

        if (amount.Currency != Currency)
        {
            return Problem.Validation(new Dictionary<string, string[]> { ["amount"] = [$"Refunds are in the payment's currency, {Currency}."] });
        }

        if (amount > Refundable)
        {
            return new Problem(ProblemCodes.AmountExceedsRefundable, $"At most {Refundable.MinorUnits} can still be refunded.");
        }

        return this with { AmountRefunded = AmountRefunded + amount.MinorUnits, UpdatedAt = at };
    }

    /// <summary>A refund failed: its amount becomes refundable again.</summary>
    public Payment ReleaseRefund(Money amount, DateTimeOffset at) =>
        this with { AmountRefunded = AmountRefunded - amount.MinorUnits, UpdatedAt = at };

    public Payment RecordQuery(DateTimeOffset at) => this with { QueryAttempts = QueryAttempts + 1, LastQueriedAt = at };

    public bool IsExpiredAt(DateTimeOffset now) => now >= ExpiresAt;
}
