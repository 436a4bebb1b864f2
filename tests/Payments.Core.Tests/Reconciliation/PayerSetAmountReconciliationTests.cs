using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Channels;
using Payments.Core.Payments;
using Payments.Core.Reconciliation;
using Payments.Core.Refunds;
using static Payments.Core.Tests.Reconciliation.Reconcile;

namespace Payments.Core.Tests.Reconciliation;

/// <summary>
/// Reconciling payments whose payer sets the amount (a bank transfer to a reference): our records come from the real
/// state applier and reconciliation feed, the statement is what the bank lists (one credit per transfer, folded per
/// reference and day as the transfer parser folds them, and one return per refund), and the matcher must find no
/// difference in a legitimate flow while still finding every real one.
/// </summary>
public class PayerSetAmountReconciliationTests
{
    private const string PaymentId = "pay_transfer1";
    private const string Collection = "COL-1";

    private static readonly ChannelStateApplier Applier = new(new PaymentSchedules(), NullLogger<ChannelStateApplier>.Instance);

    /// <summary>What the bank did with one reference: the credits (fen, time) in order, and when it closed, if it did
    /// before being paid in full. Each automatic refund returns a minute after it was decided.</summary>
    public sealed record Story(long Due, IReadOnlyList<(long Fen, DateTimeOffset At)> Credits, DateTimeOffset? ClosedAt);

    public sealed record Played(Payment Payment, List<SystemRecord> Records, List<StatementLine> Statement, List<Refund> Refunds);

    private static Payment NewPayment(long due) => new()
    {
        Id = PaymentId, AppId = "app_x", MerchantId = "mch_x", MerchantOrderNo = "T-1", Amount = Cny(due), Channel = "transfer",
        Method = "page", Subject = "s", ChannelAccountId = "ca_transfer", RequestHash = "h", Status = PaymentStatus.Pending,
        ExpiresAt = At(23, 0, 0), CreatedAt = At(8, 0, 0), UpdatedAt = At(8, 0, 0),
    };

    /// <summary>Runs the story through the applier and the feed; the bank's statement of <see cref="Reconcile.Day"/> is
    /// built from the same story the way the bank lists it.</summary>
    private static Played Play(Story story)
    {
        var payment = new Versioned<Payment>(NewPayment(story.Due), "0");
        var index = new List<IndexEntry>();
        var refunds = new List<Refund>();
        var statement = new List<StatementLine>();

        void Apply(PaymentChange? change)
        {
            if (change is null)
            {
                return;
            }

            index.AddRange(ReconciliationFeed.For(change).Select(m => JsonSerializer.Deserialize(m.Body, ReconciliationJson.Default.IndexEntry)!));
            refunds.AddRange(change.NewRefunds);
            payment = new Versioned<Payment>(change.Next, payment.ETag + "'");
        }

        long received = 0;
        var credited = new List<(long Fen, DateTimeOffset At)>();
        foreach (var (fen, at) in story.Credits)
        {
            received += fen;
            credited.Add((fen, at));
            var status = received >= story.Due ? ChannelPaymentStatus.Succeeded : ChannelPaymentStatus.Pending;
            Apply(Applier.Decide(payment, new ChannelPaymentState(status, Collection, Cny(received), at, PayerSetsAmount: true), at.AddSeconds(5), 0));
            if (status == ChannelPaymentStatus.Succeeded)
            {
                break; // a paid reference takes no more credits: the bank returns them itself, off the statement
            }
        }

        if (story.ClosedAt is { } closedAt && received < story.Due)
        {
            var last = credited.Count > 0 ? credited[^1].At : (DateTimeOffset?)null;
            Apply(Applier.Decide(payment, new ChannelPaymentState(ChannelPaymentStatus.Closed, Collection, received > 0 ? Cny(received) : null, last, PayerSetsAmount: true), closedAt, 0));
        }

        foreach (var refund in refunds.ToList())
        {
            var returnedAt = refund.CreatedAt.AddMinutes(1);
            string returnId = "RTN-" + refund.MerchantRefundNo;
            Apply(Applier.DecideRefund(payment, refund, new ChannelRefundState(ChannelRefundStatus.Succeeded, returnId, refund.Amount, returnedAt), returnedAt, 0));
            statement.Add(new StatementLine(refund.Id, returnId, TransactionKind.Refund, refund.Amount, Fee.For(TransactionKind.Refund, refund.Amount), "RETURN", TransactionStatus.Succeeded, returnedAt, PaymentId));
        }

        if (credited.Count > 0)
        {
            var amounts = credited.Select(c => Cny(c.Fen)).ToList();
            statement.Add(new StatementLine(
                PaymentId, Collection, TransactionKind.Payment, Cny(credited.Sum(c => c.Fen)), Cny(amounts.Sum(a => Fee.ChargeOn(a).MinorUnits)), "CREDIT",
                TransactionStatus.Succeeded, credited.Max(c => c.At), FoldedAmounts: amounts.Count > 1 ? amounts : null));
        }

        return new Played(payment.Value, [.. index.Select(e => e.ToRecord())], statement, refunds);
    }

    private static List<(string Id, DiscrepancyCategory Category)> Found(ReconciliationResult result) =>
        [.. result.Discrepancies.Select(d => (d.TransactionId, d.Category))];

    [Fact]
    public void APartialCreditThenATopUpOnOneDayReconcileWithNoDiscrepancy()
    {
        var played = Play(new Story(1000, [(300, At(10, 0, 0)), (700, At(11, 0, 0))], ClosedAt: null));

        Assert.Equal((PaymentStatus.Succeeded, 1000L), (played.Payment.Status, played.Payment.Amount.MinorUnits));
        var record = Assert.Single(played.Records);
        Assert.Equal((TransactionStatus.Succeeded, 1000L, At(11, 0, 0)), (record.Status, record.Amount.MinorUnits, record.Time));
        Assert.Empty(Found(Run(played.Records, played.Statement)));
    }

    [Fact]
    public void AnOverpaymentMatchesItsCreditByWhatArrivedAndTheReturnByTheExcessRefundWhileTheMerchantKeepsTheAmountDue()
    {
        var played = Play(new Story(1000, [(1250, At(10, 0, 0))], ClosedAt: null));

        Assert.Equal((1000L, 1250L, 1000L), (played.Payment.Amount.MinorUnits, played.Payment.AmountReceived!.Value.MinorUnits, played.Payment.Refundable.MinorUnits));
        var excess = Assert.Single(played.Refunds);
        Assert.Equal(("auto-over-" + Collection, 250L), (excess.MerchantRefundNo, excess.Amount.MinorUnits));
        Assert.Equal(
            new[] { (PaymentId, 1250L), (excess.Id, 250L) }.Order(),
            played.Records.Select(r => (r.Id, r.Amount.MinorUnits)).Order());
        var result = Run(played.Records, played.Statement);
        Assert.Empty(Found(result));
        Assert.Equal((1250L, 250L), (result.Totals.System.Payments.Amount.MinorUnits, result.Totals.System.Refunds.Amount.MinorUnits));
    }

    [Fact]
    public void AReferenceClosedHoldingPartOfTheAmountMatchesItsCreditAndTheReturnOfWhatItHeld()
    {
        var played = Play(new Story(1000, [(300, At(10, 0, 0))], ClosedAt: At(15, 0, 0)));

        Assert.Equal(PaymentStatus.Closed, played.Payment.Status);
        var held = Assert.Single(played.Refunds);
        Assert.Equal(("auto-partial-" + Collection, 300L), (held.MerchantRefundNo, held.Amount.MinorUnits));
        var record = Assert.Single(played.Records, r => r.Kind == TransactionKind.Payment);
        Assert.Equal((TransactionStatus.Succeeded, 300L, At(10, 0, 0)), (record.Status, record.Amount.MinorUnits, record.Time));
        Assert.Empty(Found(Run(played.Records, played.Statement)));
    }

    [Fact]
    public void AReferenceClosedHoldingNothingStaysAClosedRecordThatNoStatementExpects()
    {
        var played = Play(new Story(1000, [], ClosedAt: At(15, 0, 0)));

        var record = Assert.Single(played.Records);
        Assert.Equal((TransactionStatus.Closed, 1000L), (record.Status, record.Amount.MinorUnits));
        Assert.Null(played.Payment.AmountReceived);
        Assert.Empty(Found(Run(played.Records, [])));
    }

    [Fact]
    public void AChannelWhereThePayerDoesNotSetTheAmountIsIndexedForTheAmountDueAsBefore()
    {
        var payment = new Versioned<Payment>(NewPayment(1000), "0");
        var change = Applier.Decide(payment, new ChannelPaymentState(ChannelPaymentStatus.Succeeded, "42000", Cny(1000), At(10, 0, 0)), At(10, 0, 5), 0)!;

        var entry = JsonSerializer.Deserialize(Assert.Single(ReconciliationFeed.For(change)).Body, ReconciliationJson.Default.IndexEntry)!;
        Assert.Null(change.Next.AmountReceived);
        Assert.Equal((TransactionStatus.Succeeded, 1000L, At(10, 0, 0)), (entry.Status, entry.Amount, entry.Time));
    }

    [Fact]
    public void TheFeeOfFoldedCreditsIsExpectedPerCreditAsTheBankChargesIt()
    {
        // 0.6% of 250 is 1.5 and of 750 is 4.5, each rounded up: 7 fen, where 0.6% of the 1000 they add up to is 6.
        var played = Play(new Story(1000, [(250, At(10, 0, 0)), (750, At(11, 0, 0))], ClosedAt: null));
        var credit = Assert.Single(played.Statement);
        Assert.Equal(7L, credit.Fee!.Value.MinorUnits);
        Assert.Empty(Found(Run(played.Records, played.Statement)));

        var chargedOnTheTotal = credit with { Fee = Cny(6) };
        Assert.Equal([(PaymentId, DiscrepancyCategory.FeeMismatch)], Found(Run(played.Records, [chargedOnTheTotal])));
    }

    [Fact]
    public void ATopUpOnTheNextBusinessDayIsReportedOnBothDaysBecauseCreditsAreNeverFoldedAcrossDays()
    {
        var nextDay = Day.AddDays(1);
        var played = Play(new Story(1000, [(300, At(16, 0, 0)), (700, At(10, 0, 0, nextDay))], ClosedAt: null));
        var record = Assert.Single(played.Records);
        Assert.Equal(nextDay, BusinessCalendar.DayOf(record.Time, BusinessCalendar.ChinaStandardTime));

        // The bank's two statements, each folding only its own day's credit.
        var first = new StatementLine(PaymentId, Collection, TransactionKind.Payment, Cny(300), Fee.ChargeOn(Cny(300)), "CREDIT", TransactionStatus.Succeeded, At(16, 0, 0));
        var second = first with { Amount = Cny(700), Fee = Fee.ChargeOn(Cny(700)), Time = At(10, 0, 0, nextDay) };

        Assert.Equal([(PaymentId, DiscrepancyCategory.MissingInSystem)], Found(Run([], [first], nextDay: played.Records)));
        Assert.Equal([(PaymentId, DiscrepancyCategory.AmountMismatch)], Found(Run(played.Records, [second], date: nextDay)));
    }

    public enum Mutation
    {
        DropCredit,
        DropReturn,
        CreditAmount,
        ReturnAmount,
        CreditFee,
        UnknownEntryType,
        InventedCredit,
    }

    /// <summary>Flows that end within the day: paid in full (perhaps over), or closed holding what came. A reference
    /// still open and partly paid at the day's end is the two-day case above.</summary>
    private static Gen<Story> Stories =>
        from due in Gen.Choose(1, 2_000_000)
        from parts in Gen.Choose(1, 2 * due).ListOf().Select(l => l.Take(4).ToList())
        from seconds in Gen.Choose(3_600, 70_000).ListOf().Select(l => l.Take(4).Order().ToList())
        select new Story(
            due,
            [.. parts.Zip(seconds, (fen, second) => ((long)fen, At(0, 0, 0).AddSeconds(second)))],
            At(21, 0, 0));

    [Property(MaxTest = 300)]
    public Property EveryLegitimateFlowOfAReferenceReconcilesWithNoDiscrepancy() =>
        Prop.ForAll(Stories.ToArbitrary(), story =>
        {
            var played = Play(story);
            return Found(Run(played.Records, played.Statement)).Count == 0;
        });

    [Property(MaxTest = 300)]
    public Property AnyRealDifferenceInATransferStatementIsStillFound() =>
        Prop.ForAll(Stories.ToArbitrary(), Gen.Elements(Enum.GetValues<Mutation>()).ToArbitrary(), (story, mutation) =>
        {
            var played = Play(story);
            var credit = played.Statement.SingleOrDefault(l => l.Kind == TransactionKind.Payment);
            var refund = played.Statement.FirstOrDefault(l => l.Kind == TransactionKind.Refund);
            if (credit is null || (refund is null && mutation is Mutation.DropReturn or Mutation.ReturnAmount))
            {
                return true; // nothing arrived, or nothing went back: no such line to change
            }

            var statement = played.Statement.ToList();
            (string Id, DiscrepancyCategory Category) expected;
            switch (mutation)
            {
                case Mutation.DropCredit:
                    statement.Remove(credit);
                    expected = (PaymentId, DiscrepancyCategory.MissingInChannel);
                    break;
                case Mutation.DropReturn:
                    statement.Remove(refund!);
                    expected = (refund!.Id, DiscrepancyCategory.MissingInChannel);
                    break;
                case Mutation.CreditAmount:
                    statement[statement.IndexOf(credit)] = credit with { Amount = credit.Amount + Cny(1), FoldedAmounts = null };
                    expected = (PaymentId, DiscrepancyCategory.AmountMismatch);
                    break;
                case Mutation.ReturnAmount:
                    statement[statement.IndexOf(refund!)] = refund! with { Amount = refund.Amount + Cny(1) };
                    expected = (refund.Id, DiscrepancyCategory.AmountMismatch);
                    break;
                case Mutation.CreditFee:
                    statement[statement.IndexOf(credit)] = credit with { Fee = credit.Fee!.Value + Cny(1) };
                    expected = (PaymentId, DiscrepancyCategory.FeeMismatch);
                    break;
                case Mutation.UnknownEntryType:
                    statement[statement.IndexOf(credit)] = credit with { ChannelStatus = "REVERSAL", Status = TransactionStatus.Unrecognized };
                    expected = (PaymentId, DiscrepancyCategory.StatusMismatch);
                    break;
                default:
                    statement.Add(credit with { Id = "pay_invented", ChannelTransactionId = "COL-invented" });
                    expected = ("pay_invented", DiscrepancyCategory.MissingInSystem);
                    break;
            }

            return Found(Run(played.Records, statement)).SequenceEqual([expected]);
        });
}
