namespace Payments.Sandbox.Shared;

/// <summary>
/// Items waiting for their due time on the injected clock, handed out in due order by one loop, so a slow receiver of one never
/// holds up the others and thousands of pending retries cost no timers.
/// </summary>
internal sealed class DueQueue<T>(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly PriorityQueue<T, DateTimeOffset> _queue = new();
    private TaskCompletionSource _wakeUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Schedule(T item, DateTimeOffset at)
    {
        lock (_gate)
        {
            _queue.Enqueue(item, at);
            _wakeUp.TrySetResult();
        }
    }

    /// <summary>Hands each item to <paramref name="due"/> once its time has come, until <paramref name="stoppingToken"/> fires.</summary>
    public async Task RunAsync(Action<T> due, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var ready = new List<T>();
            TimeSpan wait;
            Task wakeUp;
            lock (_gate)
            {
                if (_wakeUp.Task.IsCompleted)
                {
                    _wakeUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                wakeUp = _wakeUp.Task;
                var now = time.GetUtcNow();
                while (_queue.TryPeek(out var item, out var at) && at <= now)
                {
                    _queue.Dequeue();
                    ready.Add(item);
                }

                wait = _queue.TryPeek(out _, out var next) ? next - now : Timeout.InfiniteTimeSpan;
            }

            foreach (var item in ready)
            {
                due(item);
            }

            using var waitCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            await Task.WhenAny(wakeUp, Task.Delay(wait, time, waitCancellation.Token));
            await waitCancellation.CancelAsync();
        }
    }
}
