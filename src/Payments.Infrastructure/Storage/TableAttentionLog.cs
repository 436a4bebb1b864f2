using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Payments.Core.Attention;
using Payments.Core.Payments;

namespace Payments.Infrastructure.Storage;

/// <summary>The operators' exception list in one partition: items are rare (each is a fault worth a
/// person's time), so one partition's 2,000 writes a second is far beyond what it will see, and
/// listing is a single-partition query.</summary>
public sealed class TableAttentionLog(StorageClients clients) : IAttentionLog
{
    private const string Partition = "exception";

    public async Task RaiseAsync(AttentionItem item, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            var current = await GetAsync(item.Id, cancellationToken);
            if (current is null)
            {
                try
                {
                    await clients.Exceptions.AddEntityAsync(ToEntity(item), cancellationToken);
                    return;
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    continue;
                }
            }

            var existing = current.Value;
            if (existing.Status == AttentionStatus.Open && existing.Reason == item.Reason)
            {
                return;
            }

            // Raised again: reopen it with the new reason; the resolution that closed it stays in the audit trail.
            var reopened = existing with
            {
                Status = AttentionStatus.Open, Reason = item.Reason, UpdatedAt = item.UpdatedAt, Detail = item.Detail ?? existing.Detail,
                ResolvedAt = null, ResolvedBy = null, ResolutionNote = null,
            };
            if (await TryReplaceAsync(current, reopened, cancellationToken))
            {
                return;
            }
        }

        throw new InvalidOperationException($"Exception {item.Id} kept changing while being raised.");
    }

    public async Task<Versioned<AttentionItem>?> GetAsync(string id, CancellationToken cancellationToken)
    {
        if (!IsId(id))
        {
            return null;
        }

        var response = await clients.Exceptions.GetEntityIfExistsAsync<TableEntity>(Partition, id, cancellationToken: cancellationToken);
        return response.HasValue && response.Value is { } e ? new Versioned<AttentionItem>(FromEntity(e), e.ETag.ToString()) : null;
    }

    public async Task<bool> TryReplaceAsync(Versioned<AttentionItem> current, AttentionItem next, CancellationToken cancellationToken)
    {
        try
        {
            await clients.Exceptions.UpdateEntityAsync(ToEntity(next), new ETag(current.ETag), TableUpdateMode.Replace, cancellationToken);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    public async IAsyncEnumerable<AttentionItem> ListAsync(AttentionStatus? status, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string filter = status is { } s
            ? TableClient.CreateQueryFilter($"PartitionKey eq {Partition} and Status eq {s.ToString()}")
            : TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        var items = new List<AttentionItem>();
        await foreach (var e in clients.Exceptions.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            items.Add(FromEntity(e));
        }

        foreach (var item in items.OrderByDescending(i => i.UpdatedAt))
        {
            yield return item;
        }
    }

    private static bool IsId(string id) => id.Length == 28 && id.StartsWith("exc_", StringComparison.Ordinal) && id[4..].All(char.IsAsciiHexDigitLower);

    private static TableEntity ToEntity(AttentionItem i) => new(Partition, i.Id)
    {
        ["Kind"] = i.Kind,
        ["Subject"] = i.Subject,
        ["PaymentId"] = i.PaymentId,
        ["Reason"] = i.Reason,
        ["Status"] = i.Status.ToString(),
        ["CreatedAt"] = i.CreatedAt,
        ["UpdatedAt"] = i.UpdatedAt,
        ["RetryCount"] = i.RetryCount,
        ["LastRetriedAt"] = i.LastRetriedAt,
        ["ResolvedBy"] = i.ResolvedBy,
        ["ResolutionNote"] = i.ResolutionNote,
        ["ResolvedAt"] = i.ResolvedAt,
        ["Queue"] = i.Queue,
        ["Detail"] = i.Detail,
    };

    private static AttentionItem FromEntity(TableEntity e) => new()
    {
        Id = e.RowKey,
        Kind = e.GetString("Kind"),
        Subject = e.GetString("Subject"),
        PaymentId = e.GetString("PaymentId"),
        Reason = e.GetString("Reason"),
        Status = Enum.Parse<AttentionStatus>(e.GetString("Status")),
        CreatedAt = e.GetDateTimeOffset("CreatedAt")!.Value,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt")!.Value,
        RetryCount = e.GetInt32("RetryCount") ?? 0,
        LastRetriedAt = e.GetDateTimeOffset("LastRetriedAt"),
        ResolvedBy = e.GetString("ResolvedBy"),
        ResolutionNote = e.GetString("ResolutionNote"),
        ResolvedAt = e.GetDateTimeOffset("ResolvedAt"),
        Queue = e.GetString("Queue"),
        Detail = e.GetString("Detail"),
    };
}
