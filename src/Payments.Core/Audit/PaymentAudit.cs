using System.Globalization;
using Payments.Core.Observability;
using Payments.Core.Payments;

namespace Payments.Core.Audit;

/// <summary>Turns a payment change into the audit records it owes: the payment's money state (status,
/// amount refunded, attention) before and after, each refund created, and each refund outcome. The
/// records are chained in the payment's partition and commit atomically with the change, so a money
/// state change without its audit record cannot exist.</summary>
public static class PaymentAudit
{
    public const string System = "system";

    /// <summary>The first record of a new payment's chain.</summary>
    public static (Payment Payment, AuditEntry Entry) Created(Payment payment, string actor)
    {
        var record = new AuditRecord(payment.CreatedAt, actor, "payment.created", payment.Id, null, Summary(payment), Correlation(payment));
        var entry = AuditChain.Next(0, AuditChain.Genesis, record);
        return (payment with { AuditSequence = entry.Sequence, AuditHash = entry.Hash }, entry);
    }

    /// <summary>The change with its audit records added and the payment's chain head moved.</summary>
    public static PaymentChange Record(PaymentChange change)
    {
        var before = change.Current.Value;
        var after = change.Next;
        var at = after.UpdatedAt;
        string? correlation = Correlation(after);
        var records = new List<AuditRecord>();
        if (before.Status != after.Status || before.AmountRefunded != after.AmountRefunded || before.AttentionReason != after.AttentionReason)
        {
            string action = before.Status != after.Status ? "payment." + after.Status.ToWire()
                : before.AttentionReason != after.AttentionReason ? (after.AttentionReason is null ? "payment.attention_cleared" : "payment.attention_raised")
                : "payment.amount_refunded_changed";
            records.Add(new AuditRecord(at, change.Actor, action, after.Id, Summary(before), Summary(after), correlation));
        }

        foreach (var refund in change.NewRefunds)
        {
            records.Add(new AuditRecord(at, change.Actor, "refund.created", refund.Id, null, Summary(refund), correlation));
        }

        foreach (var e in change.NewEvents.Where(e => e.Type.StartsWith("refund.", StringComparison.Ordinal)))
        {
            var refund = change.UpdatedRefunds.FirstOrDefault(r => e.Type == "refund." + r.Status.ToString().ToLowerInvariant());
            records.Add(new AuditRecord(at, change.Actor, e.Type, refund?.Id ?? after.Id, null, refund is null ? null : Summary(refund), correlation));
        }

        if (records.Count == 0)
        {
            return change;
        }

        var entries = new List<AuditEntry>();
        long sequence = before.AuditSequence;
        string hash = before.AuditHash;
        foreach (var record in records)
        {
            var entry = AuditChain.Next(sequence, hash, record);
            entries.Add(entry);
            (sequence, hash) = (entry.Sequence, entry.Hash);
        }

        return change with { Next = after with { AuditSequence = sequence, AuditHash = hash }, AuditEntries = entries };
    }

    private static string? Correlation(Payment p) => PaymentsTelemetry.CurrentCorrelationId() ?? PaymentsTelemetry.CorrelationOf(p.TraceParent);

    private static string Summary(Payment p) => string.Create(CultureInfo.InvariantCulture,
        $"status={p.Status.ToWire()} amount={p.Amount.MinorUnits} {p.Currency.Code} refunded={p.AmountRefunded} transaction={p.ChannelTransactionId ?? "-"} attention={p.AttentionReason ?? "-"}");

    private static string Summary(Refunds.Refund r) => string.Create(CultureInfo.InvariantCulture,
        $"status={r.Status.ToString().ToLowerInvariant()} amount={r.Amount.MinorUnits} {r.Amount.Currency.Code} merchantRefundNo={r.MerchantRefundNo}");
}
