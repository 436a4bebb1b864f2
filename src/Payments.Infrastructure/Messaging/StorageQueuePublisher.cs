using Payments.Core.Messaging;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Messaging;

/// <summary>Azure Storage Queues transport: scheduled delivery through the initial visibility
/// timeout (at most seven days, which covers the whole webhook schedule).</summary>
public sealed class StorageQueuePublisher(StorageClients clients, TimeProvider time) : IMessagePublisher
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1);

    public async Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        TimeSpan? delay = null;
        if (message.NotBefore is { } notBefore)
        {
            var wait = notBefore - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                // The service counts whole seconds; rounding down would deliver before NotBefore.
                var whole = TimeSpan.FromSeconds(Math.Ceiling(wait.TotalSeconds));
                delay = whole > MaxDelay ? MaxDelay : whole;
            }
        }

        // Time-to-live -1: a message is never dropped silently for being old.
        await clients.Queue(message.Queue).SendMessageAsync(message.Body, delay, TimeSpan.FromSeconds(-1), cancellationToken);
    }
}
