using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Ecny;

/// <summary>
/// Closes unpaid orders at their expireTime and notifies PAYMENT.CLOSED. One timer per order on the injected
/// clock; every read of an order applies a due expiry first, so answers never depend on timer slack.
/// </summary>
internal sealed class EcnyExpiry(TimeProvider time, EcnyNotifier notifier)
{
    public void Track(EcnyOrderState order) => order.ExpiryTimer = new ExpiryTimer(time, order.ExpiresAt, () => Refresh(order));

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
