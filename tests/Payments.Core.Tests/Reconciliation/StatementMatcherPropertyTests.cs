using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Payments.Core.Reconciliation;

namespace Payments.Core.Tests.Reconciliation;

public class StatementMatcherPropertyTests
{
    public enum Injection
    {
        None,
        Drop,
        Amount,
        Status,
        Fee,
        Currency,
        Duplicate,
    }

    /// <summary>One of our transactions and what the generated statement does to it.</summary>
    public sealed record Spec(TransactionKind Kind, long Fen, int SecondOfDay, TransactionStatus Status, Injection Injection);

    public sealed record Scenario(
        IReadOnlyList<SystemRecord> Records,
        IReadOnlyList<StatementLine> Statement,
        IReadOnlyList<(string Id, DiscrepancyCategory Category)> Expected);

    // Clear of both midnights by more than the tolerance, so nothing here is suspected or crosses days.
    private static readonly int FirstSecond = (int)ReconciliationOptions.DefaultCutOffTolerance.TotalSeconds + 1;
    private static readonly int LastSecond = 86_399 - FirstSecond;

    private static Gen<Spec> Specs(bool inject) =>
        from kind in Gen.Frequency((4, Gen.Constant(TransactionKind.Payment)), (1, Gen.Constant(TransactionKind.Refund)))
        from fen in Gen.Choose(1, 5_000_000)
        from second in Gen.Choose(FirstSecond, LastSecond)
        from status in Gen.Frequency(
            (9, Gen.Constant(TransactionStatus.Succeeded)),
            (1, Gen.Elements(TransactionStatus.Failed, TransactionStatus.Closed)))
        from injection in inject
            ? Gen.Frequency((6, Gen.Constant(Injection.None)), (4, Gen.Elements(Enum.GetValues<Injection>())))
            : Gen.Constant(Injection.None)
        select new Spec(kind, fen, second, status, injection);

    private static Gen<Scenario> Scenarios(bool inject) =>
        from specs in Gen.ListOf(Specs(inject))
        from extras in inject ? Gen.Choose(0, 3) : Gen.Constant(0)
        from extraFen in Gen.Choose(1, 100_000)
        let built = Build(specs, extras, extraFen)
        from shuffled in Gen.Shuffle(built.Statement.ToArray())
        select built with { Statement = shuffled };

    [Property]
    public Property AStatementThatEqualsOurRecordsHasNoDiscrepancies() =>
        Prop.ForAll(Scenarios(inject: false).ToArbitrary(), scenario =>
        {
            var result = Reconcile.Run(scenario.Records, scenario.Statement);
            var expected = scenario.Records.Where(r => r.Status == TransactionStatus.Succeeded).ToList();
            var system = result.Totals.System;
            var statement = result.Totals.Statement;
            return result.Discrepancies.Count == 0
                && result.Counts.Values.All(c => c == 0)
                && statement.Payments.Matched + statement.Refunds.Matched == scenario.Statement.Count
                && system.Payments.Matched + system.Refunds.Matched == expected.Count
                && system.Payments.MatchedAmount.MinorUnits == Sum(expected, TransactionKind.Payment)
                && system.Refunds.MatchedAmount.MinorUnits == Sum(expected, TransactionKind.Refund)
                && statement.Payments.MatchedAmount == system.Payments.MatchedAmount
                && statement.Refunds.MatchedAmount == system.Refunds.MatchedAmount;
        });

    [Property]
    public Property EveryInjectedDifferenceIsFoundExactlyOnceInItsCategory() =>
        Prop.ForAll(Scenarios(inject: true).ToArbitrary(), scenario =>
        {
            var result = Reconcile.Run(scenario.Records, scenario.Statement);
            var found = result.Discrepancies.Select(d => (d.TransactionId, d.Category)).OrderBy(x => x).ToList();
            var expected = scenario.Expected.OrderBy(x => x).ToList();
            return found.SequenceEqual(expected)
                && result.Discrepancies.All(d => !d.Suspected)
                && DiscrepancyCategories.All.All(c => result.Counts[c] == expected.Count(e => e.Category == c));
        });

    [Property]
    public Property MatchingDoesNotDependOnTheOrderOfEitherSide() =>
        Prop.ForAll(
            Scenarios(inject: true).SelectMany(
                s => Gen.Zip(Gen.Shuffle(s.Statement.ToArray()), Gen.Shuffle(s.Records.ToArray())),
                (s, orders) => (Scenario: s, Statement: orders.Item1, Records: orders.Item2)).ToArbitrary(),
            x =>
            {
                var original = Reconcile.Run(x.Scenario.Records, x.Scenario.Statement);
                var reordered = Reconcile.Run(x.Records, x.Statement);
                return original.Discrepancies.SequenceEqual(reordered.Discrepancies)
                    && original.Totals == reordered.Totals
                    && original.Counts.OrderBy(c => c.Key).SequenceEqual(reordered.Counts.OrderBy(c => c.Key));
            });

    [Property]
    public Property ALineWithoutOurIdIsMatchedByTheChannelsId() =>
        Prop.ForAll(Scenarios(inject: false).ToArbitrary(), scenario =>
        {
            var anonymous = scenario.Statement.Select(line => line with { Id = string.Empty }).ToList();
            var result = Reconcile.Run(scenario.Records, anonymous);
            return result.Discrepancies.Count == 0;
        });

    private static long Sum(IEnumerable<SystemRecord> records, TransactionKind kind) =>
        records.Where(r => r.Kind == kind).Sum(r => r.Amount.MinorUnits);

    private static Scenario Build(IReadOnlyList<Spec> specs, int extras, int extraFen)
    {
        var records = new List<SystemRecord>();
        var lines = new List<StatementLine>();
        var expected = new List<(string, DiscrepancyCategory)>();
        for (int i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            var time = Reconcile.At(0, 0, 0).AddSeconds(spec.SecondOfDay);
            var record = spec.Kind == TransactionKind.Payment
                ? Reconcile.Payment($"pay_{i:D4}", spec.Fen, time, spec.Status)
                : Reconcile.Refund($"ref_{i:D4}", spec.Fen, time, spec.Status);
            records.Add(record);
            var line = Reconcile.LineFor(record);

            if (spec.Status != TransactionStatus.Succeeded)
            {
                // Not expected on the statement; when the channel lists it as paid anyway, the statuses disagree.
                if (spec.Injection != Injection.None)
                {
                    lines.Add(line with { ChannelStatus = "SUCCESS", Status = TransactionStatus.Succeeded });
                    expected.Add((record.Id, DiscrepancyCategory.StatusMismatch));
                }

                continue;
            }

            switch (spec.Injection)
            {
                case Injection.None:
                    lines.Add(line);
                    break;
                case Injection.Drop:
                    expected.Add((record.Id, DiscrepancyCategory.MissingInChannel));
                    break;
                case Injection.Amount:
                    lines.Add(line with { Amount = Reconcile.Cny(spec.Fen + 1) });
                    expected.Add((record.Id, DiscrepancyCategory.AmountMismatch));
                    break;
                case Injection.Status:
                    lines.Add(line with { ChannelStatus = "CLOSED", Status = TransactionStatus.Closed });
                    expected.Add((record.Id, DiscrepancyCategory.StatusMismatch));
                    break;
                case Injection.Fee:
                    lines.Add(line with { Fee = line.Fee!.Value + Reconcile.Cny(1) });
                    expected.Add((record.Id, DiscrepancyCategory.FeeMismatch));
                    break;
                case Injection.Currency:
                    lines.Add(line with { Amount = new Money(spec.Fen, Currency.Parse("USD")) });
                    expected.Add((record.Id, DiscrepancyCategory.CurrencyMismatch));
                    break;
                case Injection.Duplicate:
                    lines.Add(line);
                    lines.Add(line);
                    expected.Add((record.Id, DiscrepancyCategory.MissingInSystem));
                    break;
            }
        }

        for (int j = 0; j < extras; j++)
        {
            var stranger = Reconcile.Payment($"pay_x{j}", extraFen + j, Reconcile.At(12, 0, j));
            lines.Add(Reconcile.LineFor(stranger));
            expected.Add((stranger.Id, DiscrepancyCategory.MissingInSystem));
        }

        return new Scenario(records, lines, expected);
    }
}
