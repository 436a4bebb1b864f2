namespace Payments.Sandbox.Shared;

/// <summary>The wait a delay or timeout fault puts into a channel call, on the injected clock.</summary>
internal static class InjectedDelay
{
    /// <returns>False when the client went away first.</returns>
    public static async Task<bool> WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken aborted)
    {
        try
        {
            await Task.Delay(delay, time, aborted);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
