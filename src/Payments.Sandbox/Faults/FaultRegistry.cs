namespace Payments.Sandbox.Faults;

/// <summary>
/// Faults queued per (channel, operation). Each entry is used by the next <c>count</c> matching
/// calls, in the order the entries were queued.
/// </summary>
internal sealed class FaultRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Channel, string Operation), Queue<PendingFault>> _pending = [];

    public void Add(string channel, string operation, FaultMode mode, int count, TimeSpan delay)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue((channel, operation), out var queue))
            {
                queue = new Queue<PendingFault>();
                _pending[(channel, operation)] = queue;
            }

            queue.Enqueue(new PendingFault(mode, delay, count));
        }
    }

    public Fault? TryConsume(string channel, string operation)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue((channel, operation), out var queue) || queue.Count == 0)
            {
                return null;
            }

            var head = queue.Peek();
            head.Remaining--;
            if (head.Remaining == 0)
            {
                queue.Dequeue();
            }

            return new Fault(head.Mode, head.Delay);
        }
    }

    public FaultView[] Snapshot()
    {
        lock (_gate)
        {
            return
            [
                .. _pending.SelectMany(entry => entry.Value.Select(fault => new FaultView(
                    entry.Key.Channel,
                    entry.Key.Operation,
                    FaultNames.ModeName(fault.Mode),
                    fault.Remaining,
                    (int)fault.Delay.TotalMilliseconds))),
            ];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _pending.Clear();
        }
    }

    private sealed class PendingFault(FaultMode mode, TimeSpan delay, int remaining)
    {
        public FaultMode Mode { get; } = mode;

        public TimeSpan Delay { get; } = delay;

        public int Remaining { get; set; } = remaining;
    }
}
