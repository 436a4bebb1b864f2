using System.Text.Json;
using Payments.Core.Janitor;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.ProcessChannelNotification;
using Payments.Core.Payments.ProcessChannelRequest;
using Payments.Core.Webhooks;
using Payments.Infrastructure.Messaging;

namespace Payments.Functions.Catalog;

/// <summary>Runs a queue or timer function by its catalog name. The Functions host (through the
/// trigger endpoints) and the local runtime (through its pumps and timers) both come here, so
/// the code that runs in Azure is the code that runs locally.</summary>
public sealed class FunctionInvoker(IServiceProvider services)
{
    /// <summary>Handles one queue message; throws on failure so the caller redelivers it.</summary>
    public async Task InvokeQueueAsync(string functionName, string body, CancellationToken cancellationToken)
    {
        switch (functionName)
        {
            case "ChannelRequests":
                await services.GetRequiredService<ProcessChannelRequestHandler>()
                    .HandleAsync(Parse(body, CoreJson.Default.ChannelRequestMessage), cancellationToken);
                break;
            case "ChannelNotifications":
                await services.GetRequiredService<ProcessChannelNotificationHandler>()
                    .HandleAsync(Parse(body, CoreJson.Default.ChannelNotificationMessage), cancellationToken);
                break;
            case "MerchantNotifications":
                await services.GetRequiredService<DeliverWebhookHandler>()
                    .HandleAsync(Parse(body, CoreJson.Default.MerchantNotificationMessage), cancellationToken);
                break;
            default:
                throw new ArgumentException($"'{functionName}' is not a queue function.", nameof(functionName));
        }
    }

    public async Task InvokeTimerAsync(string functionName, CancellationToken cancellationToken) => await RunTimerAsync(functionName, cancellationToken);

    /// <summary>Runs a timer function and returns its report (the invocation's ReturnValue).</summary>
    public async Task<object> RunTimerAsync(string functionName, CancellationToken cancellationToken) => functionName switch
    {
        "OutboxSweep" => new { published = await services.GetRequiredService<OutboxSweeper>().SweepAsync(OutboxSweeper.Grace, cancellationToken) },
        "Janitor" => await services.GetRequiredService<JanitorHandler>().RunAsync(cancellationToken),
        _ => throw new ArgumentException($"'{functionName}' is not a timer function.", nameof(functionName)),
    };

    private static T Parse<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(body, type) ?? throw new PoisonMessageException("The message body is JSON null.");
}

/// <summary>A message that can never succeed (malformed). Still retried up to the delivery limit,
/// as Service Bus would, so a transient deserialisation bug does not lose messages.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);
