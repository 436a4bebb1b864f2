using System.Diagnostics;
using System.Threading.Channels;
using Azure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Payments.Core.Messaging;
using Payments.Core.Observability;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Messaging;

/// <summary>Publishes outbox messages right after their transaction commits, then removes the rows.
/// Best effort by design: whatever it does not get to (publish failed, process died) the sweeper
/// publishes later, and every consumer tolerates the duplicates this can cause.</summary>
public sealed class OutboxRelay(IMessagePublisher publisher, StorageClients clients, ILogger<OutboxRelay> logger) : BackgroundService
{
    private readonly Channel<(string PaymentId, OutboxMessage Message)> _pending =
        Channel.CreateUnbounded<(string, OutboxMessage)>(new UnboundedChannelOptions { SingleReader = false });

    /// <summary>Hands committed messages to the relay; returns at once.</summary>
    public void Dispatch(string paymentId, IEnumerable<OutboxMessage> messages)
    {
        foreach (var m in messages)
        {
            _pending.Writer.TryWrite((paymentId, m));
        }
    }

    /// <summary>Publishes one message and removes its outbox row; false if publishing failed.</summary>
    public async Task<bool> PublishAsync(string paymentId, OutboxMessage message, CancellationToken cancellationToken)
    {
        // The relay runs off the request path, so the span names its parent (the writer) explicitly.
        ActivityContext.TryParse(message.TraceParent, null, out var writer);
        using var activity = PaymentsTelemetry.Source.StartActivity($"{message.Queue} publish", ActivityKind.Producer, writer);
        activity?.SetTag("messaging.destination.name", message.Queue).SetTag("messaging.message.id", message.Id).SetTag(PaymentsTelemetry.PaymentIdTag, paymentId);
        try
        {
            await publisher.PublishAsync(message, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            logger.LogWarning(e, "Publishing {MessageId} of {PaymentId} failed; the sweeper will retry", message.Id, paymentId);
            return false;
        }

        try
        {
            await clients.Payments.DeleteEntityAsync(paymentId, RowKeys.Outbox(message.Id), ETag.All, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Published twice (relay and sweeper): the row is already gone.
        }

        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A few concurrent publishers: one slow queue call must not hold up everyone's messages.
        var workers = Enumerable.Range(0, 8).Select(async _ =>
        {
            try
            {
                await foreach (var (paymentId, message) in _pending.Reader.ReadAllAsync(stoppingToken))
                {
                    try
                    {
                        await PublishAsync(paymentId, message, stoppingToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogWarning(e, "Removing outbox row {MessageId} failed; the sweeper will publish it again", message.Id);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        });
        await Task.WhenAll(workers);
    }
}

/// <summary>The timer-driven half of the outbox: publishes rows the relay left behind.</summary>
public sealed class OutboxSweeper(TablePaymentStore store, OutboxRelay relay, ILogger<OutboxSweeper> logger)
{
    /// <summary>Rows younger than this are still the relay's business.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public async Task<int> SweepAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        int published = 0;
        await foreach (var (paymentId, message) in store.ListStaleOutboxAsync(olderThan, cancellationToken))
        {
            if (await relay.PublishAsync(paymentId, message, cancellationToken))
            {
                published++;
            }
        }

        if (published > 0)
        {
            logger.LogInformation("Outbox sweep published {Count} left-over messages", published);
        }

        return published;
    }
}
