using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Payments.Core.Reconciliation.RunReconciliation;

/// <summary>Reconcile one channel account's business day. Also the body of a <c>reconciliations</c> queue message.</summary>
public sealed record RunReconciliationCommand(string ChannelAccountId, DateOnly Date)
{
    /// <summary>The run's id: the same account and day always name the same run, so starting a day again re-runs it.</summary>
    [JsonIgnore]
    public string RunId => ReconciliationRunIds.For(ChannelAccountId, Date);
}

public static class ReconciliationRunIds
{
    public const string Prefix = "rec_";

    public static string For(string channelAccountId, DateOnly date) =>
        Prefix + Ids.MessageId("reconciliation", channelAccountId, Day(date))["msg_".Length..];

    /// <summary>A discrepancy's id, stable across re-runs that find the same difference.</summary>
    public static string Discrepancy(string runId, string transactionId, DiscrepancyCategory category, int occurrence) =>
        "dsc_" + Ids.MessageId(runId, transactionId, category.ToWire(), occurrence.ToString(CultureInfo.InvariantCulture))["msg_".Length..];

    public static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RunReconciliationCommand))]
public sealed partial class RunReconciliationJson : JsonSerializerContext;
