using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Payments.Core;
using Payments.Core.Apps;
using Payments.Core.Channels;

namespace Payments.Infrastructure.Storage;

/// <summary>Apps and channel accounts, read through a short cache: every request needs its app, and
/// a change (rotation, suspension) may take this long to reach every instance.</summary>
public sealed class TableDirectories(StorageClients clients, TimeProvider time) : IAppDirectory, IChannelAccountDirectory
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, App? App)> _apps = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, ChannelAccount? Account)> _accounts = new();

    public async Task<App?> GetAppAsync(string appId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_apps.TryGetValue(appId, out var cached) && now - cached.At < CacheFor)
        {
            return cached.App;
        }

        var response = await clients.Apps.GetEntityIfExistsAsync<TableEntity>(appId, "app", cancellationToken: cancellationToken);
        App? app = null;
        if (response.HasValue && response.Value is not null)
        {
            var r = JsonSerializer.Deserialize(response.Value.GetString("Data"), StorageJson.Default.AppRecord)!;
            app = new App(r.Id, r.MerchantId, r.Name, r.ChannelAccounts, r.NotifyUrl,
                r.AppSecrets.Select(s => new Secret(s)).ToList(), r.WebhookSecrets.Select(s => new Secret(s)).ToList(), r.Active);
        }

        _apps[appId] = (now, app);
        return app;
    }

    public async Task<ChannelAccount?> GetChannelAccountAsync(string channelAccountId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_accounts.TryGetValue(channelAccountId, out var cached) && now - cached.At < CacheFor)
        {
            return cached.Account;
        }

        var response = await clients.ChannelAccounts.GetEntityIfExistsAsync<TableEntity>(channelAccountId, "account", cancellationToken: cancellationToken);
        ChannelAccount? account = null;
        if (response.HasValue && response.Value is not null)
        {
            var r = JsonSerializer.Deserialize(response.Value.GetString("Data"), StorageJson.Default.ChannelAccountRecord)!;
            account = new ChannelAccount(r.Id, r.Channel, r.Mode, r.MerchantId, new Uri(r.Endpoint),
                r.Credentials.ToDictionary(kv => kv.Key, kv => new Secret(kv.Value)));
        }

        _accounts[channelAccountId] = (now, account);
        return account;
    }

    public async Task SaveAppAsync(AppRecord app, CancellationToken cancellationToken)
    {
        await clients.Apps.UpsertEntityAsync(new TableEntity(app.Id, "app") { ["Data"] = JsonSerializer.Serialize(app, StorageJson.Default.AppRecord) }, TableUpdateMode.Replace, cancellationToken);
        _apps.TryRemove(app.Id, out _);
    }

    public async Task SaveChannelAccountAsync(ChannelAccountRecord account, CancellationToken cancellationToken)
    {
        await clients.ChannelAccounts.UpsertEntityAsync(new TableEntity(account.Id, "account") { ["Data"] = JsonSerializer.Serialize(account, StorageJson.Default.ChannelAccountRecord) }, TableUpdateMode.Replace, cancellationToken);
        _accounts.TryRemove(account.Id, out _);
    }
}

/// <summary>Nonces per app in Table Storage, so a replay is caught by whichever instance it reaches.
/// Every request writes one, so writes are group-committed: while one entity-group transaction of an
/// app's nonces is in flight, the next requests' nonces gather and go in the next one (same partition,
/// up to 100). A batch that fails for any reason (a replayed nonce in it, say) is redone one by one,
/// which decides each nonce exactly as a lone insert would.</summary>
public sealed class TableNonceStore(StorageClients clients, TimeProvider time) : INonceStore
{
    /// <summary>A nonce may be reused once its first use is surely outside the ±300 s window.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromSeconds(660);

    private const int MaxBatch = 100;

    private sealed record Claim(TableEntity Entity, TaskCompletionSource<bool> Result);

    private sealed class AppQueue
    {
        public readonly List<Claim> Pending = [];
        public bool Flushing;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AppQueue> _queues = new();

    public Task<bool> TryUseAsync(string appId, string nonce, DateTimeOffset requestTime, CancellationToken cancellationToken)
    {
        var claim = new Claim(
            new TableEntity(appId, nonce) { ["RequestTime"] = requestTime, ["UsedAt"] = time.GetUtcNow(), ["Claim"] = Guid.NewGuid().ToString("N") },
            new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        var queue = _queues.GetOrAdd(appId, _ => new AppQueue());
        bool flush;
        lock (queue)
        {
            queue.Pending.Add(claim);
            flush = !queue.Flushing;
            queue.Flushing = true;
        }

        if (flush)
        {
            _ = FlushAsync(queue);
        }

        return claim.Result.Task.WaitAsync(cancellationToken);
    }

    private async Task FlushAsync(AppQueue queue)
    {
        while (true)
        {
            List<Claim> batch;
            lock (queue)
            {
                if (queue.Pending.Count == 0)
                {
                    queue.Flushing = false;
                    return;
                }

                batch = queue.Pending.Take(MaxBatch).ToList();
                queue.Pending.RemoveRange(0, batch.Count);
            }

            try
            {
                if (batch.Count > 1 && batch.Select(c => c.Entity.RowKey).Distinct(StringComparer.Ordinal).Count() == batch.Count)
                {
                    try
                    {
                        await clients.Nonces.SubmitTransactionAsync(batch.Select(c => new TableTransactionAction(TableTransactionActionType.Add, c.Entity)), CancellationToken.None);
                        batch.ForEach(c => c.Result.TrySetResult(true));
                        continue;
                    }
                    catch (Exception e) when (e is TableTransactionFailedException or RequestFailedException)
                    {
                        // Decide each one on its own below.
                    }
                }

                await Task.WhenAll(batch.Select(async c =>
                {
                    try
                    {
                        c.Result.TrySetResult(await TryUseOneAsync(c.Entity));
                    }
                    catch (Exception e)
                    {
                        c.Result.TrySetException(e);
                    }
                }));
            }
            catch (Exception e)
            {
                batch.ForEach(c => c.Result.TrySetException(e));
            }
        }
    }

    private async Task<bool> TryUseOneAsync(TableEntity entity)
    {
        try
        {
            await clients.Nonces.AddEntityAsync(entity);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = await clients.Nonces.GetEntityIfExistsAsync<TableEntity>(entity.PartitionKey, entity.RowKey);
            if (!existing.HasValue || existing.Value is null)
            {
                return false; // deleted meanwhile by clean-up: refuse rather than race
            }

            if (existing.Value.GetString("Claim") == entity.GetString("Claim"))
            {
                return true; // a retry of our own insert (SDK retry, or the batch that actually went through)
            }

            if (time.GetUtcNow() - existing.Value.GetDateTimeOffset("UsedAt") < Retention)
            {
                return false;
            }

            try
            {
                await clients.Nonces.UpdateEntityAsync(entity, existing.Value.ETag, TableUpdateMode.Replace);
                return true;
            }
            catch (RequestFailedException re) when (re.Status is 412 or 404)
            {
                return false;
            }
        }
    }
}

/// <summary>Open payments by creation hour: the janitor reads a bounded set of partitions.</summary>
public sealed class TableOpenPaymentIndex(StorageClients clients) : Core.Payments.IOpenPaymentIndex
{
    private static string Bucket(DateTimeOffset t) => t.UtcDateTime.ToString("yyyyMMddHH", System.Globalization.CultureInfo.InvariantCulture);

    public Task AddAsync(Core.Payments.Payment payment, CancellationToken cancellationToken) =>
        clients.OpenPayments.UpsertEntityAsync(new TableEntity(Bucket(payment.CreatedAt), payment.Id) { ["CreatedAt"] = payment.CreatedAt }, TableUpdateMode.Replace, cancellationToken);

    public async Task RemoveAsync(Core.Payments.Payment payment, CancellationToken cancellationToken)
    {
        try
        {
            await clients.OpenPayments.DeleteEntityAsync(Bucket(payment.CreatedAt), payment.Id, ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    public async IAsyncEnumerable<string> ListAsync(DateTimeOffset from, DateTimeOffset to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var hour = new DateTimeOffset(from.UtcDateTime.Date.AddHours(from.UtcDateTime.Hour), TimeSpan.Zero); hour < to; hour = hour.AddHours(1))
        {
            string filter = TableClient.CreateQueryFilter($"PartitionKey eq {Bucket(hour)} and CreatedAt ge {from} and CreatedAt lt {to}");
            await foreach (var e in clients.OpenPayments.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken))
            {
                yield return e.RowKey;
            }
        }
    }
}
