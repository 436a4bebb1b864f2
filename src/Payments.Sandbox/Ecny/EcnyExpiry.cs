namespace Payments.Sandbox.Ecny;

/// <summary>
/// Closes unpaid orders at their expireTime and notifies PAYMENT.CLOSED. One timer per order on the injected
/// clock; every read of an order applies a due expiry first, so answers never depend on timer slack.
/// </summary>
internal sealed class EcnyExpiry(TimeProvider time, EcnyNotifier notifier)
{
    public void Track(EcnyOrderState order)
    {
        var timer = time.CreateTimer(_ =>
        {
            order.ExpiryTimer?.Dispose();
            // A timer can fire a moment before the wall clock reaches the expiry: then wait again.
            if (time.GetUtcNow() < order.ExpiresAt)
            {
                Track(order);
                return;
            }

            Refresh(order);
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        order.ExpiryTimer = timer;
        var due = order.ExpiresAt - time.GetUtcNow();
        timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    public void Refresh(EcnyOrderState order)
    {
        lock (order.Gate)
        {
            if (order.Status is "WAIT_PAY" or "PAYING" && time.GetUtcNow() >= order.ExpiresAt)
            {
                order.Status = "CLOSED";
                order.FailCode = "ORDER_EXPIRED";
                order.FailMessage = "订单已超时关闭";
                notifier.Send(order, "PAYMENT.CLOSED");
            }
        }
    }
}
