using System.Text.Json;
using Azure.Storage.Queues.Models;
using Cronos;
using Payments.Core.Attention;
using Payments.Core.Observability;
using Payments.Functions.Catalog;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Runtime;

/// <summary>Options of the local runtime, which plays the Functions host's part on one machine.</summary>
public sealed class LocalRuntimeOptions
{
    /// <summary>Pump queues and fire timers in-process. Off in Azure, where the host does both.</summary>
    public bool Enabled { get; set; }

    /// <summary>Same limit as Service Bus' MaxDeliveryCount: the 10th failure dead-letters.</summary>
    public int MaxDeliveryCount { get; set; } = Catalog.FunctionCatalog.MaxDeliveryCount;

    public int Concurrency { get; set; } = 16;

    /// <summary>How long a received message stays invisible while its handler runs.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Redelivery delay after a failure, doubled per delivery, capped at a minute.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest an idle pump waits before looking at its queue again.</summary>
    public TimeSpan MaxIdleDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public bool TimersEnabled { get; set; } = true;

    /// <summary>NCRONTAB schedules (with seconds, UTC) that replace the catalog's, by function name. Only the
    /// local runtime reads them: end-to-end tests run the sweeper and janitor every few seconds instead of
    /// once a minute. The Functions host in Azure always follows the catalog.</summary>
    public Dictionary<string, string> Schedules { get; set; } = [];
}

/// <summary>Pumps one Storage queue into the catalog's handler, counts deliveries, and moves a
/// message that failed MaxDeliveryCount times to &lt;queue&gt;-deadletter with its reason.</summary>
public sealed class QueuePump(
    FunctionDefinition function,
    StorageClients clients,
    FunctionInvoker invoker,
    LocalRuntimeOptions options,
    TimeProvider time,
    PaymentsMetrics metrics,
    IAttentionLog attention,
    ILogger<QueuePump> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = clients.Queue(function.Queue!);
        var idle = TimeSpan.FromMilliseconds(20);
        using var slots = new SemaphoreSlim(options.Concurrency);
        var running = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] messages;
            try
            {
                int free = Math.Max(1, Math.Min(32, slots.CurrentCount));
                messages = (await queue.ReceiveMessagesAsync(free, options.VisibilityTimeout, stoppingToken)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Receiving from {Queue} failed", function.Queue);
                messages = [];
            }

            if (messages.Length == 0)
            {
                try
                {
                    await Task.Delay(idle, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                idle = TimeSpan.FromMilliseconds(Math.Min(idle.TotalMilliseconds * 2, options.MaxIdleDelay.TotalMilliseconds));
                continue;
            }

            idle = TimeSpan.FromMilliseconds(20);
            foreach (var message in messages)
            {
                await slots.WaitAsync(stoppingToken);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await ProcessAsync(message, stoppingToken);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
            }

            running.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(running);
    }

    internal async Task ProcessAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var queue = clients.Queue(function.Queue!);
        try
        {
            await invoker.InvokeQueueAsync(function.Name, message.MessageText, cancellationToken);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the message becomes visible again after its timeout.
        }
        catch (Exception e)
        {
            long deliveries = message.DequeueCount;
            if (deliveries >= options.MaxDeliveryCount)
            {
                logger.LogError(e, "{Queue} message {MessageId} failed {Deliveries} times; dead-lettered", function.Queue, message.MessageId, deliveries);
                await DeadLetterAsync(message, e);
                return;
            }

            var backoff = TimeSpan.FromTicks(Math.Min(options.RetryBackoff.Ticks * (1L << (int)Math.Min(deliveries - 1, 16)), TimeSpan.FromMinutes(1).Ticks));
            logger.LogWarning(e, "{Queue} message {MessageId} failed (delivery {Deliveries}); retrying in {Backoff}", function.Queue, message.MessageId, deliveries, backoff);
            try
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: backoff, cancellationToken: CancellationToken.None);
            }
            catch (Exception ue)
            {
                logger.LogWarning(ue, "Could not reschedule {MessageId}; it reappears after its visibility timeout", message.MessageId);
            }
        }
    }

    private async Task DeadLetterAsync(QueueMessage message, Exception reason)
    {
        string letter = JsonSerializer.Serialize(new DeadLetter(
            function.Queue!, message.MessageId, message.DequeueCount, reason.GetType().Name, reason.Message, time.GetUtcNow(), message.MessageText),
            RuntimeJson.Default.DeadLetter);
        await clients.Queue(StorageClients.DeadLetterName(function.Queue!)).SendMessageAsync(letter, null, TimeSpan.FromSeconds(-1), CancellationToken.None);
        await attention.RaiseAsync(
            AttentionItem.ForDeadLetter(function.Queue!, message.MessageId, message.MessageText, $"{reason.GetType().Name}: {reason.Message}", time.GetUtcNow()),
            CancellationToken.None);
        await clients.Queue(function.Queue!).DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        metrics.DeadLettered(function.Queue!);
    }
}

public sealed record DeadLetter(string Queue, string MessageId, long DeliveryCount, string Reason, string Detail, DateTimeOffset DeadLetteredAt, string Body);

[System.Text.Json.Serialization.JsonSerializable(typeof(DeadLetter))]
internal sealed partial class RuntimeJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>Fires the catalog's timers from their NCRONTAB schedules (with seconds, UTC).</summary>
public sealed class TimerRunner : BackgroundService
{
    private readonly Func<string, CancellationToken, Task> _fire;
    private readonly TimeProvider _time;
    private readonly ILogger<TimerRunner> _logger;
    private readonly IReadOnlyDictionary<string, string> _schedules;

    public TimerRunner(FunctionInvoker invoker, TimeProvider time, ILogger<TimerRunner> logger, LocalRuntimeOptions options)
        : this(invoker.InvokeTimerAsync, time, logger, options.Schedules)
    {
    }

    internal TimerRunner(Func<string, CancellationToken, Task> fire, TimeProvider time, ILogger<TimerRunner> logger, IReadOnlyDictionary<string, string>? schedules = null)
    {
        _fire = fire;
        _time = time;
        _logger = logger;
        _schedules = schedules ?? new Dictionary<string, string>();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(FunctionCatalog.All.Where(f => f.Trigger == TriggerKind.Timer).Select(f => RunAsync(f, stoppingToken)));

    private async Task RunAsync(FunctionDefinition function, CancellationToken stoppingToken)
    {
        var schedule = CronExpression.Parse(_schedules.GetValueOrDefault(function.Name, function.Schedule!), CronFormat.IncludeSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            var next = schedule.GetNextOccurrence(now.UtcDateTime, TimeZoneInfo.Utc);
            if (next is null)
            {
                return;
            }

            try
            {
                await Task.Delay(next.Value - now.UtcDateTime, _time, stoppingToken);
                await _fire(function.Name, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Timer {Function} failed", function.Name);
            }
        }
    }
}
