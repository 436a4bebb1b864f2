using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Core.Apps;
using Payments.Core.Messaging;
using Payments.Core.Observability;

namespace Payments.Core.Payments.CreatePayment;

public sealed record CreatePaymentResult(Payment Payment, bool Created);

/// <summary>Creates a payment idempotently on (app, merchantOrderNo): the payment id is derived
/// from them, so concurrent identical creates collide on insert and exactly one wins.</summary>
public sealed class CreatePaymentHandler(IPaymentStore store, TimeProvider time, PaymentSchedules schedules, PaymentsMetrics? metrics = null, Risk.RiskCheck? riskCheck = null, Attention.IAttentionLog? attention = null, Routing.IChannelHealth? health = null)
{
    public async Task<Result<CreatePaymentResult>> HandleAsync(App app, CreatePaymentCommand command, CancellationToken cancellationToken)
    {
        var errors = CreatePaymentValidator.Validate(command, schedules.MinExpiresInSeconds);
        if (errors.Count > 0)
        {
            return Problem.Validation(errors);
        }

        string channel = command.Channel!;
        if (!app.IsChannelEnabled(channel))
        {
            return new Problem(ProblemCodes.ChannelNotEnabled, $"Channel '{channel}' is not enabled for this app.");
        }

        var now = time.GetUtcNow();
        string id = Ids.PaymentId(app.Id, command.MerchantOrderNo!);

        // The payment's first span: its trace id becomes the payment's correlation id, and the baggage
        // makes the messages built below carry it.
        using var activity = PaymentsTelemetry.Source.StartActivity("payment.create");
        if (activity is not null)
        {
            string correlationId = activity.TraceId.ToHexString();
            activity.SetBaggage(PaymentsTelemetry.CorrelationBaggage, correlationId);
            activity.SetTag(PaymentsTelemetry.CorrelationTag, correlationId).SetTag(PaymentsTelemetry.PaymentIdTag, id);
        }

        // Before risk control, so a payment no account can take leaves no trace there either.
        var amount = new Money(command.Amount!.Value, Currency.Parse(command.Currency!));
        var route = Routing.PaymentRouter.Route(app, channel, id, amount, command.Method!, health);
        if (route.Problem is { } unroutable)
        {
            // A retried create of a payment that exists keeps the account it was routed to then.
            return await store.GetAsync(id, cancellationToken) is { } existing ? Existing(existing.Value, RequestHash(command)) : unroutable;
        }

        // Denied means nothing is stored; null means the payment exists and the insert below finds it.
        var risk = riskCheck is null ? null : await riskCheck.AssessAsync(
            new Risk.RiskSubject(app.MerchantId, id, amount, command.Payer?.Id, command.Payer?.Ip, now),
            async ct => await store.GetAsync(id, ct) is not null,
            cancellationToken);
        if (risk is { Action: Risk.RiskAction.Deny })
        {
            return risk.ToProblem();
        }

        var payment = new Payment
        {
            Id = id,
            AppId = app.Id,
            MerchantId = app.MerchantId,
            MerchantOrderNo = command.MerchantOrderNo!,
            Amount = amount,
            Channel = channel,
            Method = command.Method!,
            Subject = command.Subject!,
            Description = command.Description,
            NotifyUrl = command.NotifyUrl ?? app.NotifyUrl,
            ReturnUrl = command.ReturnUrl,
            Payer = command.Payer is { } p ? new Payer(p.Id, p.Ip) : null,
            Metadata = command.Metadata ?? new Dictionary<string, string>(),
            ChannelAccountId = route.Value!.ChannelAccountId,
            Routing = route.Value,
            RequestHash = RequestHash(command),
            ExpiresAt = TruncateToSeconds(now.AddSeconds(command.ExpiresInSeconds ?? CreatePaymentValidator.DefaultExpiresInSeconds)),
            CreatedAt = now,
            UpdatedAt = now,
            TraceParent = PaymentsTelemetry.CurrentTraceParent(),
            Risk = risk,
            // A payment risk control wants reviewed proceeds, and goes on the operators' list.
            AttentionReason = risk?.Action == Risk.RiskAction.Review ? "risk_review: " + string.Join(",", risk.Reasons) : null,
        };

        // One message on the request path; the create consumer schedules the expiry and follow-ups.
        var outbox = new List<OutboxMessage> { ChannelRequests.Message(id, ChannelRequestKind.Create, 0) };

        if (attention is not null && payment.AttentionReason is { } reason)
        {
            // Before the insert, like every raise: shown only if the payment really carries the reason.
            await attention.RaiseAsync(Attention.AttentionItem.ForPayment(payment, reason, now), cancellationToken);
        }

        var (outcome, stored) = await store.CreateAsync(payment, outbox, cancellationToken);
        if (outcome == CreateOutcome.Created)
        {
            metrics?.PaymentEntered(stored.Value.Status.ToWire(), stored.Value.Channel);
            return new CreatePaymentResult(stored.Value, Created: true);
        }

        return Existing(stored.Value, payment.RequestHash);
    }

    private static Result<CreatePaymentResult> Existing(Payment stored, string requestHash) => stored.RequestHash == requestHash
        ? new CreatePaymentResult(stored, Created: false)
        : new Problem(ProblemCodes.IdempotencyConflict, "A payment with this merchantOrderNo exists with different parameters.");

    /// <summary>A canonical digest of everything the storefront chose; defaults are not applied first,
    /// so leaving a field out and sending its default are different requests (as Stripe treats them).</summary>
    internal static string RequestHash(CreatePaymentCommand c)
    {
        var sb = new StringBuilder();
        void Part(string? s) => sb.Append(s is null ? "-" : $"{s.Length}:{s}").Append('|');
        Part(c.MerchantOrderNo);
        Part(c.Amount?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Part(c.Currency);
        Part(c.Channel);
        Part(c.Method);
        Part(c.Subject);
        Part(c.Description);
        Part(c.NotifyUrl);
        Part(c.ReturnUrl);
        Part(c.ExpiresInSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Part(c.Payer?.Id);
        Part(c.Payer?.Ip);
        foreach (var (k, v) in (c.Metadata ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Part(k);
            Part(v);
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), t.Offset);
}

/// <summary>Builds channel-request messages with ids derived from their cause.</summary>
public static class ChannelRequests
{
    public static OutboxMessage Message(string paymentId, ChannelRequestKind kind, int attempt, DateTimeOffset? notBefore = null, string? refundId = null) => new(
        Ids.MessageId(paymentId, kind.ToString(), attempt.ToString(System.Globalization.CultureInfo.InvariantCulture), refundId ?? ""),
        Queues.ChannelRequests,
        JsonSerializer.Serialize(new ChannelRequestMessage(kind, paymentId, attempt, refundId), CoreJson.Default.ChannelRequestMessage),
        notBefore);
}
