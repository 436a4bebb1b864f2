using Payments.Core.Messaging;

namespace Payments.Functions.Catalog;

public enum TriggerKind
{
    Http,
    Queue,
    Timer,
}

/// <summary>One function of the app. HTTP routes are relative to the host's "api" prefix.</summary>
public sealed record FunctionDefinition(
    string Name,
    TriggerKind Trigger,
    string? Route = null,
    IReadOnlyList<string>? Methods = null,
    string? Queue = null,
    string? Schedule = null);

/// <summary>The single source of truth for the functions: function.json files, the local runtime's
/// pumps and timers, and the trigger endpoints all come from here.</summary>
public static class FunctionCatalog
{
    public const string QueueBindingName = "message";
    public const string TimerBindingName = "timer";

    /// <summary>Deliveries before a message is dead-lettered: host.json's maxDequeueCount, Service Bus'
    /// maxDeliveryCount (Bicep) and the local runtime all use it.</summary>
    public const int MaxDeliveryCount = 10;

    public static IReadOnlyList<FunctionDefinition> All { get; } =
    [
        new("Health", TriggerKind.Http, Route: "health", Methods: ["get"]),
        new("Payments", TriggerKind.Http, Route: "v1/payments", Methods: ["get", "post"]),
        new("PaymentById", TriggerKind.Http, Route: "v1/payments/{id}", Methods: ["get"]),
        new("ClosePayment", TriggerKind.Http, Route: "v1/payments/{id}/close", Methods: ["post"]),
        new("PaymentRefunds", TriggerKind.Http, Route: "v1/payments/{id}/refunds", Methods: ["get", "post"]),
        new("RefundById", TriggerKind.Http, Route: "v1/refunds/{id}", Methods: ["get"]),
        new("ChannelCallback", TriggerKind.Http, Route: "v1/callbacks/{channel}/{channelAccountId}", Methods: ["post"]),
        // Operators' API: one function for the whole admin surface (low traffic, one auth filter); the
        // host forwards everything under it and the app's own routing takes over.
        new("Admin", TriggerKind.Http, Route: "v1/admin/{*path}", Methods: ["get", "post", "put"]),
        new("ChannelRequests", TriggerKind.Queue, Queue: Queues.ChannelRequests),
        new("ChannelNotifications", TriggerKind.Queue, Queue: Queues.ChannelNotifications),
        new("MerchantNotifications", TriggerKind.Queue, Queue: Queues.MerchantNotifications),
        new("Reconciliations", TriggerKind.Queue, Queue: Queues.Reconciliations),
        // NCRONTAB with seconds, in UTC (Flex Consumption ignores WEBSITE_TIME_ZONE).
        new("OutboxSweep", TriggerKind.Timer, Schedule: "15 * * * * *"),
        new("Janitor", TriggerKind.Timer, Schedule: "45 * * * * *"),
        // Daily at 02:30 UTC, a quiet hour for storefronts in the default business time zone (UTC+8).
        new("TableBackup", TriggerKind.Timer, Schedule: "0 30 2 * * *"),
        // Daily at 02:30 UTC = 10:30 in Asia/Shanghai: after the channels publish the previous day's statements (about 10:00).
        new("ReconciliationSchedule", TriggerKind.Timer, Schedule: "0 30 2 * * *"),
    ];

    public static FunctionDefinition? Find(string name) => All.FirstOrDefault(f => f.Name == name);
}
