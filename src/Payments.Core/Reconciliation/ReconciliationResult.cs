namespace Payments.Core.Reconciliation;

/// <summary>
/// What one business day's run needs besides the statement.
/// </summary>
/// <param name="Date">The business day the statement covers.</param>
/// <param name="Records">Our final payments and refunds of that day.</param>
/// <param name="NextDayRecords">The following day's records as far as they exist at run time. Only those within the
/// cut-off tolerance after midnight are kept: a line the channel dated just before midnight may be one of them.</param>
/// <param name="PreviousDay">Yesterday's carry-over. With it, a line of today may match only a record yesterday's run
/// left suspected (anything else of yesterday was on yesterday's statement); without it (the first run), any
/// record of <paramref name="PreviousDayRecords"/> within the tolerance before midnight.</param>
/// <param name="PreviousDayRecords">Yesterday's records; read only when <paramref name="PreviousDay"/> is null.</param>
public sealed record ReconciliationInput(
    DateOnly Date,
    IAsyncEnumerable<SystemRecord> Records,
    IAsyncEnumerable<SystemRecord> NextDayRecords,
    ReconciliationCarryOver? PreviousDay,
    IAsyncEnumerable<SystemRecord>? PreviousDayRecords = null);

/// <summary>
/// What a run hands to the next day's run; the caller stores it with the run.
/// </summary>
/// <param name="Date">The day of the run that produced it.</param>
/// <param name="Suspected">That run's suspected discrepancies, which the next run confirms or clears.</param>
/// <param name="MatchedNextDayRecordIds">Records of the next day that this day's statement already matched (the channel
/// dated them before midnight): the next run must not call them missing.</param>
public sealed record ReconciliationCarryOver(
    DateOnly Date,
    IReadOnlyList<Discrepancy> Suspected,
    IReadOnlyCollection<string> MatchedNextDayRecordIds);

/// <summary>Counts and sums for one kind on one side. Amounts are in the account's currency; an amount in any other
/// currency is counted but not summed (it is a currency mismatch anyway).</summary>
/// <param name="Count">Lines (statement side) or records expected on the statement (our side).</param>
/// <param name="Matched">Of those, paired with the other side and agreeing in every compared field.</param>
public sealed record KindTotals(long Count, Money Amount, long Matched, Money MatchedAmount);

public sealed record SideTotals(KindTotals Payments, KindTotals Refunds);

/// <summary>
/// Per side totals. Our side counts only the day's succeeded records; its matched figures include records the
/// previous day's statement matched. The statement side counts every line, so the two matched counts differ exactly
/// by the transactions matched across midnight.
/// </summary>
public sealed record ReconciliationTotals(SideTotals Statement, SideTotals System);

/// <summary>
/// One day's reconciliation.
/// </summary>
/// <param name="Discrepancies">Ordered by transaction id, category and occurrence, so a run reads the same however the
/// statement was ordered.</param>
/// <param name="Rechecks">The verdict on each of yesterday's suspected discrepancies.</param>
/// <param name="Counts">Every category, zero included.</param>
public sealed record ReconciliationResult(
    DateOnly Date,
    IReadOnlyList<Discrepancy> Discrepancies,
    IReadOnlyList<RecheckOutcome> Rechecks,
    IReadOnlyDictionary<DiscrepancyCategory, int> Counts,
    ReconciliationTotals Totals,
    ReconciliationCarryOver CarryOver);
