using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Core.Reconciliation;
using Payments.Infrastructure.Reconciliation;
using Payments.Infrastructure.Storage;

/// <summary>
/// Our side of a reconciliation run at scale: one channel account's business day of <c>records</c> index entries,
/// written first (in entity-group batches, not timed as part of the read), then read back with
/// <see cref="TableReconciliationIndex.ReadDayAsync"/> (the 16 buckets concurrently), three times, and once bucket
/// after bucket for comparison. Prints wall time and records per second, and fails unless every read returns every
/// record exactly once.
/// </summary>
internal static class IndexReadBench
{
    private const string Account = "ca_bench";
    private const int Rounds = 3;
    private static readonly DateOnly Day = new(2026, 11, 22);

    public static async Task<int> RunAsync(string[] args, string connection)
    {
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        string tag = "i" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 8);
        var clients = new StorageClients(new StorageOptions { ConnectionString = connection, TablePrefix = tag, QueuePrefix = tag + "-" });
        await clients.ReconciliationIndex.CreateIfNotExistsAsync();
        var index = new TableReconciliationIndex(clients, ReconciliationOptions.Default);
        try
        {
            var clock = Stopwatch.StartNew();
            long expectedSum = await WriteAsync(clients, count);
            Console.WriteLine($"Wrote {count} index entries of {Account} {Day:yyyy-MM-dd} in {clock.Elapsed.TotalSeconds:0.0} s (entity-group batches, 16 buckets in parallel), Azurite at {connection}");
            Console.WriteLine();
            Console.WriteLine($"{"read",-42}{"wall s",10}{"records/s",12}");

            bool ok = true;
            for (int round = 1; round <= Rounds; round++)
            {
                clock.Restart();
                long read = 0, sum = 0;
                var seen = new HashSet<string>(count, StringComparer.Ordinal);
                await foreach (var entry in index.ReadDayAsync(Account, Day, CancellationToken.None))
                {
                    read++;
                    sum += entry.Amount;
                    seen.Add(entry.Id);
                }

                clock.Stop();
                ok &= Report($"ReadDayAsync, 16 buckets concurrently (#{round})", clock.Elapsed, read, sum, seen.Count, count, expectedSum);
            }

            clock.Restart();
            long sequential = 0, sequentialSum = 0;
            var ids = new HashSet<string>(count, StringComparer.Ordinal);
            for (int bucket = 0; bucket < TableReconciliationIndex.Buckets; bucket++)
            {
                string filter = TableClient.CreateQueryFilter($"PartitionKey eq {TableReconciliationIndex.Partition(Account, Day, bucket)}");
                await foreach (var e in clients.ReconciliationIndex.QueryAsync<TableEntity>(filter, maxPerPage: 1000, select: ["Data"]))
                {
                    var entry = JsonSerializer.Deserialize(e.GetString("Data"), ReconciliationJson.Default.IndexEntry)!;
                    sequential++;
                    sequentialSum += entry.Amount;
                    ids.Add(entry.Id);
                }
            }

            clock.Stop();
            ok &= Report("the same buckets one after another", clock.Elapsed, sequential, sequentialSum, ids.Count, count, expectedSum);
            return ok ? 0 : 1;
        }
        finally
        {
            await clients.ReconciliationIndex.DeleteAsync();
        }
    }

    /// <summary>Entries as <see cref="TableReconciliationIndex.WriteAsync"/> writes them, batched per partition.</summary>
    private static async Task<long> WriteAsync(StorageClients clients, int count)
    {
        var start = BusinessCalendar.StartOf(Day, BusinessCalendar.ChinaStandardTime);
        var entries = Enumerable.Range(0, count).Select(i =>
        {
            string id = $"pay_bench{i:D10}";
            var time = start.AddMilliseconds((long)i * 86_399_000 / count);
            return new IndexEntry(id, TransactionKind.Payment, id, Account, "4200" + i.ToString("D18", CultureInfo.InvariantCulture), 100 + (i % 10_000), "CNY", TransactionStatus.Succeeded, time);
        }).ToList();

        await Task.WhenAll(entries.GroupBy(e => TableReconciliationIndex.BucketOf(e.Id)).Select(async bucket =>
        {
            foreach (var batch in bucket.Chunk(100))
            {
                await clients.ReconciliationIndex.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(
                    TableTransactionActionType.UpsertReplace,
                    new TableEntity(TableReconciliationIndex.Partition(Account, Day, bucket.Key), e.Id)
                    {
                        ["Data"] = JsonSerializer.Serialize(e, ReconciliationJson.Default.IndexEntry),
                    })));
            }
        }));
        return entries.Sum(e => e.Amount);
    }

    private static bool Report(string label, TimeSpan elapsed, long read, long sum, int distinct, int expected, long expectedSum)
    {
        Console.WriteLine($"{label,-42}{elapsed.TotalSeconds,10:0.00}{read / elapsed.TotalSeconds,12:0}");
        if (read == expected && distinct == expected && sum == expectedSum)
        {
            return true;
        }

        Console.WriteLine($"  WRONG: read {read} records ({distinct} distinct, amounts {sum}); expected {expected} ({expectedSum})");
        return false;
    }
}
