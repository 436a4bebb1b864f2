using System.Text.Json;
using Payments.Core.Janitor;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.ProcessChannelNotification;
using Payments.Core.Payments.ProcessChannelRequest;
using Payments.Core.Reconciliation.RunReconciliation;
using Payments.Core.Webhooks;
using Payments.Functions.Observability;
using Payments.Infrastructure.Backup;
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
        if (functionName == "Reconciliations")
        {
            // About an account's day, not a payment: no payment trace to join.
            await services.GetRequiredService<RunReconciliationHandler>().HandleAsync(Parse(body, RunReconciliationJson.Default.RunReconciliationCommand), cancellationToken);
            return;
        }

        IPaymentMessage message = functionName switch
        {
            "ChannelRequests" => Parse(body, CoreJson.Default.ChannelRequestMessage),
            "ChannelNotifications" => Parse(body, CoreJson.Default.ChannelNotificationMessage),
            "MerchantNotifications" => Parse(body, CoreJson.Default.MerchantNotificationMessage),
            _ => throw new ArgumentException($"'{functionName}' is not a queue function.", nameof(functionName)),
        };

        var tracing = services.GetRequiredService<QueueTracing>();
        var parent = await tracing.ResolveAsync(message, cancellationToken);
        using var invocation = tracing.Start(functionName, message, parent);
        try
        {
            switch (message)
            {
                case ChannelRequestMessage m:
                    await services.GetRequiredService<ProcessChannelRequestHandler>().HandleAsync(m, cancellationToken);
                    break;
                case ChannelNotificationMessage m:
                    await services.GetRequiredService<ProcessChannelNotificationHandler>().HandleAsync(m, cancellationToken);
                    break;
                case MerchantNotificationMessage m:
                    await services.GetRequiredService<DeliverWebhookHandler>().HandleAsync(m, cancellationToken);
                    break;
            }
        }
        catch (Exception e)
        {
            invocation.Fail(e);
            throw;
        }
    }

    public async Task InvokeTimerAsync(string functionName, CancellationToken cancellationToken) => await RunTimerAsync(functionName, cancellationToken);

    /// <summary>Runs a timer function and returns its report (the invocation's ReturnValue).</summary>
    public async Task<object> RunTimerAsync(string functionName, CancellationToken cancellationToken) => functionName switch
    {
        "OutboxSweep" => new OutboxSweepReport(await services.GetRequiredService<OutboxSweeper>().SweepAsync(OutboxSweeper.Grace, cancellationToken)),
        "Janitor" => await services.GetRequiredService<JanitorHandler>().RunAsync(cancellationToken),
        "TableBackup" => await services.GetRequiredService<TableBackupService>().RunScheduledAsync(cancellationToken),
        "ReconciliationSchedule" => await services.GetRequiredService<ScheduleReconciliationsHandler>().RunAsync(cancellationToken),
        _ => throw new ArgumentException($"'{functionName}' is not a timer function.", nameof(functionName)),
    };

    private static T Parse<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(body, type) ?? throw new PoisonMessageException("The message body is JSON null.");
}

public sealed record OutboxSweepReport(int Published);

/// <summary>A message that can never succeed (malformed). Still retried up to the delivery limit,
/// as Service Bus would, so a transient deserialisation bug does not lose messages.</summary>
public sealed class PoisonMessageException(string message) : Exception(message);
