namespace Payments.Sandbox.Shared;

/// <summary>
/// What became of one notification across its retries: attempts made, copies sent (a duplicating fault sends two an
/// attempt) and whether the merchant ever acknowledged it. Retries run concurrently with inspection, hence the lock.
/// </summary>
internal abstract class DeliveryTally
{
    private readonly Lock _gate = new();
    private int _attempts;
    private int _deliveries;
    private bool _acknowledged;

    public void RecordAttempt(int deliveries, bool acknowledged)
    {
        lock (_gate)
        {
            _attempts++;
            _deliveries += deliveries;
            _acknowledged |= acknowledged;
        }
    }

    /// <summary>Reads the three counts together, so an inspection never shows an attempt without its copies.</summary>
    protected T Read<T>(Func<int, int, bool, T> read)
    {
        lock (_gate)
        {
            return read(_attempts, _deliveries, _acknowledged);
        }
    }
}
