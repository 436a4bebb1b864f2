using System.Globalization;
using System.Runtime.InteropServices;

namespace Payments.Core.Reconciliation;

/// <summary>
/// Reconciles one business day of one channel account: a streaming hash join of the statement (probe side, read
/// once, never held) against our records of the day (build side, held by id and by channel id).
/// </summary>
/// <remarks>
/// <para>A line is joined on our id first and on the channel's id when that fails. A pair is checked for status
/// (kind included), currency, amount and fee, in that order, and reported once under the first that differs: a fee
/// computed from a wrong amount differs too, and saying so twice adds nothing.</para>
/// <para>Around midnight one side may date a transaction on the neighbouring day. A line of today that matches no
/// record of today may match a record of tomorrow dated within the tolerance after midnight (the run remembers it
/// so tomorrow does not call that record missing), or one of yesterday's suspected records. A succeeded record of
/// today that no line matched is missing in the channel; when it lies within the tolerance before midnight it is
/// suspected, because tomorrow's statement may carry it, and tomorrow's run confirms or clears it.</para>
/// <para>A line the statement carries a second time is a discrepancy of its own, in category
/// <see cref="DiscrepancyCategory.MissingInSystem"/>: the channel lists a movement of money we have no second
/// record of. Only the first occurrence is compared and counted as matched.</para>
/// </remarks>
public sealed class StatementMatcher
{
    private readonly ReconciliationOptions _options;

    public StatementMatcher(ReconciliationOptions options)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
    }

    public async Task<ReconciliationResult> MatchAsync(ReconciliationInput input, IAsyncEnumerable<StatementLine> statement, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(statement);

        var run = new Run(_options, input.Date, input.PreviousDay);
        await run.LoadAsync(input, ct);
        await foreach (var line in statement.WithCancellation(ct))
        {
            run.Add(line);
        }

        return run.Finish();
    }

    private enum Day
    {
        Previous,
        Current,
        Next,
    }

    private sealed class Entry(SystemRecord record, Day day, bool suspectedYesterday)
    {
        public SystemRecord Record { get; } = record;

        public Day Day { get; } = day;

        public bool SuspectedYesterday { get; } = suspectedYesterday;

        /// <summary>Lines that joined this record so far; more than one is a repeated line.</summary>
        public int Occurrences { get; set; }

        public bool Expected => Record.Status == TransactionStatus.Succeeded;
    }

    private readonly record struct ChannelKey(TransactionKind Kind, string ChannelTransactionId);

    private sealed class Totals(Currency currency)
    {
        private long _count;
        private long _amount;
        private long _matched;
        private long _matchedAmount;

        public void Count(Money amount)
        {
            _count++;
            if (amount.Currency == currency)
            {
                _amount = checked(_amount + amount.MinorUnits);
            }
        }

        public void Match(Money amount)
        {
            _matched++;
            if (amount.Currency == currency)
            {
                _matchedAmount = checked(_matchedAmount + amount.MinorUnits);
            }
        }

        public KindTotals ToKindTotals() =>
            new(_count, new Money(_amount, currency), _matched, new Money(_matchedAmount, currency));
    }

    private sealed class Side(Currency currency)
    {
        private readonly Totals _payments = new(currency);
        private readonly Totals _refunds = new(currency);

        public Totals For(TransactionKind kind) => kind == TransactionKind.Refund ? _refunds : _payments;

        public SideTotals ToSideTotals() => new(_payments.ToKindTotals(), _refunds.ToKindTotals());
    }

    private sealed class Run
    {
        private readonly ReconciliationOptions _options;
        private readonly DateOnly _date;
        private readonly ReconciliationCarryOver? _previousDay;
        private readonly DateTimeOffset _start;
        private readonly DateTimeOffset _end;
        private readonly TimeSpan _tolerance;

        private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);
        private readonly Dictionary<ChannelKey, Entry> _byChannelId = [];
        private readonly List<Entry> _today = [];
        private readonly Dictionary<string, int> _unmatchedLines = new(StringComparer.Ordinal);
        private readonly List<Discrepancy> _discrepancies = [];
        private readonly List<string> _matchedNextDay = [];
        private readonly Side _statement;
        private readonly Side _system;

        public Run(ReconciliationOptions options, DateOnly date, ReconciliationCarryOver? previousDay)
        {
            _options = options;
            _date = date;
            _previousDay = previousDay;
            _start = BusinessCalendar.StartOf(date, options.BusinessTimeZone);
            _end = BusinessCalendar.StartOf(date.AddDays(1), options.BusinessTimeZone);
            _tolerance = options.CutOffTolerance;
            _statement = new Side(options.Currency);
            _system = new Side(options.Currency);
        }

        public async Task LoadAsync(ReconciliationInput input, CancellationToken ct)
        {
            await foreach (var record in input.Records.WithCancellation(ct))
            {
                var entry = new Entry(record, Day.Current, suspectedYesterday: false);
                if (!Index(entry))
                {
                    continue;
                }

                _today.Add(entry);
                if (entry.Expected)
                {
                    _system.For(record.Kind).Count(record.Amount);
                }
            }

            if (_previousDay is not null)
            {
                foreach (string id in _previousDay.MatchedNextDayRecordIds)
                {
                    if (_byId.TryGetValue(id, out var entry) && entry.Day == Day.Current && entry.Occurrences == 0)
                    {
                        entry.Occurrences = 1;
                        if (entry.Expected)
                        {
                            _system.For(entry.Record.Kind).Match(entry.Record.Amount);
                        }
                    }
                }

                foreach (var suspected in _previousDay.Suspected)
                {
                    if (suspected is { Category: DiscrepancyCategory.MissingInChannel, Record: { } record })
                    {
                        Index(new Entry(record, Day.Previous, suspectedYesterday: true));
                    }
                }
            }
            else if (input.PreviousDayRecords is not null)
            {
                await foreach (var record in input.PreviousDayRecords.WithCancellation(ct))
                {
                    if (record.Time >= _start - _tolerance)
                    {
                        Index(new Entry(record, Day.Previous, suspectedYesterday: false));
                    }
                }
            }

            await foreach (var record in input.NextDayRecords.WithCancellation(ct))
            {
                if (record.Time < _end + _tolerance)
                {
                    Index(new Entry(record, Day.Next, suspectedYesterday: false));
                }
            }
        }

        public void Add(StatementLine line)
        {
            _statement.For(line.Kind).Count(line.Amount);

            var entry = Find(line);
            if (entry is null)
            {
                ReportUnmatchedLine(line, record: null, "the channel's statement carries it; we have no such record");
                return;
            }

            if (entry.Occurrences > 0)
            {
                entry.Occurrences++;
                _discrepancies.Add(new Discrepancy(
                    DiscrepancyCategory.MissingInSystem,
                    entry.Record.Id,
                    line,
                    entry.Record,
                    Suspected: false,
                    entry.Occurrences,
                    $"the statement carries {entry.Record.Id} again (occurrence {entry.Occurrences}); we have one record"));
                return;
            }

            switch (entry.Day)
            {
                case Day.Previous when !entry.SuspectedYesterday && line.Time >= _start + _tolerance:
                    ReportUnmatchedLine(line, entry.Record, $"it matches {entry.Record.Id} of the previous day, outside the cut-off tolerance");
                    return;
                case Day.Next when line.Time < _end - _tolerance:
                    ReportUnmatchedLine(line, entry.Record, $"it matches {entry.Record.Id} of the next day, outside the cut-off tolerance");
                    return;
                case Day.Next:
                    _matchedNextDay.Add(entry.Record.Id);
                    break;
            }

            entry.Occurrences = 1;
            if (Compare(line, entry.Record) is { } difference)
            {
                _discrepancies.Add(difference);
                return;
            }

            _statement.For(line.Kind).Match(line.Amount);
            if (entry.Day == Day.Current && entry.Expected)
            {
                _system.For(entry.Record.Kind).Match(entry.Record.Amount);
            }
        }

        public ReconciliationResult Finish()
        {
            foreach (var entry in _today)
            {
                if (entry.Occurrences > 0 || !entry.Expected)
                {
                    continue;
                }

                var record = entry.Record;
                bool nearEnd = record.Time >= _end - _tolerance;
                bool nearStartWithoutYesterday = _previousDay is null && record.Time < _start + _tolerance;
                bool suspected = nearEnd || nearStartWithoutYesterday;
                _discrepancies.Add(new Discrepancy(
                    DiscrepancyCategory.MissingInChannel,
                    record.Id,
                    Line: null,
                    record,
                    suspected,
                    Occurrence: 1,
                    suspected
                        ? "not on the statement, but dated within the cut-off tolerance of midnight: the neighbouring day's statement may carry it"
                        : "we have it as succeeded; the channel's statement does not carry it"));
            }

            _discrepancies.Sort(static (a, b) =>
            {
                int byId = string.CompareOrdinal(a.TransactionId, b.TransactionId);
                if (byId != 0)
                {
                    return byId;
                }

                int byCategory = a.Category.CompareTo(b.Category);
                return byCategory != 0 ? byCategory : a.Occurrence.CompareTo(b.Occurrence);
            });

            var counts = DiscrepancyCategories.All.ToDictionary(c => c, _ => 0);
            foreach (var discrepancy in _discrepancies)
            {
                counts[discrepancy.Category]++;
            }

            var rechecks = new List<RecheckOutcome>();
            foreach (var suspected in _previousDay?.Suspected ?? [])
            {
                bool cleared = suspected.Record is { } record
                    && _byId.TryGetValue(record.Id, out var entry)
                    && entry.Day == Day.Previous
                    && entry.Occurrences > 0;
                rechecks.Add(new RecheckOutcome(suspected, cleared ? RecheckVerdict.Cleared : RecheckVerdict.Confirmed));
            }

            var carryOver = new ReconciliationCarryOver(
                _date,
                _discrepancies.Where(d => d.Suspected).ToList(),
                _matchedNextDay.ToList());
            return new ReconciliationResult(
                _date,
                _discrepancies,
                rechecks,
                counts,
                new ReconciliationTotals(_statement.ToSideTotals(), _system.ToSideTotals()),
                carryOver);
        }

        /// <summary>Adds a record to both join indexes. The first record for an id wins: today's load first.</summary>
        private bool Index(Entry entry)
        {
            if (!_byId.TryAdd(entry.Record.Id, entry))
            {
                return false;
            }

            if (entry.Record.ChannelTransactionId is { Length: > 0 } channelId)
            {
                _byChannelId.TryAdd(new ChannelKey(entry.Record.Kind, channelId), entry);
            }

            return true;
        }

        private Entry? Find(StatementLine line)
        {
            if (line.Id.Length > 0 && _byId.TryGetValue(line.Id, out var byId))
            {
                return byId;
            }

            return line.ChannelTransactionId is { Length: > 0 } channelId
                && _byChannelId.TryGetValue(new ChannelKey(line.Kind, channelId), out var byChannelId)
                    ? byChannelId
                    : null;
        }

        private void ReportUnmatchedLine(StatementLine line, SystemRecord? record, string detail)
        {
            string id = line.Id.Length > 0 ? line.Id : line.ChannelTransactionId ?? string.Empty;
            string key = string.Concat(line.Kind == TransactionKind.Refund ? "R:" : "P:", line.Id.Length > 0 ? id : "#" + id);
            ref int seen = ref CollectionsMarshal.GetValueRefOrAddDefault(_unmatchedLines, key, out _);
            seen++;
            _discrepancies.Add(new Discrepancy(
                DiscrepancyCategory.MissingInSystem,
                id,
                line,
                record,
                Suspected: false,
                seen,
                seen == 1 ? detail : $"the statement carries {id} again (occurrence {seen}); we have no record of it"));
        }

        private Discrepancy? Compare(StatementLine line, SystemRecord record)
        {
            if (line.Kind != record.Kind || line.Status != record.Status)
            {
                return Differs(
                    DiscrepancyCategory.StatusMismatch,
                    $"the channel says {Describe(line.Kind)} {line.ChannelStatus} ({line.Status}); we have {Describe(record.Kind)} {record.Status}");
            }

            if (line.Amount.Currency != record.Amount.Currency)
            {
                return Differs(
                    DiscrepancyCategory.CurrencyMismatch,
                    $"the channel says {line.Amount.Currency}; we have {record.Amount.Currency}");
            }

            if (line.Amount.MinorUnits != record.Amount.MinorUnits)
            {
                return Differs(
                    DiscrepancyCategory.AmountMismatch,
                    $"the channel says {line.Amount}; we have {record.Amount}");
            }

            if (line.Fee is { } fee && ExpectedFee(line, record) is { } expected && fee != expected)
            {
                return Differs(
                    DiscrepancyCategory.FeeMismatch,
                    $"the channel charged {fee.ToString()}; we expect {expected.ToString()}");
            }

            return null;

            Discrepancy Differs(DiscrepancyCategory category, string detail) =>
                new(category, record.Id, line, record, Suspected: false, Occurrence: 1, detail);
        }

        /// <remarks>Called once the amounts agree, so a folded line's entries add up to the record's amount.</remarks>
        private Money? ExpectedFee(StatementLine line, SystemRecord record)
        {
            if (record.Fee is not null || _options.FeeRate is not { } rate)
            {
                return record.Fee;
            }

            if (line.FoldedAmounts is not { Count: > 0 } parts)
            {
                return rate.For(record.Kind, record.Amount);
            }

            long sum = 0;
            foreach (var part in parts)
            {
                sum = checked(sum + rate.For(record.Kind, part).MinorUnits);
            }

            return new Money(sum, record.Amount.Currency);
        }

        private static string Describe(TransactionKind kind) =>
            kind.ToString().ToLower(CultureInfo.InvariantCulture);
    }
}
