using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Payments.Core.Risk;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Risk;

/// <summary>One row per merchant holding its rules as operators wrote them, read through a short cache:
/// every create needs its merchant's rules, and a change may take this long to reach every instance.</summary>
public sealed class TableRiskRuleStore(StorageClients clients, TimeProvider time) : IRiskRuleStore
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private const string RowKey = "rules";

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, RiskRules? Rules)> _cache = new();

    public async Task<RiskRules?> GetAsync(string merchantId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(merchantId, out var cached) && now - cached.At < CacheFor)
        {
            return cached.Rules;
        }

        var response = await clients.RiskRules.GetEntityIfExistsAsync<TableEntity>(merchantId, RowKey, cancellationToken: cancellationToken);
        RiskRules? rules = null;
        if (response.HasValue && response.Value is not null)
        {
            var dto = JsonSerializer.Deserialize(response.Value.GetString("Data"), RiskStorageJson.Default.RiskRulesDto);
            var validated = RiskRulesValidator.Validate(dto);
            // Only validated rules are ever saved, so this is a bug or a hand edit, not a user error.
            rules = validated.Value ?? throw new InvalidOperationException($"Stored risk rules of {merchantId} are invalid: {validated.Problem}");
        }

        _cache[merchantId] = (now, rules);
        return rules;
    }

    public async Task SaveAsync(string merchantId, RiskRules rules, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(merchantId, RowKey)
        {
            ["V"] = 1,
            ["Data"] = JsonSerializer.Serialize(RiskRulesDto.From(rules), RiskStorageJson.Default.RiskRulesDto),
            ["SavedAt"] = time.GetUtcNow(),
        };
        await clients.RiskRules.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
        _cache.TryRemove(merchantId, out _);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RiskRulesDto))]
internal sealed partial class RiskStorageJson : JsonSerializerContext;
