using Azure.Data.Tables;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Reconciliation;
using Payments.Core.Refunds;
using Payments.Infrastructure.Messaging;
using Payments.Infrastructure.Reconciliation;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Infrastructure.Tests.Reconciliation;

/// <summary>The per-account, per-business-day index on Azurite, fed the way production feeds it: the payment store's
/// commit writes an outbox row, the relay (or the sweeper) publishes it through <see cref="IndexingPublisher"/>.</summary>
public sealed class TableReconciliationIndexTests : IAsyncLifetime
{
    private const string Account = "ca_idx";
    private static readonly DateOnly Day = new(2026, 11, 22);

    private readonly StorageClients _clients = new(Azurite.IsolatedOptions());
    private readonly TableReconciliationIndex _index;
    private readonly OutboxRelay _relay;
    private readonly TablePaymentStore _store;

    public TableReconciliationIndexTests()
    {
        _index = new TableReconciliationIndex(_clients, ReconciliationOptions.Default);
        _relay = new OutboxRelay(new IndexingPublisher(new QueuesNotUsed(), _index), _clients, NullLogger<OutboxRelay>.Instance);
        _store = new TablePaymentStore(_clients, _relay, TimeProvider.System);
    }

    public Task InitializeAsync() => _clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);

    public Task DisposeAsync() => _clients.DeleteAllAsync(Queues.All, CancellationToken.None);

    private static DateTimeOffset China(DateOnly day, int hour, int minute, int second, int millisecond = 0) =>
        new(day.ToDateTime(new TimeOnly(hour, minute, second, millisecond)), TimeSpan.FromHours(8));

    private static IndexEntry Entry(string id, DateTimeOffset time, long amount = 100) =>
        new(id, TransactionKind.Payment, id, Account, "4200" + id, amount, "CNY", TransactionStatus.Succeeded, time);

    private Task<List<IndexEntry>> ReadAsync(DateOnly day) => _index.ReadDayAsync(Account, day, CancellationToken.None).ToListAsync().AsTask();

    private Task<List<TableEntity>> RowsAsync() => _clients.ReconciliationIndex.QueryAsync<TableEntity>(_ => true).ToListAsync().AsTask();

    [Fact]
    public async Task AnEntryWrittenTwiceIsOneEntry()
    {
        var entry = Entry("pay_twice", China(Day, 12, 0, 0));

        await _index.WriteAsync(entry, CancellationToken.None);
        await _index.WriteAsync(entry, CancellationToken.None);

        Assert.Equal([entry], await ReadAsync(Day));
        Assert.Single(await RowsAsync());
    }

    [Fact]
    public async Task AHundredEntriesLandOnTheirBusinessDayInTheirBucketsMidnightIncluded()
    {
        var days = new[] { Day.AddDays(-1), Day, Day.AddDays(1) };
        var written = new Dictionary<DateOnly, List<IndexEntry>> { [days[0]] = [], [days[1]] = [], [days[2]] = [] };
        for (int i = 0; i < 100; i++)
        {
            var day = days[i % 3];
            // Spread over the day, with some just before midnight in Shanghai and some just after it, which in UTC is
            // still the day before (16:00 UTC).
            var time = (i % 10) switch
            {
                0 => China(day, 23, 59, 59, 900),
                5 => China(day, 0, 0, 0, 100),
                _ => China(day, i % 24, i % 60, 0),
            };
            var entry = Entry($"pay_{i:D3}", time, amount: 100 + i);
            written[day].Add(entry);
            await _index.WriteAsync(entry, CancellationToken.None);
        }

        foreach (var day in days)
        {
            var read = await ReadAsync(day);
            Assert.Equal(written[day].OrderBy(e => e.Id, StringComparer.Ordinal), read.OrderBy(e => e.Id, StringComparer.Ordinal));
        }

        var rows = await RowsAsync();
        Assert.Equal(100, rows.Count);
        Assert.All(rows, row =>
        {
            var entry = written.Values.SelectMany(e => e).Single(e => e.Id == row.RowKey);
            Assert.Equal(TableReconciliationIndex.Partition(Account, BusinessCalendar.DayOf(entry.Time, BusinessCalendar.ChinaStandardTime), TableReconciliationIndex.BucketOf(entry.Id)), row.PartitionKey);
        });
        Assert.True(rows.Select(r => r.PartitionKey).Distinct().Count() > 16, "a hundred ids over three days use many buckets");
        var afterMidnight = written[Day].First(e => e.Time == China(Day, 0, 0, 0, 100));
        Assert.Equal(Day.AddDays(-1), DateOnly.FromDateTime(afterMidnight.Time.UtcDateTime));
        Assert.Contains(afterMidnight, await ReadAsync(Day));
        Assert.DoesNotContain(afterMidnight, await ReadAsync(Day.AddDays(-1)));
        Assert.Contains(written[Day], e => e.Time == China(Day, 23, 59, 59, 900));
    }

    [Fact]
    public async Task AReaderThatStopsEarlyDoesNotLeaveTheBucketReadersBlocked()
    {
        // More than the merge buffer holds, so bucket readers would block on a full buffer if nobody stopped them.
        var entities = Enumerable.Range(0, 6000).Select(i => Entry($"pay_many{i:D5}", China(Day, 10, 0, 0))).ToList();
        foreach (var group in entities.GroupBy(e => TableReconciliationIndex.BucketOf(e.Id)))
        {
            foreach (var batch in group.Chunk(100))
            {
                await Task.WhenAll(batch.Select(e => _index.WriteAsync(e, CancellationToken.None)));
            }
        }

        var read = new List<IndexEntry>();
        var stopped = Task.Run(async () =>
        {
            await foreach (var entry in _index.ReadDayAsync(Account, Day, CancellationToken.None))
            {
                read.Add(entry);
                if (read.Count == 10)
                {
                    break;
                }
            }
        });

        Assert.Same(stopped, await Task.WhenAny(stopped, Task.Delay(TimeSpan.FromSeconds(30))));
        await stopped;
        Assert.Equal(10, read.Count);
        Assert.Equal(6000, await _index.ReadDayAsync(Account, Day, CancellationToken.None).CountAsync());
    }

    [Fact]
    public async Task AReadThatIsCancelledThrowsInsteadOfEndingShort()
    {
        for (int i = 0; i < 50; i++)
        {
            await _index.WriteAsync(Entry($"pay_c{i:D3}", China(Day, 10, 0, 0)), CancellationToken.None);
        }

        using var cancel = new CancellationTokenSource();
        var read = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var entry in _index.ReadDayAsync(Account, Day, cancel.Token))
            {
                if (++read == 5)
                {
                    await cancel.CancelAsync();
                }
            }
        });
    }

    [Fact]
    public async Task EveryFinalPaymentAndRefundIsIndexedOnceThroughTheOutboxAndNothingElse()
    {
        var now = DateTimeOffset.UtcNow;
        var paidAt = China(Day, 11, 0, 0);
        var payment = StoreFixture.NewPayment() with { ChannelAccountId = Account };
        await _store.CreateAsync(payment, [], CancellationToken.None);

        // Pending is not final: nothing for the index.
        await CommitAsync(payment.Id, p => p.MarkPending(new NextAction("qr_code", "http://pay"), now).Payment);
        await SweepAsync();
        Assert.Empty(await RowsAsync());

        await CommitAsync(payment.Id, p => p.MarkSucceeded("4200x", p.Amount, paidAt).Payment);
        var refund = new Refund
        {
            Id = Ids.RefundId(payment.Id, "R-1"), PaymentId = payment.Id, MerchantRefundNo = "R-1", Amount = new Money(500, Currency.CNY),
            RequestHash = "h", CreatedAt = now, UpdatedAt = now,
        };
        var current = (await _store.GetAsync(payment.Id, CancellationToken.None))!;
        Assert.True(await _store.TryCommitAsync(new PaymentChange(current, current.Value.ReserveRefund(refund.Amount, now).Value!) { NewRefunds = [refund] }, CancellationToken.None));
        current = (await _store.GetAsync(payment.Id, CancellationToken.None))!;
        var refunded = refund.MarkPending("50x", now).Refund.MarkSucceeded("50x", China(Day, 12, 0, 0)).Refund;
        Assert.True(await _store.TryCommitAsync(new PaymentChange(current, current.Value with { UpdatedAt = now }) { UpdatedRefunds = [refunded] }, CancellationToken.None));

        // Published twice over (relay and sweeper both, say): still one entry each.
        await SweepAsync();
        var again = (await _store.GetAsync(payment.Id, CancellationToken.None))!;
        Assert.True(await _store.TryCommitAsync(new PaymentChange(again, again.Value with { AttentionReason = "look", UpdatedAt = now }), CancellationToken.None));
        await SweepAsync();

        var day = await ReadAsync(Day);
        Assert.Equal(2, (await RowsAsync()).Count);
        var paid = Assert.Single(day, e => e.Kind == TransactionKind.Payment);
        Assert.Equal((payment.Id, TransactionStatus.Succeeded, payment.Amount.MinorUnits, "4200x", paidAt), (paid.Id, paid.Status, paid.Amount, paid.ChannelTransactionId, paid.Time));
        var back = Assert.Single(day, e => e.Kind == TransactionKind.Refund);
        Assert.Equal((refund.Id, payment.Id, TransactionStatus.Succeeded, 500L), (back.Id, back.PaymentId, back.Status, back.Amount));
    }

    private async Task CommitAsync(string paymentId, Func<Payment, Payment> change)
    {
        var current = (await _store.GetAsync(paymentId, CancellationToken.None))!;
        Assert.True(await _store.TryCommitAsync(new PaymentChange(current, change(current.Value)), CancellationToken.None));
    }

    /// <summary>Publishes every outbox row twice, as a relay and a sweeper racing each other would.</summary>
    private async Task SweepAsync()
    {
        await foreach (var (paymentId, message) in _store.ListStaleOutboxAsync(TimeSpan.Zero, CancellationToken.None))
        {
            await _relay.PublishAsync(paymentId, message, CancellationToken.None);
            await new IndexingPublisher(new QueuesNotUsed(), _index).PublishAsync(message, CancellationToken.None);
        }
    }

    /// <summary>Nothing in these tests goes to a queue; a message that tried would fail the test.</summary>
    private sealed class QueuesNotUsed : IMessagePublisher
    {
        public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"unexpected queue message to {message.Queue}");
    }
}
