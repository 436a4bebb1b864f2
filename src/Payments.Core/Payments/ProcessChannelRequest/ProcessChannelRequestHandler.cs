using Microsoft.Extensions.Logging;
using Payments.Core.Apps;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Payments.CreatePayment;
using Payments.Core.Refunds;

namespace Payments.Core.Payments.ProcessChannelRequest;

/// <summary>Consumes channel-requests: creates, queries, closes and expires payments at the channel.
/// Safe to run any number of times for the same message, in any order, after a crash at any line:
/// the channel deduplicates on our payment id and the state machine turns repeats into no-ops.</summary>
public sealed class ProcessChannelRequestHandler(
    IPaymentStore store,
    PaymentCommitter committer,
    ChannelStateApplier applier,
    IChannelAccountDirectory accounts,
    IEnumerable<IPaymentChannel> channels,
    IOpenPaymentIndex openPayments,
    CallbackOptions callbacks,
    PaymentSchedules schedules,
    TimeProvider time,
    ILogger<ProcessChannelRequestHandler> logger,
    Routing.IChannelHealth? health = null)
{
    public async Task HandleAsync(ChannelRequestMessage message, CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(message.PaymentId, cancellationToken);
        if (current is null)
        {
            logger.LogWarning("Channel request {Kind} for unknown payment {PaymentId}; dropped", message.Kind, message.PaymentId);
            return;
        }

        var payment = current.Value;
        if (message.Kind is ChannelRequestKind.Refund or ChannelRequestKind.RefundQuery)
        {
            await RefundAsync(payment, message, cancellationToken);
            return;
        }

        // A final payment is not asked about again, unless it waits for an operator: their retry asks the
        // channel what it holds now (a late or second transaction), and the answer goes the normal way.
        if (payment.Status.IsTerminal() && !(message.Kind == ChannelRequestKind.Query && payment.AttentionReason is not null))
        {
            if (message.Kind == ChannelRequestKind.Query)
            {
                await openPayments.RemoveAsync(payment, cancellationToken);
            }

            return;
        }

        var account = await accounts.GetChannelAccountAsync(payment.ChannelAccountId, cancellationToken)
            ?? throw new InvalidOperationException($"Channel account {payment.ChannelAccountId} of {payment.Id} does not exist.");
        var channel = channels.FirstOrDefault(c => c.Name == payment.Channel)
            ?? throw new InvalidOperationException($"No adapter for channel '{payment.Channel}'.");

        if (message.Kind == ChannelRequestKind.Create)
        {
            // Indexed before the channel hears of it, so the janitor can always find an order that exists out there.
            await openPayments.AddAsync(payment, cancellationToken);
        }

        Payment? final = message.Kind switch
        {
            ChannelRequestKind.Create when payment.IsExpiredAt(time.GetUtcNow()) =>
                // Too late to place it; an earlier attempt may have, so close the way expiry does.
                await CloseAsync(payment, account, channel, message with { Kind = ChannelRequestKind.Expire }, cancellationToken),
            ChannelRequestKind.Create => await CreateAsync(payment, account, channel, message.Attempt, cancellationToken),
            ChannelRequestKind.Query => await QueryAsync(payment, account, channel, message.Attempt, cancellationToken),
            ChannelRequestKind.Close or ChannelRequestKind.Expire => await CloseAsync(payment, account, channel, message, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(message), message.Kind, "Unknown channel request kind."),
        };

        if (final is { } f && f.Status.IsTerminal())
        {
            await openPayments.RemoveAsync(f, cancellationToken);
        }
    }

    private async Task RefundAsync(Payment payment, ChannelRequestMessage message, CancellationToken cancellationToken)
    {
        string refundId = message.RefundId ?? throw new InvalidOperationException($"{message.Kind} message without a refund id.");
        var refund = await store.GetRefundAsync(payment.Id, refundId, cancellationToken);
        if (refund is null || refund.Status.IsTerminal() || (message.Kind == ChannelRequestKind.Refund && refund.Status != Refunds.RefundStatus.Created))
        {
            if (refund is not null && refund.Status.IsTerminal())
            {
                await openPayments.RemoveAsync(refund, cancellationToken);
            }

            return; // unknown, final, or already at the channel: a repeat
        }

        if (message.Kind == ChannelRequestKind.Refund)
        {
            // Indexed before the channel hears of it, so the janitor finds every refund left pending.
            await openPayments.AddAsync(refund, cancellationToken);
        }

        var account = await accounts.GetChannelAccountAsync(payment.ChannelAccountId, cancellationToken)
            ?? throw new InvalidOperationException($"Channel account {payment.ChannelAccountId} of {payment.Id} does not exist.");
        var channel = channels.FirstOrDefault(c => c.Name == payment.Channel)
            ?? throw new InvalidOperationException($"No adapter for channel '{payment.Channel}'.");

        ChannelResult<ChannelRefundState> result;
        int attempt = Math.Max(message.Attempt, 1);
        if (message.Kind == ChannelRequestKind.Refund)
        {
            result = await channel.RefundAsync(account, new ChannelRefundRequest(
                payment.Id, refund.Id, refund.Amount, refund.DuplicateTransactionId is null ? payment.Amount : refund.Amount, refund.Reason,
                callbacks.For(payment.Channel, payment.ChannelAccountId), refund.DuplicateTransactionId, refund.CreatedAt, payment.CreatedAt), cancellationToken);
            if (result is ChannelResult<ChannelRefundState>.Rejected rejected)
            {
                // A refusal may hide a refund that exists (a retry after a lost answer): ask before failing.
                logger.LogInformation("Channel refused refund {RefundId}: {Code} {Message}", refund.Id, rejected.Code, rejected.Message);
                var query = await channel.QueryRefundAsync(account, payment.Id, refund.Id, refund.CreatedAt, cancellationToken);
                result = query is ChannelResult<ChannelRefundState>.Ok { Value.Status: ChannelRefundStatus.NotFound }
                    ? new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.Failed, null, null, null, rejected.Code, rejected.Message))
                    : query;
            }
            else if (result is ChannelResult<ChannelRefundState>.NotSupported)
            {
                result = new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.Failed, null, null, null, "not_supported", $"{payment.Channel} does not support refunds."));
            }
        }
        else
        {
            result = await channel.QueryRefundAsync(account, payment.Id, refund.Id, refund.CreatedAt, cancellationToken);
        }

        var now = time.GetUtcNow();
        Refunds.Refund? final = null;
        await committer.CommitAsync(payment.Id, async cur =>
        {
            var r = final = await store.GetRefundAsync(payment.Id, refundId, cancellationToken);
            if (r is null || r.Status.IsTerminal())
            {
                return null;
            }

            var change = result is ChannelResult<ChannelRefundState>.Ok ok
                ? applier.DecideRefund(cur, r, ok.Value, now, attempt)
                : applier.RefundFollowUp(cur, r.RecordQuery(now), now, attempt);
            final = change?.UpdatedRefunds.FirstOrDefault(u => u.Id == refundId) ?? r;
            return change;
        }, cancellationToken);

        if (final is { } f && f.Status.IsTerminal())
        {
            await openPayments.RemoveAsync(f, cancellationToken);
        }
    }

    private async Task<Payment?> CreateAsync(Payment payment, ChannelAccount account, IPaymentChannel channel, int attempt, CancellationToken cancellationToken)
    {
        if (payment.Status != PaymentStatus.Created)
        {
            return payment;
        }

        var request = new ChannelCreateRequest(
            payment.Id, payment.Amount, payment.Method, payment.Subject, payment.Description, payment.ExpiresAt,
            callbacks.For(payment.Channel, payment.ChannelAccountId), payment.Payer?.Ip,
            Uri.TryCreate(payment.ReturnUrl, UriKind.Absolute, out var returnUrl) ? returnUrl : null, payment.CreatedAt);
        var result = await channel.CreateAsync(account, request, cancellationToken);
        var now = time.GetUtcNow();

        // Only steers the next new payments. This one stays at its account whatever happened: an
        // unknown outcome may have placed the order there, and queries settle it.
        if (result is ChannelResult<ChannelOrder>.Unknown)
        {
            health?.RecordFailure(account.Id);
        }
        else if (result is ChannelResult<ChannelOrder>.Ok or ChannelResult<ChannelOrder>.Rejected)
        {
            health?.RecordSuccess(account.Id);
        }

        switch (result)
        {
            case ChannelResult<ChannelOrder>.Ok ok:
                return await committer.CommitAsync(payment.Id, cur =>
                {
                    var (outcome, next) = cur.Value.MarkPending(new NextAction(ok.Value.NextActionType, ok.Value.NextActionUrl), now);
                    if (outcome != TransitionOutcome.Applied)
                    {
                        return null; // a callback or query got there first
                    }

                    var outbox = new List<OutboxMessage>
                    {
                        ChannelRequests.Message(next.Id, ChannelRequestKind.Query, 1, now + schedules.FollowUpDelay(1)),
                        ChannelRequests.Message(next.Id, ChannelRequestKind.Expire, 0, next.ExpiresAt),
                    };
                    var events = new List<Webhooks.WebhookEvent>();
                    if (PaymentEvents.For(next, now) is { } e)
                    {
                        events.Add(e.Event);
                        outbox.Add(e.Message);
                    }

                    return new PaymentChange(cur, next) { Outbox = outbox, NewEvents = events };
                }, cancellationToken);

            case ChannelResult<ChannelOrder>.Rejected rejected:
                // A refusal may mean the order exists already (paid, closed, ...): ask before failing.
                logger.LogInformation("Channel refused create of {PaymentId}: {Code} {Message}", payment.Id, rejected.Code, rejected.Message);
                var query = await channel.QueryAsync(account, payment.Id, payment.CreatedAt, cancellationToken);
                if (query is ChannelResult<ChannelPaymentState>.Ok { Value.Status: ChannelPaymentStatus.NotFound })
                {
                    return await committer.CommitAsync(payment.Id, cur => applier.Decide(
                        cur, new ChannelPaymentState(ChannelPaymentStatus.Failed, null, null, null, rejected.Code, rejected.Message), now, 0), cancellationToken);
                }

                return await ApplyQueryAsync(payment.Id, query, attempt + 1, now, cancellationToken);

            case ChannelResult<ChannelOrder>.NotSupported notSupported:
                return await committer.CommitAsync(payment.Id, cur => applier.Decide(
                    cur, new ChannelPaymentState(ChannelPaymentStatus.Failed, null, null, null, "not_supported", $"{payment.Channel} does not support {notSupported.Flow}."), now, 0), cancellationToken);

            default:
                // Unknown: the order may or may not exist. Leave it for the follow-up query, never fail by guess.
                logger.LogWarning("Create of {PaymentId} has an unknown outcome: {Reason}", payment.Id, (result as ChannelResult<ChannelOrder>.Unknown)?.Reason);
                return await committer.CommitAsync(payment.Id, cur => cur.Value.Status != PaymentStatus.Created ? null : new PaymentChange(cur, cur.Value with { UpdatedAt = now })
                {
                    Outbox =
                    [
                        ChannelRequests.Message(payment.Id, ChannelRequestKind.Query, attempt + 1, now + schedules.FollowUpDelay(1)),
                        ChannelRequests.Message(payment.Id, ChannelRequestKind.Expire, 0, cur.Value.ExpiresAt),
                    ],
                }, cancellationToken);
        }
    }

    private async Task<Payment?> QueryAsync(Payment payment, ChannelAccount account, IPaymentChannel channel, int attempt, CancellationToken cancellationToken)
    {
        var result = await channel.QueryAsync(account, payment.Id, payment.CreatedAt, cancellationToken);
        return await ApplyQueryAsync(payment.Id, result, attempt, time.GetUtcNow(), cancellationToken);
    }

    private Task<Payment?> ApplyQueryAsync(string paymentId, ChannelResult<ChannelPaymentState> result, int attempt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (result is ChannelResult<ChannelPaymentState>.Ok ok)
        {
            return committer.CommitAsync(paymentId, cur => cur.Value.Status.IsTerminal() && ok.Value.Status != ChannelPaymentStatus.Succeeded
                ? null
                : applier.Decide(cur, ok.Value, now, attempt), cancellationToken);
        }

        logger.LogWarning("Query of {PaymentId} got no answer ({Result}); will ask again", paymentId, result.GetType().Name);
        return committer.CommitAsync(paymentId, cur => cur.Value.Status.IsTerminal() ? null : applier.FollowUp(cur, cur.Value.RecordQuery(now), now, Math.Max(attempt, 1)), cancellationToken);
    }

    private async Task<Payment?> CloseAsync(Payment payment, ChannelAccount account, IPaymentChannel channel, ChannelRequestMessage message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (message.Kind == ChannelRequestKind.Expire && !payment.IsExpiredAt(now))
        {
            // Delivered early (queue delays have whole-second resolution, clocks differ): come back on time.
            var onTime = ChannelRequests.Message(payment.Id, ChannelRequestKind.Expire, message.Attempt + 1, payment.ExpiresAt);
            return await committer.CommitAsync(payment.Id, cur => cur.Value.Status.IsTerminal() ? null : new PaymentChange(cur, cur.Value) { Outbox = [onTime] }, cancellationToken);
        }

        // Ask first: closing an order that was just paid must end in succeeded, not closed.
        var query = await channel.QueryAsync(account, payment.Id, payment.CreatedAt, cancellationToken);
        if (query is ChannelResult<ChannelPaymentState>.Ok { Value.Status: ChannelPaymentStatus.Succeeded or ChannelPaymentStatus.Closed or ChannelPaymentStatus.NotFound } known)
        {
            var state = known.Value.Status == ChannelPaymentStatus.NotFound ? known.Value with { Status = ChannelPaymentStatus.Closed } : known.Value;
            return await committer.CommitAsync(payment.Id, cur => applier.Decide(cur, state, now, 0), cancellationToken);
        }

        // A reference the payer had partly paid closes holding that money, which must go back.
        var closed = query is ChannelResult<ChannelPaymentState>.Ok { Value: { PayerSetsAmount: true, PaidAmount: not null } held }
            ? held with { Status = ChannelPaymentStatus.Closed }
            : new ChannelPaymentState(ChannelPaymentStatus.Closed, null, null, null);
        var close = await channel.CloseAsync(account, payment.Id, cancellationToken);
        switch (close)
        {
            case ChannelResult<Unit>.Ok or ChannelResult<Unit>.NotSupported:
                return await committer.CommitAsync(payment.Id, cur => applier.Decide(cur, closed, now, 0), cancellationToken);
            default:
                // Refused (paid meanwhile?) or no answer: query and retry later rather than guess.
                logger.LogWarning("Close of {PaymentId} did not complete ({Result}); retrying later", payment.Id, close.GetType().Name);
                var retry = ChannelRequests.Message(payment.Id, message.Kind, message.Attempt + 1, now + schedules.ChannelRetry);
                return await committer.CommitAsync(payment.Id, cur => cur.Value.Status.IsTerminal() ? null : new PaymentChange(cur, cur.Value.RecordQuery(now)) { Outbox = [retry] }, cancellationToken);
        }
    }
}
