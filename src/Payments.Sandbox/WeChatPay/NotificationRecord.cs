using Payments.Sandbox.Shared;

namespace Payments.Sandbox.WeChatPay;

/// <summary>
/// One TRANSACTION.SUCCESS or REFUND.* event. The body is built once so that every retry carries the same
/// event id and resource, as the channel's retries do; only the signature headers are fresh.
/// </summary>
internal sealed class NotificationRecord(string id, string notifyUrl, byte[] body, bool duplicate, bool dropped) : DeliveryTally
{
    public string Id { get; } = id;

    public string NotifyUrl { get; } = notifyUrl;

    public byte[] Body { get; } = body;

    /// <summary>Each attempt is sent twice, to rehearse the receiver's de-duplication.</summary>
    public bool Duplicate { get; } = duplicate;

    public bool Dropped { get; } = dropped;

    public NotificationInspection Inspect() =>
        Read((attempts, deliveries, acknowledged) => new NotificationInspection(Id, attempts, deliveries, acknowledged, Dropped));
}
