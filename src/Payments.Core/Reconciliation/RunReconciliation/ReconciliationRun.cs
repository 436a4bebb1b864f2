namespace Payments.Core.Reconciliation.RunReconciliation;

public enum ReconciliationRunStatus
{
    /// <summary>Asked for, or under way.</summary>
    Running,
    Completed,

    /// <summary>Could not reconcile (no statement, unknown account, ...): <see cref="ReconciliationRun.Failure"/> says why.</summary>
    Failed,
}

/// <summary>What became of a discrepancy. Only <see cref="AutoCompleted"/> changed anything, and it did so through the
/// payment's normal path after the channel confirmed it.</summary>
public enum DiscrepancyResolution
{
    /// <summary>Left to operators; nothing was changed.</summary>
    Reported,

    /// <summary>Suspected because of where midnight fell: the next day's run confirms or clears it.</summary>
    AwaitingRecheck,

    /// <summary>The next day's statement did not carry it either: a real difference, reported.</summary>
    Confirmed,

    /// <summary>The next day's statement carried it: midnight, not money.</summary>
    Cleared,

    /// <summary>Our created or pending payment that the statement shows paid: a channel query confirmed it and the
    /// normal path completed it (webhook included).</summary>
    AutoCompleted,
}

public static class DiscrepancyResolutions
{
    public static IReadOnlyList<DiscrepancyResolution> All { get; } = Enum.GetValues<DiscrepancyResolution>();

    public static string ToWire(this DiscrepancyResolution resolution) => resolution switch
    {
        DiscrepancyResolution.Reported => "reported",
        DiscrepancyResolution.AwaitingRecheck => "awaiting_recheck",
        DiscrepancyResolution.Confirmed => "confirmed",
        DiscrepancyResolution.Cleared => "cleared",
        DiscrepancyResolution.AutoCompleted => "auto_completed",
        _ => throw new ArgumentOutOfRangeException(nameof(resolution), resolution, null),
    };

    public static bool TryParseWire(string? text, out DiscrepancyResolution resolution)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToWire(), text, StringComparison.Ordinal))
            {
                resolution = candidate;
                return true;
            }
        }

        resolution = default;
        return false;
    }
}

/// <summary>A discrepancy as a run stores it: with its id and what became of it.</summary>
public sealed record RunDiscrepancy(string Id, Discrepancy Discrepancy, DiscrepancyResolution Resolution)
{
    public bool IsCounted => Resolution != DiscrepancyResolution.Cleared;
}

/// <summary>The system-internal check of a run: the reconciliation index against the payment store.</summary>
/// <param name="Checked">Index entries of the day compared with the payment or refund they stand for.</param>
/// <param name="Mismatched">Of those, entries that disagree with the store (missing there, another status, amount,
/// currency, account or business day; an entry on the wrong day is also how an id indexed twice shows).</param>
/// <param name="NotIndexed">Final payments or refunds the statement carried that the store has and the index lacks.</param>
/// <param name="Problems">The first few of these, as sentences.</param>
public sealed record InternalCheck(long Checked, long Mismatched, long NotIndexed, IReadOnlyList<string> Problems)
{
    public const int MaxProblems = 20;
}

public sealed record RecheckCounts(int Confirmed, int Cleared);

/// <summary>
/// One reconciliation run: one channel account's business day. Starting the same day again re-runs it under a new
/// <see cref="Generation"/>; the discrepancies shown are those of <see cref="ResultGeneration"/>, the last run that
/// completed, so a re-run replaces a result whole and never shows half of one.
/// </summary>
public sealed record ReconciliationRun
{
    public required string Id { get; init; }
    public required string ChannelAccountId { get; init; }
    public required string Channel { get; init; }
    public required DateOnly Date { get; init; }
    public ReconciliationRunStatus Status { get; init; } = ReconciliationRunStatus.Running;

    /// <summary>Incremented by every execution as it starts; an execution overtaken by a newer one discards its work.</summary>
    public int Generation { get; init; }

    /// <summary>The generation whose discrepancies are the current result; null until a run completes.</summary>
    public int? ResultGeneration { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public string? Failure { get; init; }

    /// <summary>Discrepancies of the result per category, every category present; cleared ones are not counted.</summary>
    public IReadOnlyDictionary<DiscrepancyCategory, int> Counts { get; init; } = DiscrepancyCategories.All.ToDictionary(c => c, _ => 0);

    /// <summary>Discrepancies of the result per resolution, every resolution present.</summary>
    public IReadOnlyDictionary<DiscrepancyResolution, int> Resolutions { get; init; } = DiscrepancyResolutions.All.ToDictionary(r => r, _ => 0);

    /// <summary>What this run said about the previous day's suspected discrepancies.</summary>
    public RecheckCounts Rechecks { get; init; } = new(0, 0);

    public ReconciliationTotals? Totals { get; init; }

    public InternalCheck? Internal { get; init; }

    /// <summary>Counts and resolutions recomputed from a result's discrepancies.</summary>
    public ReconciliationRun WithTally(IEnumerable<RunDiscrepancy> discrepancies)
    {
        var counts = DiscrepancyCategories.All.ToDictionary(c => c, _ => 0);
        var resolutions = DiscrepancyResolutions.All.ToDictionary(r => r, _ => 0);
        foreach (var d in discrepancies)
        {
            resolutions[d.Resolution]++;
            if (d.IsCounted)
            {
                counts[d.Discrepancy.Category]++;
            }
        }

        return this with { Counts = counts, Resolutions = resolutions };
    }
}

/// <summary>A page of a run's discrepancies, in the run's order (transaction id, category, occurrence).</summary>
public sealed record DiscrepancyPage(IReadOnlyList<RunDiscrepancy> Items, bool HasMore);
