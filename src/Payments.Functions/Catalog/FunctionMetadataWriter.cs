using System.Text.Json;
using System.Text.Json.Nodes;

namespace Payments.Functions.Catalog;

/// <summary>Writes host.json and one folder per function with its function.json, from the catalog.
/// Runs at publish time; the repo's host.json is checked against it by a test.</summary>
public static class FunctionMetadataWriter
{
    public const string ExecutableName = "Payments.Functions";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static JsonObject HostJson() => new()
    {
        ["version"] = "2.0",
        ["extensionBundle"] = new JsonObject
        {
            ["id"] = "Microsoft.Azure.Functions.ExtensionBundle",
            ["version"] = "[4.*, 5.0.0)",
        },
        ["customHandler"] = new JsonObject
        {
            ["description"] = new JsonObject
            {
                ["defaultExecutablePath"] = ExecutableName,
                ["workingDirectory"] = "",
                ["arguments"] = new JsonArray("--urls", "http://127.0.0.1:%FUNCTIONS_CUSTOMHANDLER_PORT%"),
            },
            ["enableForwardingHttpRequest"] = true,
        },
        ["extensions"] = new JsonObject
        {
            ["http"] = new JsonObject { ["routePrefix"] = "api" },
            // Same delivery limit as Service Bus' default; messages are plain text, not base64.
            ["queues"] = new JsonObject { ["maxDequeueCount"] = FunctionCatalog.MaxDeliveryCount, ["messageEncoding"] = "none", ["visibilityTimeout"] = "00:00:05" },
            ["serviceBus"] = new JsonObject { ["maxConcurrentCalls"] = 16, ["autoCompleteMessages"] = true },
        },
        ["functionTimeout"] = "00:10:00",
        ["logging"] = new JsonObject { ["logLevel"] = new JsonObject { ["default"] = "Information" } },
    };

    public static JsonObject FunctionJson(FunctionDefinition f, string transport)
    {
        // Casting to JsonNode picks the non-generic Add, which needs no reflection (Native AOT).
        var bindings = new JsonArray();
        switch (f.Trigger)
        {
            case TriggerKind.Http:
                bindings.Add((JsonNode)new JsonObject
                {
                    ["type"] = "httpTrigger",
                    ["direction"] = "in",
                    ["name"] = "req",
                    ["authLevel"] = "anonymous",
                    ["route"] = f.Route,
                    ["methods"] = new JsonArray(f.Methods!.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
                });
                bindings.Add((JsonNode)new JsonObject { ["type"] = "http", ["direction"] = "out", ["name"] = "res" });
                break;
            case TriggerKind.Queue when transport == Transports.ServiceBus:
                bindings.Add((JsonNode)new JsonObject
                {
                    ["type"] = "serviceBusTrigger",
                    ["direction"] = "in",
                    ["name"] = FunctionCatalog.QueueBindingName,
                    ["queueName"] = f.Queue,
                    ["connection"] = "ServiceBus",
                });
                break;
            case TriggerKind.Queue:
                bindings.Add((JsonNode)new JsonObject
                {
                    ["type"] = "queueTrigger",
                    ["direction"] = "in",
                    ["name"] = FunctionCatalog.QueueBindingName,
                    ["queueName"] = f.Queue,
                    ["connection"] = "Storage",
                });
                break;
            case TriggerKind.Timer:
                bindings.Add((JsonNode)new JsonObject
                {
                    ["type"] = "timerTrigger",
                    ["direction"] = "in",
                    ["name"] = FunctionCatalog.TimerBindingName,
                    ["schedule"] = f.Schedule,
                    ["runOnStartup"] = false,
                    ["useMonitor"] = true,
                });
                break;
        }

        return new JsonObject { ["bindings"] = bindings };
    }

    public static void Write(string directory, string transport)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "host.json"), HostJson().ToJsonString(Indented) + "\n");
        foreach (var f in FunctionCatalog.All)
        {
            string folder = Path.Combine(directory, f.Name);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "function.json"), FunctionJson(f, transport).ToJsonString(Indented) + "\n");
        }
    }
}

public static class Transports
{
    public const string StorageQueues = "StorageQueues";
    public const string ServiceBus = "ServiceBus";
}
