namespace Payments.Sandbox.Tests.Support;

internal static class Eventually
{
    /// <summary>Polls until the condition holds, failing at the deadline; for state changed in the background.</summary>
    public static async Task<T> MatchAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"condition not met before the deadline; last value: {value}");
            }

            await Task.Delay(25);
        }
    }
}
