using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Backup;

/// <summary>Where the scheduled backup goes: the <see cref="Container"/> container of the blob service
/// named by <see cref="BlobServiceUri"/> (Microsoft Entra identity) or <see cref="ConnectionString"/>;
/// when neither is set, the blob service of the storage account that holds the tables.</summary>
public sealed class BackupOptions
{
    public string Container { get; set; } = "backups";

    public Uri? BlobServiceUri { get; set; }

    public string? ConnectionString { get; set; }
}

public sealed record TableBackupCount(string Table, long Entities);

/// <summary>Written last into a snapshot: a snapshot folder without one is incomplete and never restored.</summary>
public sealed record TableBackupManifest(string Format, DateTimeOffset CreatedAt, string TablePrefix, IReadOnlyList<TableBackupCount> Tables);

public sealed record TableBackupReport(string Location, string Snapshot, long Entities, double Seconds);

public sealed record TableRestoreReport(string Snapshot, string TablePrefix, long Entities, double Seconds)
{
    public double EntitiesPerSecond => Seconds > 0 ? Entities / Seconds : 0;
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(TableBackupManifest))]
internal sealed partial class BackupJson : JsonSerializerContext;

/// <summary>Exports every table to JSON Lines (one entity per line, <see cref="EntityJson"/>) in a
/// snapshot folder named by its UTC start time, and restores a snapshot by upserting it back, so a
/// restore can be repeated or resumed safely. A snapshot is a scan, not a point in time: rows written
/// while it runs may or may not be in it (Table Storage offers no consistent snapshot).</summary>
public sealed class TableBackupService(
    StorageClients clients,
    StorageOptions storage,
    BackupOptions options,
    TokenCredential credential,
    TimeProvider time,
    ILogger<TableBackupService> logger)
{
    public const string Format = "table-jsonl/1";
    public const string ManifestName = "manifest.json";

    /// <summary>Table transactions hold at most 100 entities and 4 MiB; the byte budget leaves room for the batch framing.</summary>
    private const int MaxBatchEntities = 100;
    private const int MaxBatchChars = 2_500_000;

    /// <summary>Concurrent transactions while restoring: enough to hide round trips, few enough to stay
    /// well under a partition's and an account's throughput targets.</summary>
    private const int RestoreParallelism = 8;

    public static string SnapshotName(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The configured backup container (the timer's destination).</summary>
    public IBackupLocation DefaultLocation() => new BlobBackupLocation(BlobService().GetBlobContainerClient(options.Container));

    /// <summary>A directory, or a blob container URL (optionally with a folder). A URL on the configured
    /// account is reached with the configured access; any other with its SAS, or with identity.</summary>
    public IBackupLocation Resolve(string target)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            return new DirectoryBackupLocation(Path.GetFullPath(target));
        }

        var service = BlobService();
        var parts = new BlobUriBuilder(url);
        var own = new BlobUriBuilder(service.Uri);
        if (string.IsNullOrEmpty(url.Query) && parts.Host == own.Host && parts.Port == own.Port && parts.AccountName == own.AccountName)
        {
            return new BlobBackupLocation(service.GetBlobContainerClient(parts.BlobContainerName), parts.BlobName ?? "");
        }

        return BlobBackupLocation.FromUrl(url, credential);
    }

    public async Task<TableBackupReport> RunScheduledAsync(CancellationToken cancellationToken) =>
        await BackupAsync(DefaultLocation(), cancellationToken);

    public async Task<TableBackupReport> BackupAsync(IBackupLocation root, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var createdAt = time.GetUtcNow();
        string snapshot = SnapshotName(createdAt);
        var folder = root.Folder(snapshot);
        var counts = new List<TableBackupCount>();
        foreach (string table in StorageClients.TableNames)
        {
            counts.Add(new TableBackupCount(table, await ExportTableAsync(clients.TableService.GetTableClient(storage.Table(table)), folder, table, cancellationToken)));
        }

        await using (var stream = await folder.OpenWriteAsync(ManifestName, cancellationToken))
        {
            await JsonSerializer.SerializeAsync(stream, new TableBackupManifest(Format, createdAt, storage.TablePrefix, counts), BackupJson.Default.TableBackupManifest, cancellationToken);
        }

        var report = new TableBackupReport(root.Name, snapshot, counts.Sum(c => c.Entities), clock.Elapsed.TotalSeconds);
        logger.LogInformation("Backed up {Entities} entities of {Tables} tables to {Location} snapshot {Snapshot} in {Seconds:0.0} s",
            report.Entities, counts.Count, report.Location, snapshot, report.Seconds);
        return report;
    }

    /// <param name="from">A snapshot folder, or a folder of snapshots (the newest complete one is restored).</param>
    /// <param name="tablePrefix">Restore into tables with this prefix; null for the configured one.</param>
    public async Task<TableRestoreReport> RestoreAsync(IBackupLocation from, string? tablePrefix, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (snapshot, name, manifest) = await FindSnapshotAsync(from, cancellationToken);
        string prefix = tablePrefix ?? storage.TablePrefix;
        long total = 0;
        foreach (var table in manifest.Tables)
        {
            var client = clients.TableService.GetTableClient(prefix + table.Table);
            await CreateTableAsync(client, cancellationToken);
            await using var stream = await snapshot.OpenReadAsync(table.Table + ".jsonl", cancellationToken)
                ?? throw new InvalidDataException($"Snapshot {name} lists table {table.Table} but has no {table.Table}.jsonl.");
            long restored = 0;
            await Parallel.ForEachAsync(
                BatchesAsync(stream, cancellationToken),
                new ParallelOptions { MaxDegreeOfParallelism = RestoreParallelism, CancellationToken = cancellationToken },
                async (batch, ct) =>
                {
                    await client.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct);
                    Interlocked.Add(ref restored, batch.Count);
                });
            if (restored != table.Entities)
            {
                throw new InvalidDataException($"Snapshot {name}: {table.Table} restored {restored} entities, the manifest says {table.Entities}.");
            }

            total += restored;
        }

        var report = new TableRestoreReport(name, prefix, total, clock.Elapsed.TotalSeconds);
        logger.LogInformation("Restored {Entities} entities from snapshot {Snapshot} into prefix '{Prefix}' in {Seconds:0.0} s ({Rate:0} entities/s)",
            total, name, prefix, report.Seconds, report.EntitiesPerSecond);
        return report;
    }

    private static async Task<long> ExportTableAsync(TableClient table, IBackupLocation folder, string name, CancellationToken cancellationToken)
    {
        long count = 0;
        await using var stream = await folder.OpenWriteAsync(name + ".jsonl", cancellationToken);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        try
        {
            await foreach (var entity in table.QueryAsync<TableEntity>(maxPerPage: 1000, cancellationToken: cancellationToken))
            {
                await writer.WriteLineAsync(EntityJson.Write(entity).AsMemory(), cancellationToken);
                count++;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404 && count == 0)
        {
            // Never created (nothing was ever written to it): an empty file says exactly that.
        }

        return count;
    }

    private static async Task<(IBackupLocation Snapshot, string Name, TableBackupManifest Manifest)> FindSnapshotAsync(IBackupLocation from, CancellationToken cancellationToken)
    {
        if (await ReadManifestAsync(from, cancellationToken) is { } direct)
        {
            return (from, from.Name, direct);
        }

        var names = new List<string>();
        await foreach (string folder in from.ListFoldersAsync(cancellationToken))
        {
            names.Add(folder);
        }

        // Names are UTC timestamps, so the ordinal order is the time order.
        foreach (string folder in names.OrderByDescending(n => n, StringComparer.Ordinal))
        {
            var snapshot = from.Folder(folder);
            if (await ReadManifestAsync(snapshot, cancellationToken) is { } manifest)
            {
                return (snapshot, folder, manifest);
            }
        }

        throw new InvalidDataException($"No complete snapshot (with {ManifestName}) in {from.Name}.");
    }

    private static async Task<TableBackupManifest?> ReadManifestAsync(IBackupLocation location, CancellationToken cancellationToken)
    {
        await using var stream = await location.OpenReadAsync(ManifestName, cancellationToken);
        if (stream is null)
        {
            return null;
        }

        var manifest = await JsonSerializer.DeserializeAsync(stream, BackupJson.Default.TableBackupManifest, cancellationToken);
        return manifest is { Format: Format } ? manifest : throw new InvalidDataException($"{location.Name}/{ManifestName} is not a {Format} manifest.");
    }

    /// <summary>Consecutive lines of one partition (an export lists each partition's rows together) as transactions.</summary>
    private static async IAsyncEnumerable<List<TableEntity>> BatchesAsync(Stream stream, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var batch = new List<TableEntity>();
        int chars = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var entity = EntityJson.Read(line);
            if (batch.Count > 0 && (batch[0].PartitionKey != entity.PartitionKey || batch.Count == MaxBatchEntities || chars + line.Length > MaxBatchChars))
            {
                yield return batch;
                batch = [];
                chars = 0;
            }

            batch.Add(entity);
            chars += line.Length;
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    /// <summary>Creates the table; a table deleted moments ago cannot be created again for a while (409 TableBeingDeleted).</summary>
    private async Task CreateTableAsync(TableClient table, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + TimeSpan.FromMinutes(3);
        while (true)
        {
            try
            {
                await table.CreateIfNotExistsAsync(cancellationToken);
                return;
            }
            catch (RequestFailedException e) when (e.Status == 409 && time.GetUtcNow() < deadline)
            {
                logger.LogInformation("Table {Table} is still being deleted; waiting to create it", table.Name);
                await Task.Delay(TimeSpan.FromSeconds(5), time, cancellationToken);
            }
        }
    }

    private BlobServiceClient BlobService()
    {
        if (options.BlobServiceUri is { } uri)
        {
            return new BlobServiceClient(uri, credential);
        }

        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return new BlobServiceClient(options.ConnectionString);
        }

        if (storage.TableServiceUri is { } tables)
        {
            // The same account's blob endpoint: https://{account}.table.core.windows.net -> .blob.
            var blob = new UriBuilder(tables) { Host = tables.Host.Replace(".table.", ".blob.", StringComparison.OrdinalIgnoreCase) };
            return new BlobServiceClient(blob.Uri, credential);
        }

        return new BlobServiceClient(storage.ConnectionString);
    }
}
