using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Payments;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;
using Payments.Core.Refunds;

namespace Payments.Core.Tests.Reconciliation.RunReconciliation;

/// <summary>One channel account ("ca_wx", wechatpay) with its day on fakes, and the handlers over them. The clock
/// stands at 10:30 China time the day after <see cref="Reconcile.Day"/>, when the daily run happens.</summary>
internal sealed class Runs
{
    public const string Account = "ca_wx";

    public Runs()
    {
        Query = new FakeQuery(Lookup, Index, Zone);
        Handler = new RunReconciliationHandler(
            Accounts, [Channel], Index, Store, Lookup, Query, Publisher, Reconcile.Options, Time, NullLogger<RunReconciliationHandler>.Instance);
        Accounts.Add(Account, "wechatpay");
    }

    public static TimeZoneInfo Zone => Reconcile.Options.BusinessTimeZone;

    public FakeTimeProvider Time { get; } = new(Reconcile.At(10, 30, 0, Reconcile.Day.AddDays(1)));

    public FakeAccounts Accounts { get; } = new();

    public FakeStatementChannel Channel { get; } = new();

    public FakeIndex Index { get; } = new();

    public InMemoryRunStore Store { get; } = new();

    public FakeLookup Lookup { get; } = new();

    public FakeQuery Query { get; }

    public RecordingPublisher Publisher { get; } = new();

    public RunReconciliationHandler Handler { get; }

    public static IndexEntry EntryOf(Payment p) => new(
        p.Id, TransactionKind.Payment, p.Id, p.ChannelAccountId, p.ChannelTransactionId, p.Amount.MinorUnits, p.Currency.Code,
        p.Status switch
        {
            PaymentStatus.Succeeded => TransactionStatus.Succeeded,
            PaymentStatus.Closed => TransactionStatus.Closed,
            _ => TransactionStatus.Failed,
        },
        p.SucceededAt ?? p.UpdatedAt);

    public static IndexEntry EntryOf(Refund r, Payment p) => new(
        r.Id, TransactionKind.Refund, p.Id, p.ChannelAccountId, r.ChannelRefundId, r.Amount.MinorUnits, r.Amount.Currency.Code,
        r.Status == RefundStatus.Succeeded ? TransactionStatus.Succeeded : TransactionStatus.Failed, r.SucceededAt ?? r.UpdatedAt);

    /// <summary>A payment of ours in the store; a succeeded one also in the index.</summary>
    public Payment Pay(string orderNo, long fen, DateTimeOffset at, PaymentStatus status = PaymentStatus.Succeeded)
    {
        var created = new Payment
        {
            Id = Ids.PaymentId("app_t", orderNo), AppId = "app_t", MerchantId = "mch_t", MerchantOrderNo = orderNo, Amount = Reconcile.Cny(fen),
            Channel = "wechatpay", Method = "qr", Subject = "Order " + orderNo, ChannelAccountId = Account, RequestHash = "h",
            ExpiresAt = at.AddMinutes(30), CreatedAt = at.AddMinutes(-1), UpdatedAt = at.AddMinutes(-1),
        };
        var payment = status switch
        {
            PaymentStatus.Succeeded => created.MarkSucceeded("4200" + created.Id, created.Amount, at).Payment,
            PaymentStatus.Pending => created.MarkPending(new NextAction("qr_code", "http://pay"), at.AddMinutes(-1)).Payment,
            PaymentStatus.Closed => created.MarkClosed(at).Payment,
            _ => created,
        };
        Lookup.Payments[payment.Id] = payment;
        if (payment.Status.IsTerminal())
        {
            Index.Add(EntryOf(payment), Zone);
        }

        return payment;
    }

    public Refund RefundOf(Payment payment, string refundNo, long fen, DateTimeOffset at)
    {
        var refund = new Refund
        {
            Id = Ids.RefundId(payment.Id, refundNo), PaymentId = payment.Id, MerchantRefundNo = refundNo, Amount = Reconcile.Cny(fen), RequestHash = "h",
            Status = RefundStatus.Succeeded, ChannelRefundId = "50" + refundNo, CreatedAt = at.AddMinutes(-1), UpdatedAt = at, SucceededAt = at,
        };
        Lookup.Refunds[refund.Id] = refund;
        Index.Add(EntryOf(refund, payment), Zone);
        return refund;
    }

    /// <summary>The line the channel prints for a payment of ours, on the day it was paid.</summary>
    public static StatementLine LineFor(Payment p, DateTimeOffset? at = null) => new(
        p.Id, "4200" + p.Id, TransactionKind.Payment, p.Amount, Reconcile.Fee.For(TransactionKind.Payment, p.Amount), "SUCCESS", TransactionStatus.Succeeded,
        at ?? p.SucceededAt ?? p.UpdatedAt);

    public static StatementLine LineFor(Refund r) => new(
        r.Id, r.ChannelRefundId, TransactionKind.Refund, r.Amount, Reconcile.Fee.For(TransactionKind.Refund, r.Amount), "SUCCESS", TransactionStatus.Succeeded,
        r.SucceededAt!.Value, r.PaymentId);

    public void Statement(DateOnly day, params StatementLine[] lines) => Channel.Statements[day] = [.. lines];

    public async Task<ReconciliationRun> RunAsync(DateOnly? day = null)
    {
        var command = new RunReconciliationCommand(Account, day ?? Reconcile.Day);
        await Handler.HandleAsync(command, CancellationToken.None);
        return (await Store.GetAsync(command.RunId, CancellationToken.None))!.Value;
    }

    public List<RunDiscrepancy> Result(ReconciliationRun run) => Store.Result(run.Id, run.ResultGeneration!.Value);
}
