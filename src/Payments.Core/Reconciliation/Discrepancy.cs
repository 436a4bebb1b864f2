namespace Payments.Core.Reconciliation;

/// <summary>The categories api.md lists, in the order a matched pair is checked: the first that differs is reported.</summary>
public enum DiscrepancyCategory
{
    /// <summary>Long: the channel has it, we do not. Also every repeat of a line the statement already carried.</summary>
    MissingInSystem,

    /// <summary>Short: we have a succeeded payment or refund the channel's statement does not.</summary>
    MissingInChannel,

    StatusMismatch,
    CurrencyMismatch,
    AmountMismatch,
    FeeMismatch,
}

public static class DiscrepancyCategories
{
    public static IReadOnlyList<DiscrepancyCategory> All { get; } = Enum.GetValues<DiscrepancyCategory>();

    /// <summary>The category as api.md spells it.</summary>
    public static string ToWire(this DiscrepancyCategory category) => category switch
    {
        DiscrepancyCategory.MissingInSystem => "missing_in_system",
        DiscrepancyCategory.MissingInChannel => "missing_in_channel",
        DiscrepancyCategory.AmountMismatch => "amount_mismatch",
        DiscrepancyCategory.StatusMismatch => "status_mismatch",
        DiscrepancyCategory.FeeMismatch => "fee_mismatch",
        DiscrepancyCategory.CurrencyMismatch => "currency_mismatch",
        _ => throw new ArgumentOutOfRangeException(nameof(category), category, null),
    };

    public static bool TryParseWire(string? text, out DiscrepancyCategory category)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToWire(), text, StringComparison.Ordinal))
            {
                category = candidate;
                return true;
            }
        }

        category = default;
        return false;
    }
}

/// <summary>
/// One difference between the statement and our records.
/// </summary>
/// <param name="Category">What differs.</param>
/// <param name="TransactionId">Our payment or refund id (or, for a line that carries none, the channel's id).</param>
/// <param name="Line">The statement's side; null for <see cref="DiscrepancyCategory.MissingInChannel"/>.</param>
/// <param name="Record">Our side; null for a line we have no record of. A repeated line carries the record
/// its first occurrence matched, so an operator sees what it repeats.</param>
/// <param name="Suspected">Missing only because of where midnight fell: it may still appear on the neighbouring
/// day's statement, and the next day's run confirms or clears it.</param>
/// <param name="Occurrence">1, or n for the n-th time the statement carries the same line: with
/// <see cref="TransactionId"/> and <see cref="Category"/> it identifies the discrepancy within a run.</param>
/// <param name="Detail">A sentence for operators.</param>
public sealed record Discrepancy(
    DiscrepancyCategory Category,
    string TransactionId,
    StatementLine? Line,
    SystemRecord? Record,
    bool Suspected,
    int Occurrence,
    string Detail);

public enum RecheckVerdict
{
    /// <summary>The neighbouring day's statement did not carry it either: a real difference.</summary>
    Confirmed,

    /// <summary>It appeared on today's statement: the suspicion was midnight, not money.</summary>
    Cleared,
}

/// <summary>What today's run says about one of yesterday's suspected discrepancies. When it cleared but the line
/// it matched differs (another amount, say), today's run reports that difference itself.</summary>
public sealed record RecheckOutcome(Discrepancy Suspected, RecheckVerdict Verdict);
