using System.Text.Json;
using Microsoft.Extensions.Logging;
using Payments.Core.Apps;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Refunds;

namespace Payments.Core.Reconciliation.RunReconciliation;

/// <summary>The statement could not be had now (not produced yet, no answer, bad digest): the message is retried.</summary>
public sealed class StatementUnavailableException(string message) : Exception(message);

/// <summary>
/// Reconciles one channel account's business day: downloads and parses the statement as a stream, reads our index of
/// the day and both neighbouring days, takes the previous day's carry-over, matches, then resolves what is safe to
/// resolve and stores the result as the run's new generation.
/// </summary>
/// <remarks>
/// <para>Safe resolution is one thing only: a statement line that shows paid a payment we still hold created or
/// pending. The channel is asked about it through the normal query path, which completes it (webhook included) if the
/// channel confirms; the discrepancy then says <c>auto_completed</c>. Nothing is ever completed on the statement's word
/// alone, and everything else is reported.</para>
/// <para>Running a day again gives the same discrepancies under the same ids: the matcher is deterministic, a payment
/// an earlier run completed is not completed again (the normal path makes a repeat a no-op), and the earlier run's
/// <c>auto_completed</c> discrepancy is carried into the new result, since the payment's line now matches.</para>
/// </remarks>
public sealed class RunReconciliationHandler(
    IChannelAccountDirectory accounts,
    IEnumerable<IStatementChannel> statementChannels,
    IReconciliationIndex index,
    IReconciliationRunStore runs,
    IReconciliationLookup lookup,
    IPaymentQuery query,
    IMessagePublisher publisher,
    ReconciliationOptions options,
    TimeProvider time,
    ILogger<RunReconciliationHandler> logger)
{
    private const int MaxAttempts = 8;

    /// <summary>
    /// Asks for a run: checks the account and the day, marks the run running and queues it. <paramref name="requestKey"/>
    /// makes the queue message's id: the daily timer passes a fixed key (a repeated timer queues once), an operator the
    /// time of asking (every start runs).
    /// </summary>
    public async Task<Result<string>> RequestAsync(RunReconciliationCommand command, string requestKey, CancellationToken cancellationToken)
    {
        var account = await accounts.GetChannelAccountAsync(command.ChannelAccountId, cancellationToken);
        if (account is null)
        {
            return Invalid("channelAccountId", "No such channel account.");
        }

        if (StatementChannel(account) is null)
        {
            return Invalid("channelAccountId", $"The {account.Channel} channel publishes no statements to reconcile.");
        }

        var now = time.GetUtcNow();
        var today = BusinessCalendar.DayOf(now, options.BusinessTimeZone);
        if (command.Date > today)
        {
            return Invalid("date", $"Not a day in the future: today is {ReconciliationRunIds.Day(today)} in {options.BusinessTimeZone.Id}.");
        }

        string runId = command.RunId;
        await UpdateAsync(
            runId,
            () => NewRun(command, account.Channel, now),
            run => run with { Status = ReconciliationRunStatus.Running, RequestedAt = now, Failure = null },
            cancellationToken);

        string body = JsonSerializer.Serialize(command, RunReconciliationJson.Default.RunReconciliationCommand);
        await publisher.PublishAsync(new OutboxMessage(Ids.MessageId(runId, "run", requestKey), Queues.Reconciliations, body), cancellationToken);
        return runId;
    }

    /// <summary>Runs one (account, day). Throws when trying again later may help (no statement yet, storage down), so
    /// the queue redelivers; a run that cannot succeed is marked failed and not retried.</summary>
    public async Task HandleAsync(RunReconciliationCommand command, CancellationToken cancellationToken)
    {
        string runId = command.RunId;
        var account = await accounts.GetChannelAccountAsync(command.ChannelAccountId, cancellationToken);
        if (account is null)
        {
            await FailAsync(command, "unknown", null, "No such channel account.", cancellationToken);
            return;
        }

        if (StatementChannel(account) is not { } channel)
        {
            await FailAsync(command, account.Channel, null, $"The {account.Channel} channel publishes no statements.", cancellationToken);
            return;
        }

        var now = time.GetUtcNow();
        var started = await UpdateAsync(
            runId,
            () => NewRun(command, account.Channel, now) with { Generation = 1, StartedAt = now },
            run => run with { Status = ReconciliationRunStatus.Running, Generation = run.Generation + 1, StartedAt = now, CompletedAt = null, Failure = null },
            cancellationToken) ?? throw new InvalidOperationException($"Run {runId} could not be started.");
        int generation = started.Generation;
        logger.LogInformation("Reconciling {ChannelAccountId} {Date} as {RunId} generation {Generation}", command.ChannelAccountId, command.Date, runId, generation);

        try
        {
            if (await ReconcileAsync(command, account, channel, started, cancellationToken) is { } failure)
            {
                await FailAsync(command, account.Channel, generation, failure, cancellationToken);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning(e, "Reconciliation {RunId} generation {Generation} failed; it will be retried", runId, generation);
            await FailAsync(command, account.Channel, generation, $"{e.GetType().Name}: {e.Message}", CancellationToken.None);
            throw;
        }
    }

    /// <summary>Does the run; returns why it failed for good, or null.</summary>
    private async Task<string?> ReconcileAsync(
        RunReconciliationCommand command, ChannelAccount account, IStatementChannel channel, ReconciliationRun started, CancellationToken cancellationToken)
    {
        string runId = started.Id;
        int generation = started.Generation;
        Stream statement;
        switch (await channel.DownloadStatementAsync(account, command.Date, cancellationToken))
        {
            case ChannelResult<Stream>.Ok ok:
                statement = ok.Value;
                break;
            case ChannelResult<Stream>.Unknown unknown:
                throw new StatementUnavailableException($"The statement of {ReconciliationRunIds.Day(command.Date)} is not available: {unknown.Reason}");
            case ChannelResult<Stream>.Rejected rejected:
                return $"The channel refused the statement: {rejected.Code} {rejected.Message}";
            default:
                return $"The {account.Channel} channel publishes no statements.";
        }

        await using (statement)
        {
            var previousDay = command.Date.AddDays(-1);
            string previousRunId = ReconciliationRunIds.For(command.ChannelAccountId, previousDay);
            var previousRun = (await runs.GetAsync(previousRunId, cancellationToken))?.Value;
            var carryOver = previousRun?.ResultGeneration is int previousGeneration
                ? await CarryOverAsync(previousRunId, previousGeneration, previousDay, cancellationToken)
                : null;

            await using var check = new IndexCheck(lookup, command.Date, options.BusinessTimeZone, cancellationToken);
            var input = new ReconciliationInput(
                command.Date,
                check.ReadAsync(index.ReadDayAsync(command.ChannelAccountId, command.Date, cancellationToken)),
                Records(command.ChannelAccountId, command.Date.AddDays(1), cancellationToken),
                carryOver,
                carryOver is null ? Records(command.ChannelAccountId, previousDay, cancellationToken) : null);
            var result = await new StatementMatcher(options).MatchAsync(input, channel.ParseStatementAsync(statement, cancellationToken), cancellationToken);

            var discrepancies = new List<RunDiscrepancy>(result.Discrepancies.Count);
            foreach (var discrepancy in result.Discrepancies)
            {
                discrepancies.Add(await ResolveAsync(runId, discrepancy, check, cancellationToken));
            }

            var internalCheck = await check.CompleteAsync();
            if (started.ResultGeneration is int earlier)
            {
                await KeepEarlierResolutionsAsync(runId, earlier, discrepancies, cancellationToken);
            }

            await runs.WriteResultAsync(runId, generation, discrepancies, result.CarryOver.MatchedNextDayRecordIds, cancellationToken);
            var rechecks = new RecheckCounts(
                result.Rechecks.Count(r => r.Verdict == RecheckVerdict.Confirmed),
                result.Rechecks.Count(r => r.Verdict == RecheckVerdict.Cleared));
            if (previousRun?.ResultGeneration is int recheckedGeneration && result.Rechecks.Count > 0)
            {
                await RecordRechecksAsync(previousRunId, recheckedGeneration, result.Rechecks, cancellationToken);
            }

            await CompleteAsync(runId, generation, discrepancies, result.Totals, internalCheck, rechecks, cancellationToken);
            logger.LogInformation(
                "Reconciled {RunId} generation {Generation}: {Discrepancies} discrepancies, {Checked} index entries checked, {Mismatched} disagree with the store",
                runId, generation, discrepancies.Count(d => d.IsCounted), internalCheck.Checked, internalCheck.Mismatched);
            return null;
        }
    }

    private async Task<ReconciliationCarryOver> CarryOverAsync(string runId, int generation, DateOnly date, CancellationToken cancellationToken)
    {
        var suspected = new List<Discrepancy>();
        await foreach (var d in runs.ReadDiscrepanciesAsync(runId, generation, cancellationToken))
        {
            if (d.Discrepancy.Suspected)
            {
                suspected.Add(d.Discrepancy);
            }
        }

        return new ReconciliationCarryOver(date, suspected, await runs.ReadMatchedNextDayAsync(runId, generation, cancellationToken));
    }

    private async IAsyncEnumerable<SystemRecord> Records(string channelAccountId, DateOnly day, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var entry in index.ReadDayAsync(channelAccountId, day, cancellationToken))
        {
            yield return entry.ToRecord();
        }
    }

    /// <summary>What becomes of one discrepancy. Only a line we hold no final record of is looked into: the store may
    /// have it not final yet (the one safe resolution), or final but missing from the index (an internal fault).</summary>
    private async Task<RunDiscrepancy> ResolveAsync(string runId, Discrepancy discrepancy, IndexCheck check, CancellationToken cancellationToken)
    {
        var resolved = discrepancy.Suspected ? DiscrepancyResolution.AwaitingRecheck : DiscrepancyResolution.Reported;
        if (discrepancy is { Category: DiscrepancyCategory.MissingInSystem, Record: null, Occurrence: 1, Line: { } line })
        {
            (discrepancy, resolved) = line.Kind == TransactionKind.Refund
                ? await ResolveRefundLineAsync(discrepancy, line, check, cancellationToken)
                : await ResolvePaymentLineAsync(discrepancy, line, check, cancellationToken);
        }

        return new RunDiscrepancy(
            ReconciliationRunIds.Discrepancy(runId, discrepancy.TransactionId, discrepancy.Category, discrepancy.Occurrence), discrepancy, resolved);
    }

    private async Task<(Discrepancy, DiscrepancyResolution)> ResolvePaymentLineAsync(
        Discrepancy discrepancy, StatementLine line, IndexCheck check, CancellationToken cancellationToken)
    {
        if (!IsOurId(line.Id, "pay_") || await lookup.GetPaymentAsync(line.Id, cancellationToken) is not { } payment)
        {
            return (discrepancy, DiscrepancyResolution.Reported);
        }

        var ours = RecordOf(payment);
        if (payment.Status.IsTerminal())
        {
            check.NotIndexed($"payment {payment.Id} is {payment.Status.ToWire()} in the store but not in the index");
            return (discrepancy with { Record = ours, Detail = $"the store has it {payment.Status.ToWire()}, the reconciliation index does not: an internal fault" },
                DiscrepancyResolution.Reported);
        }

        string was = payment.Status.ToWire();
        if (line.Status != TransactionStatus.Succeeded)
        {
            return (Mismatch(discrepancy, ours, $"the channel says {line.ChannelStatus}; we have it {was}"), DiscrepancyResolution.Reported);
        }

        // The statement's word is not enough: the channel's own answer to a query decides, on the normal path.
        await query.QueryAsync(payment.Id, cancellationToken);
        var after = await lookup.GetPaymentAsync(payment.Id, cancellationToken);
        if (after is { Status: PaymentStatus.Succeeded } && ReconciledPayment.Of(after).Amount == line.Amount)
        {
            logger.LogInformation("Reconciliation completed {PaymentId}: the statement showed it paid and the channel confirmed it", payment.Id);
            return (Mismatch(discrepancy, ours, $"we had it {was}; the statement shows it paid and a channel query confirmed it: completed through the normal path"),
                DiscrepancyResolution.AutoCompleted);
        }

        string now = after?.Status.ToWire() ?? "gone";
        return (Mismatch(discrepancy, ours, $"we have it {was}; the statement shows it paid, but a channel query did not confirm it (now {now})"),
            DiscrepancyResolution.Reported);
    }

    private async Task<(Discrepancy, DiscrepancyResolution)> ResolveRefundLineAsync(
        Discrepancy discrepancy, StatementLine line, IndexCheck check, CancellationToken cancellationToken)
    {
        string? paymentId = line.PaymentId is { } p && IsOurId(p, "pay_") ? p : Ids.PaymentIdOfRefund(line.Id);
        if (!IsOurId(line.Id, "ref_") || paymentId is null || await lookup.GetRefundAsync(paymentId, line.Id, cancellationToken) is not { } refund)
        {
            return (discrepancy, DiscrepancyResolution.Reported);
        }

        var ours = RecordOf(refund);
        if (refund.Status.IsTerminal())
        {
            check.NotIndexed($"refund {refund.Id} is {refund.Status.ToWire()} in the store but not in the index");
            return (discrepancy with { Record = ours, Detail = $"the store has it {refund.Status.ToWire()}, the reconciliation index does not: an internal fault" },
                DiscrepancyResolution.Reported);
        }

        return line.Status == TransactionStatus.Processing
            ? (discrepancy with { Record = ours, Detail = "the refund is still processing on both sides: it is reconciled on the day it becomes final" }, DiscrepancyResolution.Reported)
            : (Mismatch(discrepancy, ours, $"the channel says {line.ChannelStatus}; we have the refund {refund.Status.ToWire()}"), DiscrepancyResolution.Reported);
    }

    private static Discrepancy Mismatch(Discrepancy discrepancy, SystemRecord ours, string detail) =>
        discrepancy with { Category = DiscrepancyCategory.StatusMismatch, Record = ours, Detail = detail };

    /// <summary>A payment an earlier run of the day completed now matches its line, so this run finds nothing there;
    /// the earlier run's word on it stays part of the day's result.</summary>
    private async Task KeepEarlierResolutionsAsync(string runId, int earlier, List<RunDiscrepancy> discrepancies, CancellationToken cancellationToken)
    {
        bool added = false;
        await foreach (var old in runs.ReadDiscrepanciesAsync(runId, earlier, cancellationToken))
        {
            if (old.Resolution != DiscrepancyResolution.AutoCompleted || discrepancies.Exists(d => d.Id == old.Id))
            {
                continue;
            }

            string transaction = old.Discrepancy.TransactionId;
            discrepancies.RemoveAll(d => d.Discrepancy is { Category: DiscrepancyCategory.MissingInSystem, Occurrence: 1 } other && other.TransactionId == transaction);
            discrepancies.Add(old);
            added = true;
        }

        if (added)
        {
            discrepancies.Sort(static (a, b) =>
            {
                int byId = string.CompareOrdinal(a.Discrepancy.TransactionId, b.Discrepancy.TransactionId);
                if (byId != 0)
                {
                    return byId;
                }

                int byCategory = a.Discrepancy.Category.CompareTo(b.Discrepancy.Category);
                return byCategory != 0 ? byCategory : a.Discrepancy.Occurrence.CompareTo(b.Discrepancy.Occurrence);
            });
        }
    }

    /// <summary>Writes today's verdicts onto yesterday's suspected discrepancies and recounts yesterday's run.</summary>
    private async Task RecordRechecksAsync(string previousRunId, int generation, IReadOnlyList<RecheckOutcome> rechecks, CancellationToken cancellationToken)
    {
        foreach (var recheck in rechecks)
        {
            var s = recheck.Suspected;
            string id = ReconciliationRunIds.Discrepancy(previousRunId, s.TransactionId, s.Category, s.Occurrence);
            var verdict = recheck.Verdict == RecheckVerdict.Cleared ? DiscrepancyResolution.Cleared : DiscrepancyResolution.Confirmed;
            await runs.SetResolutionAsync(previousRunId, generation, id, verdict, cancellationToken);
        }

        var all = await runs.ReadDiscrepanciesAsync(previousRunId, generation, cancellationToken).ToListAsync(cancellationToken);
        await UpdateAsync(previousRunId, () => null, run => run.ResultGeneration == generation ? run.WithTally(all) : null, cancellationToken);
    }

    private async Task CompleteAsync(
        string runId, int generation, List<RunDiscrepancy> discrepancies, ReconciliationTotals totals, InternalCheck internalCheck, RecheckCounts rechecks,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var completed = await UpdateAsync(
            runId,
            () => null,
            run => run.Generation != generation
                ? null
                : run.WithTally(discrepancies) with
                {
                    Status = ReconciliationRunStatus.Completed, ResultGeneration = generation, CompletedAt = now, Failure = null,
                    Totals = totals, Internal = internalCheck, Rechecks = rechecks,
                },
            cancellationToken);
        if (completed?.ResultGeneration == generation)
        {
            await runs.DeleteResultsAsync(runId, 0, generation, cancellationToken);
        }
        else
        {
            // A newer start overtook this one: its result is the one that counts.
            logger.LogInformation("Reconciliation {RunId} generation {Generation} was overtaken; its result is discarded", runId, generation);
            await runs.DeleteResultsAsync(runId, generation, generation + 1, cancellationToken);
        }
    }

    private async Task FailAsync(RunReconciliationCommand command, string channel, int? generation, string failure, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        logger.LogWarning("Reconciliation {RunId} failed: {Failure}", command.RunId, failure);
        await UpdateAsync(
            command.RunId,
            () => NewRun(command, channel, now) with { Status = ReconciliationRunStatus.Failed, Failure = failure, CompletedAt = now },
            run => generation is { } g && run.Generation != g
                ? null
                : run with { Status = ReconciliationRunStatus.Failed, Failure = failure, CompletedAt = now },
            cancellationToken);
        if (generation is { } written)
        {
            await runs.DeleteResultsAsync(command.RunId, written, written + 1, cancellationToken);
        }
    }

    /// <summary>Read-decide-write on a run under its version: <paramref name="create"/> when there is none (null: leave
    /// it), <paramref name="change"/> otherwise (null: leave it). Returns the run as finally stored.</summary>
    private async Task<ReconciliationRun?> UpdateAsync(
        string runId, Func<ReconciliationRun?> create, Func<ReconciliationRun, ReconciliationRun?> change, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            var current = await runs.GetAsync(runId, cancellationToken);
            if (current is null)
            {
                if (create() is not { } fresh)
                {
                    return null;
                }

                if (await runs.TryCreateAsync(fresh, cancellationToken))
                {
                    return fresh;
                }
            }
            else
            {
                if (change(current.Value) is not { } next)
                {
                    return current.Value;
                }

                if (await runs.TryReplaceAsync(current, next, cancellationToken))
                {
                    return next;
                }
            }

            if (attempt >= MaxAttempts)
            {
                throw new InvalidOperationException($"Reconciliation run {runId} kept changing under us ({MaxAttempts} attempts).");
            }
        }
    }

    private IStatementChannel? StatementChannel(ChannelAccount account) =>
        statementChannels.FirstOrDefault(c => c.Name == account.Channel);

    private static ReconciliationRun NewRun(RunReconciliationCommand command, string channel, DateTimeOffset now) => new()
    {
        Id = command.RunId, ChannelAccountId = command.ChannelAccountId, Channel = channel, Date = command.Date, RequestedAt = now,
    };

    private static Problem Invalid(string field, string message) =>
        Problem.Validation(new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Only ids shaped like ours are looked up: a statement line may carry anything.</summary>
    private static bool IsOurId(string id, string prefix) =>
        id.StartsWith(prefix, StringComparison.Ordinal) && id.Length <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static SystemRecord RecordOf(Payment payment)
    {
        var record = ReconciledPayment.Of(payment);
        return new(payment.Id, TransactionKind.Payment, payment.ChannelTransactionId, record.Amount, record.Status, record.Time);
    }

    private static SystemRecord RecordOf(Refund refund) => new(
        refund.Id,
        TransactionKind.Refund,
        refund.ChannelRefundId,
        refund.Amount,
        refund.Status switch
        {
            RefundStatus.Succeeded => TransactionStatus.Succeeded,
            RefundStatus.Failed => TransactionStatus.Failed,
            _ => TransactionStatus.Processing,
        },
        refund.SucceededAt ?? refund.UpdatedAt,
        PaymentId: refund.PaymentId);
}

/// <summary>The daily timer's report.</summary>
public sealed record ReconciliationScheduleReport(string Date, int Requested, int Skipped);

/// <summary>The daily timer: queues the previous business day of every channel account whose channel publishes statements.
/// It runs after the channels publish (about 10:00 in the business zone).</summary>
public sealed class ScheduleReconciliationsHandler(
    IReconciliationAccounts accounts,
    IEnumerable<IStatementChannel> statementChannels,
    RunReconciliationHandler runs,
    ReconciliationOptions options,
    TimeProvider time,
    ILogger<ScheduleReconciliationsHandler> logger)
{
    public async Task<ReconciliationScheduleReport> RunAsync(CancellationToken cancellationToken)
    {
        var day = BusinessCalendar.DayOf(time.GetUtcNow(), options.BusinessTimeZone).AddDays(-1);
        var channels = statementChannels.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        int requested = 0, skipped = 0;
        await foreach (var account in accounts.ListAsync(cancellationToken))
        {
            if (!channels.Contains(account.Channel))
            {
                continue;
            }

            var result = await runs.RequestAsync(new RunReconciliationCommand(account.Id, day), "scheduled", cancellationToken);
            if (result.Problem is { } problem)
            {
                skipped++;
                logger.LogWarning("Reconciliation of {ChannelAccountId} {Date} not queued: {Problem}", account.Id, day, problem.Detail);
                continue;
            }

            requested++;
        }

        logger.LogInformation("Queued reconciliation of {Date} for {Count} channel accounts", day, requested);
        return new ReconciliationScheduleReport(ReconciliationRunIds.Day(day), requested, skipped);
    }
}
