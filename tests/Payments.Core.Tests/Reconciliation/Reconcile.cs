using Payments.Core.Reconciliation;

namespace Payments.Core.Tests.Reconciliation;

/// <summary>Shared fixtures: one business day in Asia/Shanghai, a 0.6% fee, five minutes of cut-off tolerance.</summary>
internal static class Reconcile
{
    public static readonly DateOnly Day = new(2026, 11, 22);

    public static readonly FeeRate Fee = new(6000);

    public static readonly ReconciliationOptions Options = ReconciliationOptions.Default with { FeeRate = Fee };

    public static Money Cny(long fen) => new(fen, Currency.CNY);

    /// <summary>A time of <paramref name="day"/> (default: <see cref="Day"/>) in China time.</summary>
    public static DateTimeOffset At(int hour, int minute, int second, DateOnly? day = null) =>
        new((day ?? Day).ToDateTime(new TimeOnly(hour, minute, second)), TimeSpan.FromHours(8));

    public static SystemRecord Payment(string id, long fen, DateTimeOffset time, TransactionStatus status = TransactionStatus.Succeeded) =>
        new(id, TransactionKind.Payment, "42" + id, Cny(fen), status, time);

    public static SystemRecord Refund(string id, long fen, DateTimeOffset time, TransactionStatus status = TransactionStatus.Succeeded) =>
        new(id, TransactionKind.Refund, "50" + id, Cny(fen), status, time, PaymentId: "pay_of_" + id);

    /// <summary>The line the channel would write for a record: same ids, amount and time, the contracted fee.</summary>
    public static StatementLine LineFor(SystemRecord record) => new(
        record.Id,
        record.ChannelTransactionId,
        record.Kind,
        record.Amount,
        Fee.For(record.Kind, record.Amount),
        record.Status == TransactionStatus.Succeeded ? "SUCCESS" : record.Status.ToString().ToUpperInvariant(),
        record.Status,
        record.Time,
        record.PaymentId);

    /// <summary>
    /// Runs the matcher to completion. Every input is in memory, so nothing here actually waits; blocking keeps
    /// FsCheck properties synchronous.
    /// </summary>
    public static ReconciliationResult Run(
        IEnumerable<SystemRecord> records,
        IEnumerable<StatementLine> statement,
        IEnumerable<SystemRecord>? nextDay = null,
        ReconciliationCarryOver? previousDay = null,
        IEnumerable<SystemRecord>? previousDayRecords = null,
        DateOnly? date = null,
        ReconciliationOptions? options = null)
    {
        var input = new ReconciliationInput(
            date ?? Day,
            records.ToAsyncEnumerable(),
            (nextDay ?? []).ToAsyncEnumerable(),
            previousDay,
            previousDayRecords?.ToAsyncEnumerable());
        return new StatementMatcher(options ?? Options)
            .MatchAsync(input, statement.ToAsyncEnumerable(), CancellationToken.None)
            .GetAwaiter()
            .GetResult();
    }
}
