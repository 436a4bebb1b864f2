using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Payments.Core.Janitor;

namespace Payments.Functions.Catalog;

/// <summary>The custom-handler side of queue and timer triggers: the host POSTs
/// {"Data":{...},"Metadata":{...}} to /{FunctionName} and reads {"Outputs","Logs","ReturnValue"}.
/// A non-2xx answer fails the invocation, so the host retries and eventually dead-letters.</summary>
public static class TriggerEndpoints
{
    public static IEndpointRouteBuilder MapTriggerEndpoints(this IEndpointRouteBuilder app)
    {
        foreach (var function in FunctionCatalog.All.Where(f => f.Trigger != TriggerKind.Http))
        {
            app.MapPost("/" + function.Name, (HttpContext http, FunctionInvoker invoker, ILoggerFactory loggers, CancellationToken ct) =>
                InvokeAsync(function, http, invoker, loggers.CreateLogger("Functions." + function.Name), ct)).ExcludeFromDescription();
        }

        return app;
    }

    private static async Task<IResult> InvokeAsync(FunctionDefinition function, HttpContext http, FunctionInvoker invoker, ILogger logger, CancellationToken ct)
    {
        var logs = new JsonArray();
        JsonNode? payload;
        try
        {
            payload = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct);
        }
        catch (JsonException e)
        {
            logs.Add((JsonNode)$"Invocation payload is not JSON: {e.Message}");
            return Answer(StatusCodes.Status400BadRequest, logs, null);
        }

        try
        {
            object? returnValue = null;
            if (function.Trigger == TriggerKind.Queue)
            {
                string body = MessageBody(payload?["Data"]?[FunctionCatalog.QueueBindingName])
                    ?? throw new PoisonMessageException($"Data.{FunctionCatalog.QueueBindingName} is missing.");
                var metadata = payload?["Metadata"];
                int delivery = DeliveryCount(metadata);
                string? messageId = MessageId(metadata);
                var enqueued = EnqueuedTime(metadata);
                // The scope puts the message id on every line the handler logs for this message.
                using var scope = logger.BeginScope(new KeyValuePair<string, object?>[] { new("MessageId", messageId), new("Delivery", delivery) });
                logger.Log(
                    delivery > 1 ? LogLevel.Information : LogLevel.Debug,
                    "{Function} message {MessageId} enqueued {EnqueuedTimeUtc:O} delivery {Delivery}",
                    function.Name, messageId, enqueued, delivery);
                await invoker.InvokeQueueAsync(function.Name, body, ct);
            }
            else
            {
                returnValue = await invoker.RunTimerAsync(function.Name, ct);
            }

            return Answer(StatusCodes.Status200OK, logs, returnValue);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "{Function} failed", function.Name);
            await RaiseIfLastDeliveryAsync(http, function, payload, e);
            logs.Add((JsonNode)$"{function.Name} failed: {e.GetType().Name}: {e.Message}");
            return Answer(StatusCodes.Status500InternalServerError, logs, null);
        }
    }

    private static IResult Answer(int status, JsonArray logs, object? returnValue)
    {
        var answer = new JsonObject
        {
            ["Outputs"] = new JsonObject(),
            ["Logs"] = logs,
            ["ReturnValue"] = returnValue is null ? null : JsonSerializer.SerializeToNode(returnValue, returnValue.GetType(), TriggerJson.Default),
        };
        return Results.Text(answer.ToJsonString(), "application/json", statusCode: status);
    }

    /// <summary>On the last delivery the host allows, a failure means the host dead-letters the message
    /// (Service Bus) or moves it to the poison queue (Storage): operators hear of it here, with the body,
    /// because neither place is one they watch.</summary>
    private static async Task RaiseIfLastDeliveryAsync(HttpContext http, FunctionDefinition function, JsonNode? payload, Exception failure)
    {
        if (function.Trigger != TriggerKind.Queue || DeliveryCount(payload?["Metadata"]) < FunctionCatalog.MaxDeliveryCount)
        {
            return;
        }

        string body = MessageBody(payload?["Data"]?[FunctionCatalog.QueueBindingName]) ?? payload?.ToJsonString() ?? "";
        string messageId = MessageId(payload?["Metadata"]) ?? Payments.Core.Ids.Random("unknown");
        var attention = http.RequestServices.GetRequiredService<Payments.Core.Attention.IAttentionLog>();
        var now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        await attention.RaiseAsync(
            Payments.Core.Attention.AttentionItem.ForDeadLetter(function.Queue!, messageId, body, $"{failure.GetType().Name}: {failure.Message}", now),
            CancellationToken.None);
    }

    /// <summary>The message text. The host hands string values over JSON-encoded a second time
    /// ("\"{...}\""); it may also hand over the parsed object. Unwrap until we hold the JSON text.</summary>
    internal static string? MessageBody(JsonNode? node)
    {
        for (int depth = 0; depth < 4 && node is not null; depth++)
        {
            if (node is JsonValue value && value.TryGetValue(out string? text))
            {
                string trimmed = text.Trim();
                if (trimmed.StartsWith('"'))
                {
                    node = JsonNode.Parse(trimmed);
                    continue;
                }

                return text;
            }

            return node.ToJsonString();
        }

        return null;
    }

    /// <summary>MessageId (Service Bus) or Id (Storage queues), JSON-encoded a second time or not.</summary>
    internal static string? MessageId(JsonNode? metadata) =>
        MessageBody(metadata?["MessageId"]) is { Length: > 0 } id ? id : MessageBody(metadata?["Id"]);

    /// <summary>EnqueuedTimeUtc (Service Bus) or InsertionTime (Storage queues). Hosts differ: some
    /// encode the value a second time ("\"2026-11-24T00:00:00Z\""), older ones send it without a zone,
    /// which is UTC as the name says.</summary>
    internal static DateTimeOffset? EnqueuedTime(JsonNode? metadata)
    {
        foreach (string key in new[] { "EnqueuedTimeUtc", "InsertionTime" })
        {
            if (MessageBody(metadata?[key]) is { } text
                && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
            {
                return time;
            }
        }

        return null;
    }

    /// <summary>DequeueCount (Storage) or DeliveryCount (Service Bus), as a number or a string.</summary>
    internal static int DeliveryCount(JsonNode? metadata)
    {
        foreach (string key in new[] { "DequeueCount", "DeliveryCount" })
        {
            var node = metadata?[key];
            if (node is JsonValue v)
            {
                if (v.TryGetValue(out int n))
                {
                    return n;
                }

                if (v.TryGetValue(out long l))
                {
                    return (int)l;
                }

                if (v.TryGetValue(out string? s) && int.TryParse(s.Trim('"'), out n))
                {
                    return n;
                }
            }
        }

        return 1;
    }
}

/// <summary>Timer reports, source-generated so the trigger answer needs no reflection (Native AOT).
/// A timer that returns a new report type adds it here.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(JanitorReport))]
[JsonSerializable(typeof(OutboxSweepReport))]
[JsonSerializable(typeof(Payments.Infrastructure.Backup.TableBackupReport))]
[JsonSerializable(typeof(Payments.Core.Reconciliation.RunReconciliation.ReconciliationScheduleReport))]
internal sealed partial class TriggerJson : JsonSerializerContext;
