using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Transfer;

/// <summary>
/// Expires collections that still take credits at their expiresAt and sends <c>COLLECTION_CLOSED</c>. One timer per
/// collection on the injected clock; every read applies a due expiry first, so answers never depend on timer slack.
/// Money a partly paid reference holds stays with the bank for the merchant.
/// </summary>
internal sealed class TransferExpiry(TimeProvider time, TransferNotifier notifier)
{
    public void Track(TransferCollectionState collection) => collection.ExpiryTimer = new ExpiryTimer(time, collection.ExpiresAt, () => Refresh(collection));

    public void Refresh(TransferCollectionState collection)
    {
        lock (collection.Gate)
        {
            if (collection.TakesCredits && time.GetUtcNow() >= collection.ExpiresAt)
            {
                collection.Status = TransferCollectionState.Expired;
                collection.ClosedAt = collection.ExpiresAt;
                notifier.Send(collection, "COLLECTION_CLOSED");
            }
        }
    }
}
