using Payments.Core.Payments;

namespace Payments.Core.Reconciliation.RunReconciliation;

/// <summary>Our side of a day: the per-account, per-business-day index the outbox feeds.</summary>
public interface IReconciliationIndex
{
    IAsyncEnumerable<IndexEntry> ReadDayAsync(string channelAccountId, DateOnly day, CancellationToken cancellationToken);
}

/// <summary>A channel account reconciliation may run for.</summary>
public sealed record ReconciliationAccount(string Id, string Channel);

public interface IReconciliationAccounts
{
    IAsyncEnumerable<ReconciliationAccount> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Runs and their discrepancies. A run's summary is replaced under its version; discrepancies are written
/// per generation and read back only for the generation the summary names.</summary>
public interface IReconciliationRunStore
{
    Task<Versioned<ReconciliationRun>?> GetAsync(string runId, CancellationToken cancellationToken);

    /// <summary>False when a run with that id exists already.</summary>
    Task<bool> TryCreateAsync(ReconciliationRun run, CancellationToken cancellationToken);

    /// <summary>False when the run changed since <paramref name="current"/> was read.</summary>
    Task<bool> TryReplaceAsync(Versioned<ReconciliationRun> current, ReconciliationRun next, CancellationToken cancellationToken);

    /// <summary>Writes a generation's result: its discrepancies, in order, and the next day's records its statement
    /// matched (the carry-over that is not a discrepancy). Writing the same generation again overwrites it.</summary>
    Task WriteResultAsync(string runId, int generation, IReadOnlyList<RunDiscrepancy> discrepancies, IReadOnlyCollection<string> matchedNextDayRecordIds, CancellationToken cancellationToken);

    /// <summary>Removes the rows of every generation in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    Task DeleteResultsAsync(string runId, int from, int to, CancellationToken cancellationToken);

    IAsyncEnumerable<RunDiscrepancy> ReadDiscrepanciesAsync(string runId, int generation, CancellationToken cancellationToken);

    /// <summary>A page in the run's order, optionally of one category, after the discrepancy <paramref name="startingAfter"/>
    /// (null when that id is not one of the generation's).</summary>
    Task<DiscrepancyPage?> ListDiscrepanciesAsync(
        string runId, int generation, DiscrepancyCategory? category, string? startingAfter, int limit, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> ReadMatchedNextDayAsync(string runId, int generation, CancellationToken cancellationToken);

    /// <summary>Sets one discrepancy's resolution; false when the generation has no such discrepancy.</summary>
    Task<bool> SetResolutionAsync(string runId, int generation, string discrepancyId, DiscrepancyResolution resolution, CancellationToken cancellationToken);
}

/// <summary>What reconciliation reads of the payment store: a payment or refund by id.</summary>
public interface IReconciliationLookup
{
    Task<Payment?> GetPaymentAsync(string paymentId, CancellationToken cancellationToken);

    Task<Refunds.Refund?> GetRefundAsync(string paymentId, string refundId, CancellationToken cancellationToken);
}

/// <summary>Asks the channel about a payment and applies the answer through the normal path (state machine, commit,
/// webhook), inline.</summary>
public interface IPaymentQuery
{
    Task QueryAsync(string paymentId, CancellationToken cancellationToken);
}

/// <summary>The payment store as reconciliation reads it.</summary>
public sealed class StoreReconciliationLookup(IPaymentStore store) : IReconciliationLookup
{
    public async Task<Payment?> GetPaymentAsync(string paymentId, CancellationToken cancellationToken) =>
        (await store.GetAsync(paymentId, cancellationToken))?.Value;

    public Task<Refunds.Refund?> GetRefundAsync(string paymentId, string refundId, CancellationToken cancellationToken) =>
        store.GetRefundAsync(paymentId, refundId, cancellationToken);
}

/// <summary>The channel-requests consumer's own query, run inline: the same code a follow-up query runs. Attempt 0 is a
/// one-off answer, so it starts no follow-up chain of its own.</summary>
public sealed class ChannelRequestPaymentQuery(Payments.ProcessChannelRequest.ProcessChannelRequestHandler requests) : IPaymentQuery
{
    public Task QueryAsync(string paymentId, CancellationToken cancellationToken) =>
        requests.HandleAsync(new Messaging.ChannelRequestMessage(Messaging.ChannelRequestKind.Query, paymentId, Attempt: 0), cancellationToken);
}
