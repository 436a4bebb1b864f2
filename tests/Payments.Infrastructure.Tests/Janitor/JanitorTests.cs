using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Janitor;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Tests.Janitor;

internal sealed class RecordingPublisher : IMessagePublisher
{
    public ConcurrentBag<OutboxMessage> Sent { get; } = [];

    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        Sent.Add(message);
        return Task.CompletedTask;
    }
}

public class JanitorTests(StoreFixture fx) : IClassFixture<StoreFixture>
{
    [Fact]
    public async Task TheJanitorQueriesQuietPaymentsExpiresOverdueOnesAndForgetsFinishedOnes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var index = new TableOpenPaymentIndex(fx.Clients);
        var schedules = new PaymentSchedules { StuckAfter = TimeSpan.FromMinutes(5) };
        var publisher = new RecordingPublisher();
        var janitor = new JanitorHandler(fx.Store, index, publisher, schedules, clock, NullLogger<JanitorHandler>.Instance);

        var created = clock.GetUtcNow();
        var quiet = StoreFixture.NewPayment() with { CreatedAt = created, UpdatedAt = created, ExpiresAt = created.AddHours(2) };
        var overdue = StoreFixture.NewPayment() with { CreatedAt = created, UpdatedAt = created, ExpiresAt = created.AddMinutes(3) };
        var done = StoreFixture.NewPayment() with { CreatedAt = created, UpdatedAt = created, ExpiresAt = created.AddHours(2) };
        foreach (var p in new[] { quiet, overdue, done })
        {
            await fx.Store.CreateAsync(p, [], default);
            await index.AddAsync(p, default);
        }

        var doneRead = await fx.Store.GetAsync(done.Id, default);
        Assert.True(await fx.Store.TryCommitAsync(new PaymentChange(doneRead!, done.MarkFailed(new Failure("x", "y"), created).Payment), default));

        // Too early: nothing is stuck yet.
        Assert.Equal(0, (await janitor.RunAsync(default)).Examined);

        clock.Advance(TimeSpan.FromMinutes(6));
        var report = await janitor.RunAsync(default);

        Assert.Equal(new JanitorReport(Examined: 3, Queried: 1, Expired: 1, Cleaned: 1), report);
        Assert.Contains(publisher.Sent, m => m.Body.Contains(quiet.Id, StringComparison.Ordinal) && m.Body.Contains("Query", StringComparison.Ordinal));
        Assert.Contains(publisher.Sent, m => m.Body.Contains(overdue.Id, StringComparison.Ordinal) && m.Body.Contains("Expire", StringComparison.Ordinal));
        var remaining = await index.ListAsync(created.AddHours(-1), clock.GetUtcNow(), default).ToListAsync();
        Assert.DoesNotContain(done.Id, remaining);

        // The same sweep slot twice sends the same message ids: two instances firing together duplicate nothing new.
        var before = publisher.Sent.Select(m => m.Id).ToHashSet();
        await janitor.RunAsync(default);
        Assert.True(publisher.Sent.Select(m => m.Id).All(before.Contains));
    }
}

public class JanitorRefundTests(StoreFixture fx) : IClassFixture<StoreFixture>
{
    [Fact]
    public async Task APendingRefundNotHeardOfIsQueriedAndAFinishedOneLeavesTheIndex()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var index = new TableOpenPaymentIndex(fx.Clients);
        var schedules = new PaymentSchedules { StuckAfter = TimeSpan.FromMinutes(5) };
        var publisher = new RecordingPublisher();
        var janitor = new JanitorHandler(fx.Store, index, publisher, schedules, clock, NullLogger<JanitorHandler>.Instance);

        var now = clock.GetUtcNow();
        var paid = StoreFixture.NewPayment() with { CreatedAt = now, UpdatedAt = now, ExpiresAt = now.AddMinutes(30) };
        await fx.Store.CreateAsync(paid, [], default);
        var read = await fx.Store.GetAsync(paid.Id, default);
        var succeeded = paid.MarkSucceeded("tx-1", paid.Amount, now).Payment;
        Assert.True(await fx.Store.TryCommitAsync(new PaymentChange(read!, succeeded), default));

        Core.Refunds.Refund NewRefund(string no) => new()
        {
            Id = Core.Ids.RefundId(paid.Id, no), PaymentId = paid.Id, MerchantRefundNo = no, Amount = new Core.Money(100, paid.Currency),
            RequestHash = "h-" + no, CreatedAt = now, UpdatedAt = now, Status = Core.Refunds.RefundStatus.Pending,
        };
        var pending = NewRefund("r-pending");
        var done = NewRefund("r-done") with { Status = Core.Refunds.RefundStatus.Succeeded, SucceededAt = now };
        read = await fx.Store.GetAsync(paid.Id, default);
        Assert.True(await fx.Store.TryCommitAsync(new PaymentChange(read!, read!.Value with { AmountRefunded = 200 }) { NewRefunds = [pending, done] }, default));
        await index.AddAsync(pending, default);
        await index.AddAsync(done, default);

        clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(0, (await janitor.RunAsync(default)).Examined);

        clock.Advance(TimeSpan.FromMinutes(2));
        var report = await janitor.RunAsync(default);

        Assert.Equal(1, report.RefundsQueried);
        Assert.Equal(1, report.Cleaned);
        var query = Assert.Single(publisher.Sent);
        Assert.Contains("RefundQuery", query.Body, StringComparison.Ordinal);
        Assert.Contains(pending.Id, query.Body, StringComparison.Ordinal);
        var open = await index.ListAsync(now.AddHours(-1), clock.GetUtcNow(), default).ToListAsync();
        Assert.Equal([pending.Id], open);
    }

    [Fact]
    public void SomethingStuckLongerIsAskedLessOften()
    {
        var schedules = new PaymentSchedules();

        Assert.Equal(TimeSpan.FromMinutes(5), schedules.StuckCheckInterval(TimeSpan.FromMinutes(1)));
        Assert.Equal(TimeSpan.FromMinutes(5), schedules.StuckCheckInterval(TimeSpan.FromMinutes(59)));
        Assert.Equal(TimeSpan.FromHours(1), schedules.StuckCheckInterval(TimeSpan.FromHours(3)));
        Assert.Equal(TimeSpan.FromDays(1), schedules.StuckCheckInterval(TimeSpan.FromDays(2)));

        schedules.StuckAfter = TimeSpan.FromSeconds(1);
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeSpan.FromDays(1)], schedules.StuckChecks);
    }
}
