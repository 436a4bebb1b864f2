namespace Payments.Sandbox.WeChatPay;

/// <summary>
/// One TRANSACTION.SUCCESS or REFUND.* event. The body is built once so that every retry carries the same
/// event id and resource, as the channel's retries do; only the signature headers are fresh.
/// </summary>
internal sealed class NotificationRecord(string id, string notifyUrl, byte[] body, bool duplicate, bool dropped)
{
    private readonly Lock _gate = new();
    private int _attempts;
    private int _deliveries;
    private bool _acknowledged;

    public string Id { get; } = id;

    public string NotifyUrl { get; } = notifyUrl;

    public byte[] Body { get; } = body;

    /// <summary>Each attempt is sent twice, to rehearse the receiver's de-duplication.</summary>
    public bool Duplicate { get; } = duplicate;

    public bool Dropped { get; } = dropped;

    public void RecordAttempt(int deliveries, bool acknowledged)
    {
        lock (_gate)
        {
            _attempts++;
            _deliveries += deliveries;
            _acknowledged |= acknowledged;
        }
    }

    public NotificationInspection Inspect()
    {
        lock (_gate)
        {
            return new NotificationInspection(Id, _attempts, _deliveries, _acknowledged, Dropped);
        }
    }
}
