using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Payments.Core.Apps;
using Payments.Core.Payments;

namespace Payments.Infrastructure.Storage;

/// <summary>Merchants, one partition each. The cached read serves the per-request status check, so a
/// suspension reaches every instance within <see cref="TableDirectories.CacheFor"/>.</summary>
public sealed class TableMerchantDirectory(StorageClients clients, TimeProvider time) : IMerchantDirectory
{
    private const string Row = "merchant";
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, Merchant? Merchant)> _cache = new();

    public async Task<Merchant?> GetMerchantCachedAsync(string merchantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(merchantId, out var cached) && now - cached.At < TableDirectories.CacheFor)
        {
            return cached.Merchant;
        }

        var merchant = (await GetMerchantAsync(merchantId, cancellationToken))?.Value;
        _cache[merchantId] = (now, merchant);
        return merchant;
    }

    public async Task<Versioned<Merchant>?> GetMerchantAsync(string merchantId, CancellationToken cancellationToken)
    {
        if (!RowKeys.IsSafeKey(merchantId))
        {
            return null;
        }

        var response = await clients.Merchants.GetEntityIfExistsAsync<TableEntity>(merchantId, Row, cancellationToken: cancellationToken);
        return response.HasValue && response.Value is { } e ? new Versioned<Merchant>(FromEntity(e), e.ETag.ToString()) : null;
    }

    public async Task<bool> TryAddMerchantAsync(Merchant merchant, CancellationToken cancellationToken)
    {
        try
        {
            await clients.Merchants.AddEntityAsync(ToEntity(merchant), cancellationToken);
            _cache.TryRemove(merchant.Id, out _);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return false;
        }
    }

    public async Task<bool> TryReplaceMerchantAsync(Versioned<Merchant> current, Merchant next, CancellationToken cancellationToken)
    {
        try
        {
            await clients.Merchants.UpdateEntityAsync(ToEntity(next), new ETag(current.ETag), TableUpdateMode.Replace, cancellationToken);
            _cache.TryRemove(next.Id, out _);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async IAsyncEnumerable<Merchant> ListMerchantsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in clients.Merchants.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {Row}"), cancellationToken: cancellationToken))
        {
            yield return FromEntity(e);
        }
    }

    private static TableEntity ToEntity(Merchant m) => new(m.Id, Row)
    {
        ["Name"] = m.Name,
        ["ContactEmail"] = m.ContactEmail,
        ["Status"] = m.Status.ToString(),
        ["CreatedAt"] = m.CreatedAt,
        ["UpdatedAt"] = m.UpdatedAt,
    };

    private static Merchant FromEntity(TableEntity e) => new(
        e.PartitionKey, e.GetString("Name"), e.GetString("ContactEmail"), Enum.Parse<MerchantStatus>(e.GetString("Status")),
        e.GetDateTimeOffset("CreatedAt")!.Value, e.GetDateTimeOffset("UpdatedAt")!.Value);
}
