using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Payments.Core.Payments;

namespace Payments.Core.Tests.Payments;

public class PaymentStateMachineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    public enum Event
    {
        Pending,
        PaidRight,
        PaidWrongAmount,
        PaidOtherTransaction,
        Failed,
        Closed,
    }

    private static Payment NewPayment() => new()
    {
        Id = "pay_x", AppId = "app_x", MerchantId = "mch_x", MerchantOrderNo = "A-1",
        Amount = new Money(1000, Currency.CNY), Channel = "wechatpay", Method = "qr", Subject = "s",
        ChannelAccountId = "ca_x", RequestHash = "h", ExpiresAt = T0.AddMinutes(30), CreatedAt = T0, UpdatedAt = T0,
    };

    private static (TransitionOutcome, Payment) Apply(Payment p, Event e) => e switch
    {
        Event.Pending => p.MarkPending(new NextAction("qr_code", "http://x"), T0),
        Event.PaidRight => p.MarkSucceeded("tx-1", new Money(1000, Currency.CNY), T0),
        Event.PaidWrongAmount => p.MarkSucceeded("tx-1", new Money(999, Currency.CNY), T0),
        Event.PaidOtherTransaction => p.MarkSucceeded("tx-2", new Money(1000, Currency.CNY), T0),
        Event.Failed => p.MarkFailed(new Failure("x", "y"), T0),
        Event.Closed => p.MarkClosed(T0),
        _ => throw new ArgumentOutOfRangeException(nameof(e)),
    };

    private static Arbitrary<Event[]> Histories => Gen.Elements(Enum.GetValues<Event>()).ArrayOf().ToArbitrary();

    [Property]
    public Property ATerminalStatusNeverChanges() => Prop.ForAll(Histories, events =>
    {
        var p = NewPayment();
        PaymentStatus? terminal = null;
        foreach (var e in events)
        {
            (_, p) = Apply(p, e);
            if (terminal is { } t && p.Status != t)
            {
                return false;
            }

            if (p.Status.IsTerminal())
            {
                terminal = p.Status;
            }
        }

        return true;
    });

    [Property]
    public Property AWrongAmountNeverMarksAPaymentPaid() => Prop.ForAll(Histories, events =>
    {
        var p = NewPayment();
        foreach (var e in events)
        {
            var (outcome, next) = Apply(p, e);
            if (e == Event.PaidWrongAmount && (outcome != TransitionOutcome.Rejected || next != p))
            {
                return false;
            }

            p = next;
        }

        return p.Status != PaymentStatus.Succeeded || p.ChannelTransactionId == "tx-1" || p.ChannelTransactionId == "tx-2";
    });

    [Property]
    public Property RepeatingAnAppliedEventIsANoOp() => Prop.ForAll(Histories, events =>
    {
        var p = NewPayment();
        foreach (var e in events)
        {
            var (outcome, next) = Apply(p, e);
            if (outcome == TransitionOutcome.Applied)
            {
                var (again, same) = Apply(next, e);
                if (again != TransitionOutcome.AlreadyDone || same != next)
                {
                    return false;
                }
            }

            p = next;
        }

        return true;
    });

    [Property]
    public Property OnlyTheAllowedEdgesAreEverTaken() => Prop.ForAll(Histories, events =>
    {
        var allowed = new HashSet<(PaymentStatus, PaymentStatus)>
        {
            (PaymentStatus.Created, PaymentStatus.Pending), (PaymentStatus.Created, PaymentStatus.Succeeded),
            (PaymentStatus.Created, PaymentStatus.Failed), (PaymentStatus.Created, PaymentStatus.Closed),
            (PaymentStatus.Pending, PaymentStatus.Succeeded), (PaymentStatus.Pending, PaymentStatus.Failed),
            (PaymentStatus.Pending, PaymentStatus.Closed),
        };
        var p = NewPayment();
        foreach (var e in events)
        {
            var (outcome, next) = Apply(p, e);
            if (outcome == TransitionOutcome.Applied && !allowed.Contains((p.Status, next.Status)))
            {
                return false;
            }

            p = next;
        }

        return true;
    });

    [Fact]
    public void ACallbackMayOvertakeTheCreateResponse()
    {
        var (outcome, paid) = NewPayment().MarkSucceeded("tx-1", new Money(1000, Currency.CNY), T0);
        Assert.Equal(TransitionOutcome.Applied, outcome);
        Assert.Equal(TransitionOutcome.Rejected, paid.MarkPending(new NextAction("qr_code", "u"), T0).Outcome);
        Assert.Equal(PaymentStatus.Succeeded, paid.Status);
    }

    [Fact]
    public void AClosedPaymentIsNeverMarkedPaid()
    {
        var (_, closed) = NewPayment().MarkClosed(T0);
        var (outcome, after) = closed.MarkSucceeded("tx-1", new Money(1000, Currency.CNY), T0);
        Assert.Equal(TransitionOutcome.Rejected, outcome);
        Assert.Equal(PaymentStatus.Closed, after.Status);
    }
}
