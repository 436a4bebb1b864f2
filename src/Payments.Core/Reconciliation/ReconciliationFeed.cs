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
            var status = after.Status switch
            {
                PaymentStatus.Succeeded => TransactionStatus.Succeeded,
                PaymentStatus.Closed => TransactionStatus.Closed,
                _ => TransactionStatus.Failed,
            };
            messages.Add(Message(new IndexEntry(
                after.Id, TransactionKind.Payment, after.Id, after.ChannelAccountId, after.ChannelTransactionId, after.Amount.MinorUnits,
                after.Currency.Code, status, after.SucceededAt ?? after.UpdatedAt)));
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
