using Azure.Data.Tables;
using Payments.Core.Payments;
using Payments.Core.Webhooks;

namespace Payments.Infrastructure.Tests.Storage;

public class TablePaymentStoreTests(StoreFixture fx) : IClassFixture<StoreFixture>
{
    private async Task<List<TableEntity>> PartitionAsync(string paymentId) =>
        await fx.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == paymentId).ToListAsync();

    [Fact]
    public async Task APaymentIsStoredWithItsOutboxInItsOwnPartition()
    {
        var p = StoreFixture.NewPayment();
        var (outcome, stored) = await fx.Store.CreateAsync(p, [StoreFixture.Message(p.Id, "create")], default);

        Assert.Equal(CreateOutcome.Created, outcome);
        var read = await fx.Store.GetAsync(p.Id, default);
        Assert.Equal(p, read!.Value with
        {
            Metadata = p.Metadata, AutoRefundedTransactions = p.AutoRefundedTransactions, AuditSequence = 0, AuditHash = Core.Audit.AuditChain.Genesis,
        });
        Assert.Equal(1, read.Value.AuditSequence); // the creation is the first record of the payment's audit chain
        Assert.Equal("c-7", read.Value.Metadata["cart"]);
        Assert.Equal(stored.ETag, read.ETag);
        var rows = await PartitionAsync(p.Id);
        Assert.Equal(["audit|000000000001", "outbox|" + StoreFixture.Message(p.Id, "create").Id, "payment"], rows.Select(r => r.RowKey).Order());
    }

    [Fact]
    public async Task FiftyConcurrentCreatesOfOnePaymentStoreExactlyOneWithOneOutboxMessage()
    {
        var p = StoreFixture.NewPayment();
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            fx.Store.CreateAsync(p with { CreatedAt = p.CreatedAt.AddTicks(i) }, [StoreFixture.Message(p.Id, "create")], default)));

        Assert.Single(results, r => r.Outcome == CreateOutcome.Created);
        Assert.Equal(49, results.Count(r => r.Outcome == CreateOutcome.AlreadyExists));
        Assert.Equal(3, (await PartitionAsync(p.Id)).Count); // payment, its outbox message, its first audit record
    }

    [Fact]
    public async Task FiftyConcurrentCreatesInTheSameClockTickReportExactlyOneCreation()
    {
        // Identical requests on a coarse or fake clock carry the same CreatedAt: only the one whose
        // insert landed may say it created the payment.
        var p = StoreFixture.NewPayment();
        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => fx.Store.CreateAsync(p, [StoreFixture.Message(p.Id, "create")], default)));

        Assert.Single(results, r => r.Outcome == CreateOutcome.Created);
        Assert.Equal(49, results.Count(r => r.Outcome == CreateOutcome.AlreadyExists));
    }

    [Fact]
    public async Task ACommitOnAStaleVersionIsRefusedAndWritesNothing()
    {
        var p = StoreFixture.NewPayment();
        var (_, v1) = await fx.Store.CreateAsync(p, [], default);
        var pending = p.MarkPending(new NextAction("qr_code", "http://x"), DateTimeOffset.UtcNow).Payment;
        Assert.True(await fx.Store.TryCommitAsync(new PaymentChange(v1, pending), default));

        // v1 is stale now: a second writer that read it must lose, and none of its rows may appear.
        var closed = p.MarkClosed(DateTimeOffset.UtcNow).Payment;
        bool committed = await fx.Store.TryCommitAsync(new PaymentChange(v1, closed) { Outbox = [StoreFixture.Message(p.Id, "late")] }, default);

        Assert.False(committed);
        Assert.Equal(PaymentStatus.Pending, (await fx.Store.GetAsync(p.Id, default))!.Value.Status);
        Assert.DoesNotContain(await PartitionAsync(p.Id), r => r.RowKey.Contains(StoreFixture.Message(p.Id, "late").Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStateChangeAndItsMessagesCommitTogetherOrNotAtAll()
    {
        var p = StoreFixture.NewPayment();
        var (_, v1) = await fx.Store.CreateAsync(p, [], default);
        var paid = p.MarkSucceeded("tx-1", p.Amount, DateTimeOffset.UtcNow).Payment;
        var evt = new WebhookEvent("evt_1", p.Id, "payment.succeeded", "http://127.0.0.1/hook", "{}", DateTimeOffset.UtcNow);

        Assert.True(await fx.Store.TryCommitAsync(new PaymentChange(v1, paid) { NewEvents = [evt], Outbox = [StoreFixture.Message(p.Id, "evt")] }, default));
        var v2 = await fx.Store.GetAsync(p.Id, default);

        // Same event id again: the insert conflicts, so the payment update in the same batch must not land either.
        var touched = v2!.Value with { AttentionReason = "x" };
        Assert.False(await fx.Store.TryCommitAsync(new PaymentChange(v2, touched) { NewEvents = [evt], Outbox = [StoreFixture.Message(p.Id, "evt2")] }, default));
        Assert.Null((await fx.Store.GetAsync(p.Id, default))!.Value.AttentionReason);
        Assert.DoesNotContain(await PartitionAsync(p.Id), r => r.RowKey.EndsWith(StoreFixture.Message(p.Id, "evt2").Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADuplicateNotificationIsStoredOnce()
    {
        var p = StoreFixture.NewPayment();
        await fx.Store.CreateAsync(p, [], default);
        var entry = new InboxEntry("N-1", p.Id, "wechatpay", "{}", DateTimeOffset.UtcNow);

        Assert.Equal(InboxOutcome.Stored, await fx.Store.StoreInboxAsync(entry, StoreFixture.Message(p.Id, "n1"), default));
        Assert.Equal(InboxOutcome.Duplicate, await fx.Store.StoreInboxAsync(entry, StoreFixture.Message(p.Id, "n1"), default));
        Assert.Equal(InboxOutcome.UnknownPayment, await fx.Store.StoreInboxAsync(entry with { PaymentId = "pay_nope" }, StoreFixture.Message("pay_nope", "n1"), default));
        Assert.False((await fx.Store.GetInboxAsync(p.Id, "N-1", default))!.Processed);
    }
}
