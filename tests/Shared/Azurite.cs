using System.Security.Cryptography;
using Payments.Infrastructure.Storage;

namespace Payments.Tests.Shared;

/// <summary>Tests run against a real Azurite (test.sh starts one). Each fixture gets its own table
/// and queue prefix, so tests never see each other's data.</summary>
public static class Azurite
{
    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("PAYMENTS_TEST_STORAGE") ?? "UseDevelopmentStorage=true";

    public static StorageOptions IsolatedOptions()
    {
        string tag = "t" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 10);
        return new StorageOptions { ConnectionString = ConnectionString, TablePrefix = tag, QueuePrefix = tag + "-" };
    }
}

/// <summary>Waits for a condition by polling with a deadline: never a fixed sleep.</summary>
public static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan within, string what)
    {
        var deadline = DateTime.UtcNow + within;
        T value = await probe();
        while (!done(value))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {within.TotalSeconds:0.#} s waiting for {what}; last value: {value}");
            }

            await Task.Delay(50);
            value = await probe();
        }

        return value;
    }

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan within, string what) => ValueAsync(probe, v => v, within, what);
}
