using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Payments.Core.Audit;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Audit;

internal static class AuditEntities
{
    public static TableEntity ToEntity(string partition, string rowKey, AuditEntry e) => new(partition, rowKey)
    {
        ["Sequence"] = e.Sequence,
        ["At"] = e.Record.At,
        ["Actor"] = e.Record.Actor,
        ["Action"] = e.Record.Action,
        ["Subject"] = e.Record.Subject,
        ["Before"] = e.Record.Before,
        ["After"] = e.Record.After,
        ["CorrelationId"] = e.Record.CorrelationId,
        ["PreviousHash"] = e.PreviousHash,
        ["Hash"] = e.Hash,
    };

    public static AuditEntry FromEntity(TableEntity e) => new(
        e.GetInt64("Sequence") ?? 0,
        new AuditRecord(
            e.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue, e.GetString("Actor") ?? "", e.GetString("Action") ?? "", e.GetString("Subject") ?? "",
            e.GetString("Before"), e.GetString("After"), e.GetString("CorrelationId")),
        e.GetString("PreviousHash") ?? "",
        e.GetString("Hash") ?? "");
}

/// <summary>Operator actions in one hash chain: a head row (sequence and hash of the last record) and one
/// row per record, appended together in one ETag-guarded transaction, so two instances can never both
/// append record N. Payments' money trails are chained in their own partitions of the payments table.</summary>
public sealed class TableAuditTrail(StorageClients clients) : IAuditTrail
{
    private const string Partition = "operators";
    private const string HeadRow = "head";
    private const string EntryPrefix = "entry|";

    private static string EntryRow(long sequence) => EntryPrefix + sequence.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);

    public async Task<AuditEntry> AppendAsync(AuditRecord record, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var head = await clients.Audit.GetEntityIfExistsAsync<TableEntity>(Partition, HeadRow, cancellationToken: cancellationToken);
            long sequence = head.HasValue ? head.Value!.GetInt64("Sequence") ?? 0 : 0;
            string hash = head.HasValue ? head.Value!.GetString("Hash") ?? AuditChain.Genesis : AuditChain.Genesis;
            var entry = AuditChain.Next(sequence, hash, record);
            var newHead = new TableEntity(Partition, HeadRow) { ["Sequence"] = entry.Sequence, ["Hash"] = entry.Hash };
            TableTransactionAction[] actions =
            [
                head.HasValue
                    ? new(TableTransactionActionType.UpdateReplace, newHead, head.Value!.ETag)
                    : new(TableTransactionActionType.Add, newHead),
                new(TableTransactionActionType.Add, AuditEntities.ToEntity(Partition, EntryRow(entry.Sequence), entry)),
            ];
            try
            {
                await clients.Audit.SubmitTransactionAsync(actions, cancellationToken);
                return entry;
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 && attempt < 50)
            {
                // Another append won the race for this sequence number: read the new head and chain after it.
            }
        }
    }

    public async IAsyncEnumerable<AuditEntry> ListAsync(long? beforeSequence, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var head = await clients.Audit.GetEntityIfExistsAsync<TableEntity>(Partition, HeadRow, cancellationToken: cancellationToken);
        long last = head.HasValue ? head.Value!.GetInt64("Sequence") ?? 0 : 0;
        long from = Math.Min(last, (beforeSequence ?? long.MaxValue) - 1);
        // Row keys sort oldest first; read pages backwards by sequence so the newest come first.
        const int Page = 100;
        for (long high = from; high >= 1; high -= Page)
        {
            long low = Math.Max(1, high - Page + 1);
            string filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and RowKey ge {EntryRow(low)} and RowKey le {EntryRow(high)}");
            var page = new List<AuditEntry>();
            await foreach (var e in clients.Audit.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                page.Add(AuditEntities.FromEntity(e));
            }

            foreach (var entry in page.OrderByDescending(e => e.Sequence))
            {
                yield return entry;
            }
        }
    }

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        var head = await clients.Audit.GetEntityIfExistsAsync<TableEntity>(Partition, HeadRow, cancellationToken: cancellationToken);
        var entries = await ReadAllAsync(clients.Audit, Partition, EntryPrefix, cancellationToken);
        return AuditChain.Verify(entries, head.HasValue ? (head.Value!.GetInt64("Sequence") ?? 0, head.Value.GetString("Hash") ?? "") : (0, AuditChain.Genesis));
    }

    public async IAsyncEnumerable<AuditEntry> ListPaymentAsync(string paymentId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var entry in await ReadAllAsync(clients.Payments, paymentId, RowKeys.AuditPrefix, cancellationToken))
        {
            yield return entry;
        }
    }

    public async Task<AuditVerification?> VerifyPaymentAsync(string paymentId, CancellationToken cancellationToken)
    {
        var payment = await clients.Payments.GetEntityIfExistsAsync<TableEntity>(paymentId, RowKeys.Payment, select: ["AuditSeq", "AuditHash"], cancellationToken: cancellationToken);
        if (!payment.HasValue)
        {
            return null;
        }

        var entries = await ReadAllAsync(clients.Payments, paymentId, RowKeys.AuditPrefix, cancellationToken);
        return AuditChain.Verify(entries, (payment.Value!.GetInt64("AuditSeq") ?? 0, payment.Value.GetString("AuditHash") ?? AuditChain.Genesis));
    }

    private static async Task<List<AuditEntry>> ReadAllAsync(TableClient table, string partition, string prefix, CancellationToken cancellationToken)
    {
        // The prefix's last character + 1 bounds the range: every row key that starts with the prefix.
        string upper = prefix[..^1] + (char)(prefix[^1] + 1);
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {prefix} and RowKey lt {upper}");
        var entries = new List<AuditEntry>();
        await foreach (var e in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            entries.Add(AuditEntities.FromEntity(e));
        }

        return entries;
    }
}
