using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Refunds;

namespace Payments.Core.Reconciliation;

/// <summary>A final payment or refund as the reconciliation index keeps it. Written through the outbox in
/// the same transaction as the change that made it final, so every final record reaches the index.</summary>
public sealed record IndexEntry(
    string Id,
    TransactionKind Kind,
    string PaymentId,
    string ChannelAccountId,
    string? ChannelTransactionId,
    long Amount,
    string Currency,
    TransactionStatus Status,
    DateTimeOffset Time)
{
    public SystemRecord ToRecord() => new(
        Id, Kind, ChannelTransactionId, new Money(Amount, Core.Currency.Parse(Currency)), Status, Time,
        PaymentId: Kind == TransactionKind.Refund ? PaymentId : null);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(IndexEntry))]
public sealed partial class ReconciliationJson : JsonSerializerContext;

/// <summary>Turns a committed change into index entries for what it made final.</summary>
public static class ReconciliationFeed
{
    /// <summary>Not a queue: the outbox relay writes these messages into the reconciliation index.</summary>
    public const string Sink = "reconciliation-index";

    public static IReadOnlyList<OutboxMessage> For(PaymentChange change)
    {
        var before = change.Current.Value;
        var after = change.Next;
        var messages = new List<OutboxMessage>();
        if (after.Status.IsTerminal() && before.Status != after.Status)
        {
            var record = ReconciledPayment.Of(after);
            messages.Add(Message(new IndexEntry(
                after.Id, TransactionKind.Payment, after.Id, after.ChannelAccountId, after.ChannelTransactionId, record.Amount.MinorUnits,
                record.Amount.Currency.Code, record.Status, record.Time)));
        }

        foreach (var refund in change.UpdatedRefunds.Where(r => r.Status.IsTerminal()))
        {
            // Each refund becomes final once (terminal states never change), so its entry is written once.
            messages.Add(Message(new IndexEntry(
                refund.Id, TransactionKind.Refund, after.Id, after.ChannelAccountId, refund.ChannelRefundId, refund.Amount.MinorUnits,
                refund.Amount.Currency.Code, refund.Status == RefundStatus.Succeeded ? TransactionStatus.Succeeded : TransactionStatus.Failed,
                refund.SucceededAt ?? refund.UpdatedAt)));
        }

        return messages;
    }

    private static OutboxMessage Message(IndexEntry e) =>
        new(Ids.MessageId(e.Id, "reconciliation-index", e.Status.ToString()), Sink, JsonSerializer.Serialize(e, ReconciliationJson.Default.IndexEntry));
}

/// <summary>
/// A payment in reconciliation terms: the status, amount and time the statement is compared with. The feed writes it,
/// the index check and the run read the store through it, so the three never disagree.
/// </summary>
/// <remarks>
/// <para>Where the payer set the amount, the bank lists the money that arrived, not the amount due, so the record is
/// <see cref="Payment.AmountReceived"/>: an over-payment's excess is on the statement as part of the credit and again
/// as the return of the <c>auto-over-</c> refund, whose own record matches that return.</para>
/// <para>A payment that closed holding money is, on the statement, a credit and the return of its
/// <c>auto-partial-</c> refund. Money did move in, so its record is succeeded for what was held, at the time it
/// arrived; the store keeps it closed. One that closed holding nothing stays a closed record, never expected.</para>
/// </remarks>
public readonly record struct ReconciledPayment(TransactionStatus Status, Money Amount, DateTimeOffset Time)
{
    public static ReconciledPayment Of(Payment payment)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return payment switch
        {
            { Status: PaymentStatus.Succeeded } =>
                new(TransactionStatus.Succeeded, payment.AmountReceived ?? payment.Amount, payment.SucceededAt ?? payment.UpdatedAt),
            { Status: PaymentStatus.Closed, AmountReceived: { MinorUnits: > 0 } held } =>
                new(TransactionStatus.Succeeded, held, payment.ReceivedAt ?? payment.UpdatedAt),
            _ => new(
                payment.Status switch
                {
                    PaymentStatus.Closed => TransactionStatus.Closed,
                    PaymentStatus.Failed => TransactionStatus.Failed,
                    _ => TransactionStatus.Processing,
                },
                payment.Amount,
                payment.SucceededAt ?? payment.UpdatedAt),
        };
    }
}
