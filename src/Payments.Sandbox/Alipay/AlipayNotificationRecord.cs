using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// One trade_status_sync notification. The form is built and signed once, so every retry carries
/// the same notify_id and parameters, as Alipay's retries do.
/// </summary>
internal sealed class AlipayNotificationRecord(
    string notifyId, string tradeStatus, string? outBizNo, string notifyUrl, byte[] body, bool duplicate, bool dropped) : DeliveryTally
{
    public string NotifyId { get; } = notifyId;

    public string NotifyUrl { get; } = notifyUrl;

    public byte[] Body { get; } = body;

    /// <summary>Each attempt is sent twice, to rehearse the receiver's de-duplication.</summary>
    public bool Duplicate { get; } = duplicate;

    public AlipayNotificationInspection Inspect() =>
        Read((attempts, deliveries, acknowledged) => new AlipayNotificationInspection(NotifyId, tradeStatus, outBizNo, attempts, deliveries, acknowledged, dropped));
}
