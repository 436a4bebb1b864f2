using System.Collections.Concurrent;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Payments.Core;
using Payments.Core.Apps;
using Payments.Core.Channels;
using Payments.Infrastructure.Keys;

namespace Payments.Infrastructure.Storage;

/// <summary>Apps and channel accounts, read through a short cache: every request needs its app, and
/// a change (rotation, suspension) may take this long to reach every instance.
/// <para>App secrets, webhook secrets and channel credentials are stored envelope-encrypted
/// (<see cref="SecretProtector"/>), each bound to its record and field; the cache holds them opened.
/// A record written before encryption fails to read with <see cref="ProtectedSecretException"/>.</para></summary>
public sealed class TableDirectories(StorageClients clients, SecretProtector secrets, TimeProvider time) : IAppDirectory, IChannelAccountDirectory
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
                await OpenAllAsync(r.AppSecrets, AppSecretsContext(r.Id), cancellationToken),
                await OpenAllAsync(r.WebhookSecrets, WebhookSecretsContext(r.Id), cancellationToken), r.Active, r.PreviousSecretsValidUntil,
                r.Routes?.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<Core.Routing.RouteCandidate>)[.. kv.Value.Select(c => c.ToDomain())], StringComparer.Ordinal));
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
            var credentials = new Dictionary<string, Secret>(StringComparer.Ordinal);
            foreach (var (name, value) in r.Credentials)
            {
                credentials[name] = new Secret(await secrets.UnprotectAsync(value, CredentialContext(r.Id, name), cancellationToken));
            }

            account = new ChannelAccount(r.Id, r.Channel, r.Mode, r.MerchantId, new Uri(r.Endpoint), credentials);
        }

        _accounts[channelAccountId] = (now, account);
        return account;
    }

    /// <summary>Stores an app given with its secrets in plain text; they are encrypted before they leave.</summary>
    public async Task SaveAppAsync(AppRecord app, CancellationToken cancellationToken)
    {
        var stored = app with
        {
            AppSecrets = await SealAllAsync(app.AppSecrets, AppSecretsContext(app.Id), cancellationToken),
            WebhookSecrets = await SealAllAsync(app.WebhookSecrets, WebhookSecretsContext(app.Id), cancellationToken),
        };
        await clients.Apps.UpsertEntityAsync(new TableEntity(app.Id, "app") { ["Data"] = JsonSerializer.Serialize(stored, StorageJson.Default.AppRecord) }, TableUpdateMode.Replace, cancellationToken);
        _apps.TryRemove(app.Id, out _);
    }

    /// <summary>Stores a channel account given with its credentials in plain text; they are encrypted before they leave.</summary>
    public async Task SaveChannelAccountAsync(ChannelAccountRecord account, CancellationToken cancellationToken)
    {
        var credentials = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in account.Credentials)
        {
            credentials[name] = await secrets.ProtectAsync(value, CredentialContext(account.Id, name), cancellationToken);
        }

        var stored = account with { Credentials = credentials };
        await clients.ChannelAccounts.UpsertEntityAsync(new TableEntity(account.Id, "account") { ["Data"] = JsonSerializer.Serialize(stored, StorageJson.Default.ChannelAccountRecord) }, TableUpdateMode.Replace, cancellationToken);
        _accounts.TryRemove(account.Id, out _);
    }

    /// <summary>Every channel account's public facts (never its credentials), for the admin API and routing.</summary>
    public async IAsyncEnumerable<ChannelAccountRecord> ListChannelAccountsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in clients.ChannelAccounts.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {"account"}"), cancellationToken: cancellationToken))
        {
            var r = JsonSerializer.Deserialize(e.GetString("Data"), StorageJson.Default.ChannelAccountRecord)!;
            yield return r with { Credentials = [] };
        }
    }

    /// <summary>An app's stored facts with its secrets still sealed (for the admin API, which never shows them).</summary>
    public async Task<AppRecord?> GetAppRecordAsync(string appId, CancellationToken cancellationToken)
    {
        if (!RowKeys.IsSafeKey(appId))
        {
            return null;
        }

        var response = await clients.Apps.GetEntityIfExistsAsync<TableEntity>(appId, "app", cancellationToken: cancellationToken);
        return response.HasValue && response.Value is { } e ? JsonSerializer.Deserialize(e.GetString("Data"), StorageJson.Default.AppRecord) : null;
    }

    /// <summary>Replaces an app's routes and keeps the rest as stored, its secrets sealed as they are.
    /// Null when there is no such app, false when the app changed between our read and our write.</summary>
    public async Task<bool?> TryReplaceRoutesAsync(string appId, Dictionary<string, List<RouteRecord>>? routes, CancellationToken cancellationToken)
    {
        if (!RowKeys.IsSafeKey(appId))
        {
            return null;
        }

        var response = await clients.Apps.GetEntityIfExistsAsync<TableEntity>(appId, "app", cancellationToken: cancellationToken);
        if (!response.HasValue || response.Value is not { } entity)
        {
            return null;
        }

        var current = JsonSerializer.Deserialize(entity.GetString("Data"), StorageJson.Default.AppRecord)!;
        string data = JsonSerializer.Serialize(current with { Routes = routes }, StorageJson.Default.AppRecord);
        try
        {
            await clients.Apps.UpdateEntityAsync(new TableEntity(appId, "app") { ["Data"] = data }, entity.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            // An SDK retry of our own write that went through also ends here: then the row holds our data.
            var now = await clients.Apps.GetEntityIfExistsAsync<TableEntity>(appId, "app", cancellationToken: cancellationToken);
            if (!now.HasValue || now.Value?.GetString("Data") != data)
            {
                return false;
            }
        }

        _apps.TryRemove(appId, out _);
        return true;
    }

    // Contexts bind each sealed value to its record and field: copied elsewhere, it does not open.
    private static string AppSecretsContext(string appId) => $"apps/{appId}/appSecrets";

    private static string WebhookSecretsContext(string appId) => $"apps/{appId}/webhookSecrets";

    private static string CredentialContext(string accountId, string name) => $"channel-accounts/{accountId}/credentials/{name}";

    private async Task<List<string>> SealAllAsync(List<string> values, string context, CancellationToken cancellationToken)
    {
        var sealedValues = new List<string>(values.Count);
        foreach (string value in values)
        {
            sealedValues.Add(await secrets.ProtectAsync(value, context, cancellationToken));
        }

        return sealedValues;
    }

    private async Task<List<Secret>> OpenAllAsync(List<string> values, string context, CancellationToken cancellationToken)
    {
        var opened = new List<Secret>(values.Count);
        foreach (string value in values)
        {
            opened.Add(new Secret(await secrets.UnprotectAsync(value, context, cancellationToken)));
        }

        return opened;
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

    public Task AddAsync(Core.Payments.Payment payment, CancellationToken cancellationToken) => AddAsync(payment.Id, payment.CreatedAt, cancellationToken);

    public Task RemoveAsync(Core.Payments.Payment payment, CancellationToken cancellationToken) => RemoveAsync(payment.Id, payment.CreatedAt, cancellationToken);

    public Task AddAsync(Core.Refunds.Refund refund, CancellationToken cancellationToken) => AddAsync(refund.Id, refund.CreatedAt, cancellationToken);

    public Task RemoveAsync(Core.Refunds.Refund refund, CancellationToken cancellationToken) => RemoveAsync(refund.Id, refund.CreatedAt, cancellationToken);

    private Task AddAsync(string id, DateTimeOffset createdAt, CancellationToken cancellationToken) =>
        clients.OpenPayments.UpsertEntityAsync(new TableEntity(Bucket(createdAt), id) { ["CreatedAt"] = createdAt }, TableUpdateMode.Replace, cancellationToken);

    private async Task RemoveAsync(string id, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        try
        {
            await clients.OpenPayments.DeleteEntityAsync(Bucket(createdAt), id, ETag.All, cancellationToken);
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
