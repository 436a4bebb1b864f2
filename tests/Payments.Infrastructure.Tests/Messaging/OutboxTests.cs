using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Messaging;
using Payments.Infrastructure.Messaging;
using Payments.Tests.Shared;

namespace Payments.Infrastructure.Tests.Messaging;

public class OutboxTests(StoreFixture fx) : IClassFixture<StoreFixture>
{
    private async Task<List<string>> DrainAsync(string queue)
    {
        var texts = new List<string>();
        var client = fx.Clients.Queue(queue);
        while (true)
        {
            var batch = (await client.ReceiveMessagesAsync(32)).Value;
            if (batch.Length == 0)
            {
                return texts;
            }

            foreach (var m in batch)
            {
                texts.Add(m.MessageText);
                await client.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }
        }
    }

    [Fact]
    public async Task AMessageWhosePublishFailedAfterCommitStillArrivesThroughTheSweeper()
    {
        var p = StoreFixture.NewPayment();
        var message = StoreFixture.Message(p.Id, "create");
        fx.Publisher.Fail = true;
        try
        {
            await fx.Store.CreateAsync(p, [message], default);
            // The relay tries at once and fails: the row stays.
            Assert.False(await fx.Relay.PublishAsync(p.Id, message, default));
        }
        finally
        {
            fx.Publisher.Fail = false;
        }

        var sweeper = new OutboxSweeper(fx.Store, fx.Relay, NullLogger<OutboxSweeper>.Instance);
        int published = await sweeper.SweepAsync(TimeSpan.Zero, default);

        Assert.True(published >= 1);
        var arrived = await Eventually.ValueAsync(() => DrainAsync(Queues.ChannelRequests), l => l.Contains(message.Body), TimeSpan.FromSeconds(10), "the swept message");
        Assert.Contains(message.Body, arrived);
        Assert.Equal(0, await sweeper.SweepAsync(TimeSpan.Zero, default)); // nothing left behind
    }

    [Fact]
    public async Task AScheduledMessageStaysInvisibleUntilItsTime()
    {
        var p = StoreFixture.NewPayment();
        var later = StoreFixture.Message(p.Id, "later") with { Queue = Queues.MerchantNotifications, NotBefore = DateTimeOffset.UtcNow.AddMinutes(10) };
        Assert.True(await fx.Relay.PublishAsync(p.Id, later, default));

        var peeked = await fx.Clients.Queue(Queues.MerchantNotifications).PeekMessagesAsync(32);
        Assert.DoesNotContain(peeked.Value, m => m.MessageText == later.Body);
        var props = await fx.Clients.Queue(Queues.MerchantNotifications).GetPropertiesAsync();
        Assert.True(props.Value.ApproximateMessagesCount >= 1);
    }
}
