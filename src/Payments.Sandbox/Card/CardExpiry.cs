using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Card;

/// <summary>
/// Expires unpaid sessions at their expiresAt and sends an EXPIRY webhook. One timer per session on the
/// injected clock; every read of a session applies a due expiry first, so answers never depend on timer slack.
/// </summary>
internal sealed class CardExpiry(TimeProvider time, CardNotifier notifier)
{
    public void Track(CardSessionState session) => session.ExpiryTimer = new ExpiryTimer(time, session.ExpiresAt, () => Refresh(session));

    public void Refresh(CardSessionState session)
    {
        lock (session.Gate)
        {
            // A payer inside the 3-D Secure challenge still loses the session at expiry, as a real page does.
            if (session.Status == "pending" && time.GetUtcNow() >= session.ExpiresAt)
            {
                session.Status = "expired";
                notifier.Send(session, "EXPIRY", success: true, reason: null);
            }
        }
    }
}
