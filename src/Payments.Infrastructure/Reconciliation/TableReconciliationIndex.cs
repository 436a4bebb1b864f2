using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Azure.Data.Tables;
using Payments.Core.Messaging;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Reconciliation;

/// <summary>Our side of reconciliation: final payments and refunds per channel account and business
/// day, spread over <see cref="Buckets"/> partitions so a day is read in parallel and written without a
/// hot partition. The row key is the payment or refund id, so an entry written twice is one entry.</summary>
public sealed class TableReconciliationIndex(StorageClients clients, ReconciliationOptions options) : IReconciliationIndex
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

    /// <summary>Every record of the account's business day; the buckets are read concurrently. A caller that stops
    /// early (or fails) stops the bucket readers too, instead of leaving them blocked on a full buffer.</summary>
    public async IAsyncEnumerable<IndexEntry> ReadDayAsync(string channelAccountId, DateOnly day, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var merged = Channel.CreateBounded<IndexEntry>(new BoundedChannelOptions(4096) { SingleReader = true });
        var readers = Task.WhenAll(Enumerable.Range(0, Buckets).Select(bucket => ReadBucketAsync(Partition(channelAccountId, day, bucket), merged.Writer, stop.Token)));

        // A cancelled read must end the day with an exception, never look like a shorter day.
        _ = readers.ContinueWith(
            t => merged.Writer.TryComplete(t.Exception?.InnerException ?? (t.IsCanceled ? new OperationCanceledException(stop.Token) : null)),
            CancellationToken.None,
            TaskContinuationOptions.None,
            TaskScheduler.Default);
        try
        {
            await foreach (var entry in merged.Reader.ReadAllAsync(cancellationToken))
            {
                yield return entry;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await readers.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReadBucketAsync(string partition, ChannelWriter<IndexEntry> writer, CancellationToken cancellationToken)
    {
        string filter = TableClient.CreateQueryFilter($"PartitionKey eq {partition}");
        await foreach (var e in clients.ReconciliationIndex.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["Data"], cancellationToken: cancellationToken))
        {
            await writer.WriteAsync(JsonSerializer.Deserialize(e.GetString("Data"), ReconciliationJson.Default.IndexEntry)!, cancellationToken);
        }
    }
}

/// <summary>Routes outbox messages meant for the reconciliation index into it; everything else goes to
/// the queues. The relay and the sweeper thus feed the index with the same at-least-once guarantee.</summary>
public sealed class IndexingPublisher(IMessagePublisher queues, TableReconciliationIndex index) : IMessagePublisher
{
    /// <summary>The transport's own publisher (Storage queues or Service Bus).</summary>
    public IMessagePublisher Queues => queues;

    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken) =>
        message.Queue == ReconciliationFeed.Sink
            ? index.WriteAsync(JsonSerializer.Deserialize(message.Body, ReconciliationJson.Default.IndexEntry)!, cancellationToken)
            : queues.PublishAsync(message, cancellationToken);
}
