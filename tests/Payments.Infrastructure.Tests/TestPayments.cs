using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Infrastructure.Messaging;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Infrastructure.Tests;

/// <summary>A store on its own tables, with a relay whose publisher the test controls.</summary>
public sealed class StoreFixture : IAsyncLifetime
{
    public StoreFixture()
    {
        Options = Azurite.IsolatedOptions();
        Clients = new StorageClients(Options);
        Publisher = new ControllablePublisher(new StorageQueuePublisher(Clients, TimeProvider.System));
        Relay = new OutboxRelay(Publisher, Clients, NullLogger<OutboxRelay>.Instance);
        Store = new TablePaymentStore(Clients, Relay, TimeProvider.System);
    }

    public StorageOptions Options { get; }
    public StorageClients Clients { get; }
    public ControllablePublisher Publisher { get; }
    public OutboxRelay Relay { get; }
    public TablePaymentStore Store { get; }

    public Task InitializeAsync() => Clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);

    public async Task DisposeAsync()
    {
        await Clients.DeleteAllAsync(Queues.All, CancellationToken.None);
    }

    public static Payment NewPayment(string? orderNo = null, long amount = 1999)
    {
        var now = DateTimeOffset.UtcNow;
        orderNo ??= Guid.NewGuid().ToString("N");
        return new Payment
        {
            Id = Ids.PaymentId("app_test", orderNo), AppId = "app_test", MerchantId = "mch_test", MerchantOrderNo = orderNo,
            Amount = new Money(amount, Currency.CNY), Channel = "wechatpay", Method = "qr", Subject = "Test",
            ChannelAccountId = "ca_test", RequestHash = "hash-" + amount, ExpiresAt = now.AddMinutes(30), CreatedAt = now, UpdatedAt = now,
            Metadata = new Dictionary<string, string> { ["cart"] = "c-7" },
        };
    }

    public static OutboxMessage Message(string paymentId, string tag) => new(Ids.MessageId(paymentId, tag), Queues.ChannelRequests, $"{{\"tag\":\"{tag}\",\"paymentId\":\"{paymentId}\"}}");
}

/// <summary>Publishes through the real queue transport unless told to fail.</summary>
public sealed class ControllablePublisher(IMessagePublisher inner) : IMessagePublisher
{
    public volatile bool Fail;

    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken) =>
        Fail ? throw new InvalidOperationException("publishing is down (test)") : inner.PublishAsync(message, cancellationToken);
}
