using System.Text.Json;
using System.Text.Json.Nodes;

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
            logs.Add($"Invocation payload is not JSON: {e.Message}");
            return Answer(StatusCodes.Status400BadRequest, logs, null);
        }

        try
        {
            object? returnValue = null;
            if (function.Trigger == TriggerKind.Queue)
            {
                string body = MessageBody(payload?["Data"]?[FunctionCatalog.QueueBindingName])
                    ?? throw new PoisonMessageException($"Data.{FunctionCatalog.QueueBindingName} is missing.");
                int delivery = DeliveryCount(payload?["Metadata"]);
                logger.LogDebug("{Function} delivery {Delivery}", function.Name, delivery);
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
            logs.Add($"{function.Name} failed: {e.GetType().Name}: {e.Message}");
            return Answer(StatusCodes.Status500InternalServerError, logs, null);
        }
    }

    private static IResult Answer(int status, JsonArray logs, object? returnValue)
    {
        var answer = new JsonObject
        {
            ["Outputs"] = new JsonObject(),
            ["Logs"] = logs,
            ["ReturnValue"] = returnValue is null ? null : JsonSerializer.SerializeToNode(returnValue, returnValue.GetType(), TriggerJson.Options),
        };
        return Results.Text(answer.ToJsonString(), "application/json", statusCode: status);
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

internal static class TriggerJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
    };
}
