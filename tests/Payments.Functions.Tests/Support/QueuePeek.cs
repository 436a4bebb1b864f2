using Azure.Storage.Queues;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.Support;

public static class QueuePeek
{
    /// <summary>Peeks (without consuming) until <paramref name="count"/> matching messages are visible.</summary>
    public static async Task<List<string>> WaitForCountAsync(QueueClient queue, Func<string, bool> match, int count)
    {
        async Task<List<string>> PeekAsync() => (await queue.PeekMessagesAsync(32)).Value.Select(m => m.MessageText).Where(match).ToList();
        return await Eventually.ValueAsync(PeekAsync, l => l.Count >= count, TimeSpan.FromSeconds(10), $"{count} message(s)");
    }
}
