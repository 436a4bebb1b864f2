using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Azure.Data.Tables;
using Payments.Core.Messaging;
using Payments.Core.Reconciliation;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Reconciliation;

/// <summary>Our side of reconciliation: final payments and refunds per channel account and business
/// day, spread over <see cref="Buckets"/> partitions so a day is read in parallel and written without a
/// hot partition. The row key is the payment or refund id, so an entry written twice is one entry.</summary>
public sealed class TableReconciliationIndex(StorageClients clients, ReconciliationOptions options)
{
    public const int Buckets = 16;

    public static string Partition(string channelAccountId, DateOnly day, int bucket) =>
        $"{channelAccountId}|{day:yyyyMMdd}|{bucket:D2}";

    public static int BucketOf(string id) => System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(id))[0] % Buckets;

    public Task WriteAsync(IndexEntry entry, CancellationToken cancellationToken)
    {
        var day = BusinessCalendar.DayOf(entry.Time, options.BusinessTimeZone);
        var entity = new TableEntity(Partition(entry.ChannelAccountId, day, BucketOf(entry.Id)), RowKeys.Sanitize(entry.Id))
        {
            ["Data"] = JsonSerializer.Serialize(entry, ReconciliationJson.Default.IndexEntry),
        };
        return clients.ReconciliationIndex.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Every record of the account's business day; the buckets are read concurrently.</summary>
    public async IAsyncEnumerable<IndexEntry> ReadDayAsync(string channelAccountId, DateOnly day, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var merged = Channel.CreateBounded<IndexEntry>(new BoundedChannelOptions(4096) { SingleReader = true });
        var readers = Enumerable.Range(0, Buckets).Select(async bucket =>
        {
            string filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition(channelAccountId, day, bucket)}");
            await foreach (var e in clients.ReconciliationIndex.QueryAsync<TableEntity>(filter, select: ["Data"], cancellationToken: cancellationToken))
            {
                await merged.Writer.WriteAsync(JsonSerializer.Deserialize(e.GetString("Data"), ReconciliationJson.Default.IndexEntry)!, cancellationToken);
            }
        }).ToList();
        var all = Task.WhenAll(readers).ContinueWith(t => merged.Writer.TryComplete(t.Exception), TaskScheduler.Default);

        await foreach (var entry in merged.Reader.ReadAllAsync(cancellationToken))
        {
            yield return entry;
        }

        await all;
    }
}

/// <summary>Routes outbox messages meant for the reconciliation index into it; everything else goes to
/// the queues. The relay and the sweeper thus feed the index with the same at-least-once guarantee.</summary>
public sealed class IndexingPublisher(IMessagePublisher queues, TableReconciliationIndex index) : IMessagePublisher
{
    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken) =>
        message.Queue == ReconciliationFeed.Sink
            ? index.WriteAsync(JsonSerializer.Deserialize(message.Body, ReconciliationJson.Default.IndexEntry)!, cancellationToken)
            : queues.PublishAsync(message, cancellationToken);
}
