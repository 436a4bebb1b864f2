using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Channels;
using Payments.Core.Payments;
using Payments.Core.Refunds;

namespace Payments.Core.Tests.Payments;

/// <summary>The money rule of channels where the payer types the amount (a bank transfer to a reference):
/// whatever arrives, in whatever order the news comes, the merchant keeps exactly the amount due or nothing,
/// and everything else the payer sent goes back, once.</summary>
public class PayerSetsAmountTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
    private const string Transaction = "VA-1";

    private static Payment NewPayment(long amount) => new()
    {
        Id = "pay_x", AppId = "app_x", MerchantId = "mch_x", MerchantOrderNo = "A-1",
        Amount = new Money(amount, Currency.CNY), Channel = "transfer", Method = "page", Subject = "s",
        ChannelAccountId = "ca_x", RequestHash = "h", ExpiresAt = T0.AddDays(3), CreatedAt = T0, UpdatedAt = T0,
        Status = PaymentStatus.Pending,
    };

    private static ChannelPaymentState Report(ChannelPaymentStatus status, long received) =>
        new(status, received > 0 ? Transaction : null, received > 0 ? new Money(received, Currency.CNY) : null, T0, PayerSetsAmount: true);

    /// <summary>The bank's story: credits accumulate against the reference until it is paid in full (the
    /// bank then refuses further credits) or we close it holding what came.</summary>
    public sealed record Story(long Amount, long[] Received, bool Closed, int[] DeliveryOrder);

    private static Arbitrary<Story> Stories =>
        (from amount in Gen.Choose(1, 1_000_000)
         from credits in Gen.Choose(0, 2 * amount).ListOf()
         from closeIfOpen in Gen.Elements(true, false)
         from shuffle in Gen.Choose(0, 1_000).ArrayOf()
         select Build(amount, credits, closeIfOpen, shuffle)).ToArbitrary();

    private static Story Build(long amount, IReadOnlyList<int> credits, bool closeIfOpen, int[] shuffle)
    {
        var cumulative = new List<long>();
        long total = 0;
        foreach (var credit in credits.Take(5))
        {
            total += credit;
            cumulative.Add(total);
            if (total >= amount)
            {
                break;
            }
        }

        // Every report is delivered at least once; some twice; in any order.
        int[] order = [.. Enumerable.Range(0, cumulative.Count).Concat(shuffle.Take(3).Where(_ => cumulative.Count > 0).Select(s => s % cumulative.Count))
            .Select((index, i) => (index, key: shuffle.Length > 0 ? shuffle[i % shuffle.Length] : i)).OrderBy(x => x.key).Select(x => x.index)];
        return new Story(amount, [.. cumulative], closeIfOpen && total < amount, order);
    }

    private sealed record Outcome(Payment Payment, List<Refund> Refunds);

    private static Outcome Play(Story story)
    {
        var applier = new ChannelStateApplier(new PaymentSchedules(), NullLogger<ChannelStateApplier>.Instance);
        var payment = new Versioned<Payment>(NewPayment(story.Amount), "0");
        var refunds = new List<Refund>();
        void Apply(ChannelPaymentState state)
        {
            if (applier.Decide(payment, state, T0.AddMinutes(1), 0) is { } change)
            {
                refunds.AddRange(change.NewRefunds);
                payment = new Versioned<Payment>(change.Next, payment.ETag + "'");
            }
        }

        foreach (int index in story.DeliveryOrder)
        {
            long received = story.Received[index];
            Apply(Report(received >= story.Amount ? ChannelPaymentStatus.Succeeded : ChannelPaymentStatus.Pending, received));
        }

        if (story.Closed)
        {
            // The close path queries first, then closes holding whatever the bank last reported.
            Apply(Report(ChannelPaymentStatus.Closed, story.Received.LastOrDefault()));
            Apply(Report(ChannelPaymentStatus.Closed, story.Received.LastOrDefault()));
        }

        return new Outcome(payment.Value, refunds);
    }

    [Property(MaxTest = 500)]
    public Property TheMerchantKeepsTheAmountDueOrNothingAndTheRestGoesBackOnce() => Prop.ForAll(Stories, story =>
    {
        var (payment, refunds) = Play(story);
        long received = story.Received.LastOrDefault();
        long kept = payment.Status == PaymentStatus.Succeeded ? story.Amount : 0;
        long returned = refunds.Sum(r => r.Amount.MinorUnits);
        bool open = payment.Status == PaymentStatus.Pending;
        return (open ? returned == 0 && received < story.Amount : kept + returned == received)
            && refunds.Select(r => r.Id).Distinct().Count() == refunds.Count
            && refunds.All(r => r.IsAutomatic && r.Amount.MinorUnits > 0);
    });

    [Property(MaxTest = 500)]
    public Property PaidInFullSucceedsAndLeavesTheWholeAmountRefundableToTheMerchant() => Prop.ForAll(Stories, story =>
    {
        var (payment, _) = Play(story);
        bool paidInFull = story.Received.LastOrDefault() >= story.Amount;
        return paidInFull == (payment.Status == PaymentStatus.Succeeded)
            && (!paidInFull || (payment.Refundable.MinorUnits == story.Amount && payment.ChannelTransactionId == Transaction));
    });

    [Property(MaxTest = 500)]
    public Property AnyoneWhoSentTheWrongAmountIsShownToOperators() => Prop.ForAll(Stories, story =>
    {
        var (payment, _) = Play(story);
        long received = story.Received.LastOrDefault();
        bool wrong = received != story.Amount && received > 0;
        return wrong == payment.AttentionReason is not null;
    });

    [Fact]
    public void AnOverPaymentSucceedsAndTheExcessIsRefundedAutomatically()
    {
        var (payment, refunds) = Play(new Story(1000, [1250], Closed: false, DeliveryOrder: [0, 0]));

        Assert.Equal(PaymentStatus.Succeeded, payment.Status);
        Assert.StartsWith("overpayment:", payment.AttentionReason);
        var excess = Assert.Single(refunds);
        Assert.Equal(250, excess.Amount.MinorUnits);
        Assert.Equal("auto-over-" + Transaction, excess.MerchantRefundNo);
        Assert.Equal(1000, payment.Refundable.MinorUnits);
    }

    [Fact]
    public void APartialPaymentStaysPendingAndIsFlaggedThenATopUpCompletesIt()
    {
        var partial = Play(new Story(1000, [400], Closed: false, DeliveryOrder: [0]));
        Assert.Equal(PaymentStatus.Pending, partial.Payment.Status);
        Assert.StartsWith("partial_payment:", partial.Payment.AttentionReason);

        var topped = Play(new Story(1000, [400, 1000], Closed: false, DeliveryOrder: [0, 1, 0]));
        Assert.Equal(PaymentStatus.Succeeded, topped.Payment.Status);
        Assert.Null(topped.Payment.AttentionReason);
        Assert.Empty(topped.Refunds);
    }

    [Fact]
    public void ClosingAPartlyPaidReferenceReturnsWhatArrived()
    {
        var (payment, refunds) = Play(new Story(1000, [300, 700], Closed: true, DeliveryOrder: [1, 0]));

        Assert.Equal(PaymentStatus.Closed, payment.Status);
        var back = Assert.Single(refunds);
        Assert.Equal(700, back.Amount.MinorUnits);
        Assert.Equal("auto-partial-" + Transaction, back.MerchantRefundNo);
    }
}
