using Azure;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Payments.Core.Messaging;
using Payments.Infrastructure.Backup;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Infrastructure.Tests.Backup;

/// <summary>Backs real Azurite tables up, deletes them, restores them, and compares entity by entity,
/// types included.</summary>
public sealed class TableBackupTests : IAsyncLifetime
{
    private static readonly byte[] Bytes = [0, 1, 2, 250, 255, 10, 13];

    private readonly StorageOptions _storage = Azurite.IsolatedOptions();
    private readonly StorageClients _clients;
    private readonly TableBackupService _backup;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tablebackup-" + Guid.NewGuid().ToString("N"));
    private readonly string _container = "backups-" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<string> _extraPrefixes = [];

    public TableBackupTests()
    {
        _clients = new StorageClients(_storage);
        _backup = TableBackupCommand.Create(_storage, new BackupOptions { Container = _container, ConnectionString = Azurite.ConnectionString }, new DefaultAzureCredential());
    }

    public Task InitializeAsync() => _clients.EnsureCreatedAsync([], CancellationToken.None);

    public async Task DisposeAsync()
    {
        await _clients.DeleteAllAsync(Queues.All, CancellationToken.None);
        foreach (string prefix in _extraPrefixes)
        {
            foreach (string table in StorageClients.TableNames)
            {
                await _clients.TableService.DeleteTableAsync(prefix + table);
            }
        }

        await new BlobServiceClient(Azurite.ConnectionString).GetBlobContainerClient(_container).DeleteIfExistsAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Every EDM type the app writes (string, Int64, Int32, Boolean, DateTime, Double) and the
    /// ones it may (Binary, Guid), in several partitions, one of them larger than a transaction.</summary>
    private async Task SeedAsync()
    {
        var payments = _clients.Payments;
        var at = new DateTimeOffset(2026, 11, 24, 1, 2, 3, TimeSpan.Zero).AddTicks(1234567);
        await payments.AddEntityAsync(new TableEntity("pay_types", "payment")
        {
            ["Data"] = "{\"id\":\"pay_types\",\"note\":\"quotes \\\" and unicode 支付 ✓\"}",
            ["Amount"] = long.MaxValue - 7,
            ["Attempts"] = int.MinValue,
            ["Processed"] = true,
            ["Closed"] = false,
            ["CreatedAt"] = at,
            ["Whole"] = 2.0,
            ["Fraction"] = 0.1,
            ["Huge"] = -1.5e300,
            ["Raw"] = Bytes,
            ["Token"] = Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"),
            ["Empty"] = "",
        });
        for (int p = 0; p < 5; p++)
        {
            var batch = Enumerable.Range(0, 40).Select(r => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity($"pay_{p:D3}", $"outbox|{r:D4}")
            {
                ["Queue"] = "channel-requests",
                ["Body"] = $"{{\"paymentId\":\"pay_{p:D3}\",\"attempt\":{r}}}",
                ["WrittenAt"] = at.AddSeconds(r),
            }));
            await payments.SubmitTransactionAsync(batch);
        }

        // 250 rows in one partition: a restore has to split them over several transactions.
        for (int chunk = 0; chunk < 250; chunk += 100)
        {
            await _clients.Nonces.SubmitTransactionAsync(Enumerable.Range(chunk, Math.Min(100, 250 - chunk)).Select(i =>
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("app_big", $"nonce{i:D5}") { ["UsedAt"] = at, ["Claim"] = Guid.NewGuid().ToString("N") })));
        }

        await _clients.Apps.AddEntityAsync(new TableEntity("app_1", "app") { ["Data"] = "{\"id\":\"app_1\"}" });
    }

    private async Task<Dictionary<string, Dictionary<(string, string), TableEntity>>> ReadAllAsync(string prefix)
    {
        var all = new Dictionary<string, Dictionary<(string, string), TableEntity>>();
        foreach (string table in StorageClients.TableNames)
        {
            var rows = new Dictionary<(string, string), TableEntity>();
            try
            {
                await foreach (var e in _clients.TableService.GetTableClient(prefix + table).QueryAsync<TableEntity>())
                {
                    rows[(e.PartitionKey, e.RowKey)] = e;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                rows = [];
            }

            all[table] = rows;
        }

        return all;
    }

    private static void AssertSame(Dictionary<string, Dictionary<(string, string), TableEntity>> expected, Dictionary<string, Dictionary<(string, string), TableEntity>> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (table, rows) in expected)
        {
            Assert.Equal(rows.Count, actual[table].Count);
            foreach (var (key, entity) in rows)
            {
                Assert.True(actual[table].TryGetValue(key, out var restored), $"{table} {key} is missing");
                var want = Properties(entity);
                var got = Properties(restored!);
                Assert.Equal(want.Keys.Order(), got.Keys.Order());
                foreach (var (name, value) in want)
                {
                    Assert.True(value.GetType() == got[name].GetType(), $"{table} {key} {name}: {value.GetType()} became {got[name].GetType()}");
                    if (value is byte[] bytes)
                    {
                        Assert.Equal(bytes, (byte[])got[name]);
                    }
                    else
                    {
                        Assert.Equal(value, got[name]);
                    }
                }
            }
        }
    }

    private static Dictionary<string, object> Properties(TableEntity e) =>
        e.Where(p => p.Key is not ("Timestamp" or "odata.etag") && p.Value is not null).ToDictionary(p => p.Key, p => p.Value);

    private async Task DeleteTablesAsync()
    {
        foreach (string table in StorageClients.TableNames)
        {
            await _clients.TableService.DeleteTableAsync(_storage.Table(table));
        }
    }

    [Fact]
    public async Task EveryEntityComesBackWithItsTypesAfterTheTablesAreDeleted()
    {
        await SeedAsync();
        var before = await ReadAllAsync(_storage.TablePrefix);
        Assert.Equal(1 + 200, before["payments"].Count);

        var backup = await _backup.BackupAsync(new DirectoryBackupLocation(_directory), CancellationToken.None);
        Assert.Equal(1 + 200 + 250 + 1, backup.Entities);
        Assert.True(File.Exists(Path.Combine(_directory, backup.Snapshot, TableBackupService.ManifestName)));
        Assert.Equal(201, File.ReadLines(Path.Combine(_directory, backup.Snapshot, "payments.jsonl")).Count());

        // The raw types are written out, so the file can be read without our code.
        string typed = File.ReadLines(Path.Combine(_directory, backup.Snapshot, "payments.jsonl")).Single(l => l.Contains("pay_types", StringComparison.Ordinal));
        Assert.Contains("\"Amount@odata.type\":\"Edm.Int64\",\"Amount\":\"9223372036854775800\"", typed, StringComparison.Ordinal);

        await DeleteTablesAsync();
        Assert.All((await ReadAllAsync(_storage.TablePrefix)).Values, rows => Assert.Empty(rows));

        var restore = await _backup.RestoreAsync(new DirectoryBackupLocation(_directory), null, CancellationToken.None);
        Assert.Equal(backup.Snapshot, restore.Snapshot);
        Assert.Equal(backup.Entities, restore.Entities);
        AssertSame(before, await ReadAllAsync(_storage.TablePrefix));
    }

    [Fact]
    public async Task ABlobBackupRestoresIntoAnotherPrefixAndRestoringTwiceChangesNothing()
    {
        await SeedAsync();
        var before = await ReadAllAsync(_storage.TablePrefix);
        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        string url = blobs.GetBlobContainerClient(_container).Uri.ToString();

        var backup = await _backup.BackupAsync(_backup.Resolve(url), CancellationToken.None);
        var names = new List<string>();
        await foreach (var blob in blobs.GetBlobContainerClient(_container).GetBlobsAsync())
        {
            names.Add(blob.Name);
        }

        Assert.Contains($"{backup.Snapshot}/{TableBackupService.ManifestName}", names);
        Assert.Contains($"{backup.Snapshot}/payments.jsonl", names);

        string other = _storage.TablePrefix + "r";
        _extraPrefixes.Add(other);
        await _backup.RestoreAsync(_backup.Resolve(url), other, CancellationToken.None);
        await _backup.RestoreAsync(_backup.Resolve($"{url}/{backup.Snapshot}"), other, CancellationToken.None);
        AssertSame(before, await ReadAllAsync(other));
    }

    [Fact]
    public async Task RestoreTakesTheNewestCompleteSnapshotAndIgnoresAnUnfinishedOne()
    {
        await SeedAsync();
        var first = await _backup.BackupAsync(new DirectoryBackupLocation(_directory), CancellationToken.None);

        // A later export that died before its manifest: newer by name, but not a snapshot.
        string unfinished = Path.Combine(_directory, "99991231T235959Z");
        Directory.CreateDirectory(unfinished);
        await File.WriteAllTextAsync(Path.Combine(unfinished, "payments.jsonl"), "{\"PartitionKey\":\"x\",\"RowKey\":\"y\"}\n");

        string other = _storage.TablePrefix + "n";
        _extraPrefixes.Add(other);
        var restore = await _backup.RestoreAsync(new DirectoryBackupLocation(_directory), other, CancellationToken.None);
        Assert.Equal(first.Snapshot, restore.Snapshot);
        Assert.Equal(first.Entities, restore.Entities);
    }

    [Fact]
    public async Task TheCommandsBackUpAndRestoreWithTheAppsSettings()
    {
        await SeedAsync();
        var before = await ReadAllAsync(_storage.TablePrefix);
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = _storage.ConnectionString,
            ["Storage:TablePrefix"] = _storage.TablePrefix,
        }).Build();

        var output = new StringWriter();
        Assert.Equal(0, await TableBackupCommand.RunAsync([TableBackupCommand.Backup, "--to", _directory], output, settings));
        await DeleteTablesAsync();
        Assert.Equal(0, await TableBackupCommand.RunAsync([TableBackupCommand.Restore, "--from", _directory], output, settings));

        Assert.Contains("Backed up 452 entities", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("Restored 452 entities", output.ToString(), StringComparison.Ordinal);
        AssertSame(before, await ReadAllAsync(_storage.TablePrefix));
        Assert.Equal(2, await TableBackupCommand.RunAsync([TableBackupCommand.Restore], output, settings));
        Assert.Equal(1, await TableBackupCommand.RunAsync([TableBackupCommand.Restore, "--from", Path.Combine(_directory, "nothing-here")], output, settings));
        Assert.Contains("No complete snapshot", output.ToString(), StringComparison.Ordinal);
    }
}
