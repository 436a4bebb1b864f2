using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Audit;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;

namespace Payments.Functions.Api.Admin;

/// <summary>api.md Operators/Reconciliation: start a run for a channel account's day, read its status and counts, page
/// its discrepancies, export them as CSV. Starting a day that has a run re-runs it under the same id.</summary>
public static class ReconciliationsApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static RouteGroupBuilder MapReconciliationsApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/reconciliations", StartAsync).RequireRole(OperatorRole.Operator);
        admin.MapGet("/reconciliations/{id}", GetAsync).RequireRole(OperatorRole.Auditor);
        admin.MapGet("/reconciliations/{id}/discrepancies", ListAsync).RequireRole(OperatorRole.Auditor);
        admin.MapGet("/reconciliations/{id}/discrepancies.csv", CsvAsync).RequireRole(OperatorRole.Auditor);
        return admin;
    }

    private static async Task<Results<Accepted<ReconciliationStartedDto>, ProblemHttpResult>> StartAsync(
        HttpContext http, RunReconciliationHandler runs, IAuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await AdminBody.ReadAsync(http, ReconciliationsApiJson.Default.StartReconciliationCommand, cancellationToken);
        if (body.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        var errors = new Dictionary<string, string[]>();
        string? accountId = body.Value!.ChannelAccountId;
        if (accountId is null || accountId.Length is 0 or > 100 || !accountId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            errors["channelAccountId"] = ["A channel account id (ca_...)."];
        }

        if (!DateOnly.TryParseExact(body.Value.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            errors["date"] = ["A calendar date, yyyy-MM-dd."];
        }

        if (errors.Count > 0)
        {
            return Problems.From(Problem.Validation(errors));
        }

        var now = time.GetUtcNow();
        var command = new RunReconciliationCommand(accountId!, date);
        var started = await runs.RequestAsync(command, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture), cancellationToken);
        if (started.Problem is { } problem)
        {
            return Problems.From(problem);
        }

        string id = started.Value!;
        await audit.AppendAsync(
            new AuditRecord(now, http.Operator().Actor, "reconciliation.started", id, null, $"channelAccount={command.ChannelAccountId} date={ReconciliationRunIds.Day(date)}", http.TraceIdentifier),
            cancellationToken);
        return TypedResults.Accepted($"/api/v1/admin/reconciliations/{id}", new ReconciliationStartedDto(id, "running"));
    }

    private static async Task<Results<Ok<ReconciliationDto>, ProblemHttpResult>> GetAsync(string id, IReconciliationRunStore runs, CancellationToken cancellationToken) =>
        await runs.GetAsync(id, cancellationToken) is { } run
            ? TypedResults.Ok(ReconciliationDto.From(run.Value))
            : Problems.NotFound("reconciliation");

    private static async Task<Results<Ok<ListDto<DiscrepancyDto>>, ProblemHttpResult>> ListAsync(
        string id, string? category, int? limit, string? startingAfter, IReconciliationRunStore runs, CancellationToken cancellationToken)
    {
        DiscrepancyCategory? wanted = null;
        if (category is not null)
        {
            if (!DiscrepancyCategories.TryParseWire(category, out var parsed))
            {
                return Problems.Invalid("category", $"One of {string.Join(", ", DiscrepancyCategories.All.Select(c => c.ToWire()))}.");
            }

            wanted = parsed;
        }

        if (limit is < 1 or > MaxLimit)
        {
            return Problems.Invalid("limit", $"Between 1 and {MaxLimit}.");
        }

        if (await runs.GetAsync(id, cancellationToken) is not { } run)
        {
            return Problems.NotFound("reconciliation");
        }

        if (run.Value.ResultGeneration is not int generation)
        {
            return startingAfter is null
                ? TypedResults.Ok(new ListDto<DiscrepancyDto>([], false))
                : Problems.Invalid("startingAfter", "Not a discrepancy of this reconciliation's result.");
        }

        var page = await runs.ListDiscrepanciesAsync(id, generation, wanted, startingAfter, limit ?? DefaultLimit, cancellationToken);
        return page is null
            ? Problems.Invalid("startingAfter", "Not a discrepancy of this reconciliation's result.")
            : TypedResults.Ok(new ListDto<DiscrepancyDto>(page.Items.Select(DiscrepancyDto.From).ToList(), page.HasMore));
    }

    /// <summary>One row per discrepancy of the current result, RFC 4180, streamed as it is read.</summary>
    private static async Task<Results<PushStreamHttpResult, ProblemHttpResult>> CsvAsync(
        HttpContext http, string id, IReconciliationRunStore runs, CancellationToken cancellationToken)
    {
        if (await runs.GetAsync(id, cancellationToken) is not { } run)
        {
            return Problems.NotFound("reconciliation");
        }

        int? generation = run.Value.ResultGeneration;
        return TypedResults.Stream(
            async stream =>
            {
                await using var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 1 << 14);
                await writer.WriteAsync(DiscrepancyCsv.Header);
                if (generation is int g)
                {
                    await foreach (var d in runs.ReadDiscrepanciesAsync(id, g, http.RequestAborted))
                    {
                        await writer.WriteAsync(DiscrepancyCsv.Row(d));
                    }
                }
            },
            "text/csv; charset=utf-8",
            $"{id}.csv");
    }
}

/// <summary>The CSV export's rows. Amounts are minor units; text that a spreadsheet would run as a formula is quoted
/// with a leading apostrophe, since statement lines carry text the channel chose.</summary>
public static class DiscrepancyCsv
{
    public const string Header =
        "id,category,resolution,transaction_id,kind,suspected,occurrence,channel_transaction_id,statement_amount,statement_fee,statement_currency,statement_status,statement_time,system_amount,system_currency,system_status,system_time,detail\r\n";

    public static string Row(RunDiscrepancy run)
    {
        var d = run.Discrepancy;
        var line = d.Line;
        var record = d.Record;
        string[] fields =
        [
            Text(run.Id),
            d.Category.ToWire(),
            run.Resolution.ToWire(),
            Text(d.TransactionId),
            (line?.Kind ?? record?.Kind ?? TransactionKind.Payment).ToString().ToLowerInvariant(),
            d.Suspected ? "true" : "false",
            d.Occurrence.ToString(CultureInfo.InvariantCulture),
            Text(line?.ChannelTransactionId ?? record?.ChannelTransactionId ?? ""),
            Number(line?.Amount.MinorUnits),
            Number(line?.Fee?.MinorUnits),
            line?.Amount.Currency.Code ?? "",
            Text(line?.ChannelStatus ?? ""),
            Time(line?.Time),
            Number(record?.Amount.MinorUnits),
            record?.Amount.Currency.Code ?? "",
            record is null ? "" : DiscrepancyDto.Status(record.Status),
            Time(record?.Time),
            Text(d.Detail),
        ];
        return string.Join(',', fields) + "\r\n";
    }

    private static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    private static string Time(DateTimeOffset? value) =>
        value?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) ?? "";

    /// <summary>RFC 4180: quoted when it holds a comma, quote or line break, quotes doubled.</summary>
    public static string Text(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}

public sealed record StartReconciliationCommand(string? ChannelAccountId, string? Date);

public sealed record ReconciliationStartedDto(string Id, string Status, string Object = "reconciliation");

public sealed record KindTotalsDto(long Count, long Amount, long Matched, long MatchedAmount);

public sealed record SideTotalsDto(KindTotalsDto Payments, KindTotalsDto Refunds);

public sealed record ReconciliationTotalsDto(string Currency, SideTotalsDto Statement, SideTotalsDto System);

public sealed record InternalCheckDto(long Checked, long Mismatched, long NotIndexed, IReadOnlyList<string> Problems);

public sealed record RechecksDto(int Confirmed, int Cleared);

/// <summary>A run. <c>counts</c> has every category (cleared suspicions are not counted), <c>resolutions</c> every
/// resolution; <c>discrepancies</c> is their total.</summary>
public sealed record ReconciliationDto(
    string Id,
    string ChannelAccountId,
    string Channel,
    string Date,
    string Status,
    DateTimeOffset RequestedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt,
    string? Failure,
    int Discrepancies,
    Dictionary<string, int> Counts,
    Dictionary<string, int> Resolutions,
    RechecksDto Rechecks,
    ReconciliationTotalsDto? Totals,
    InternalCheckDto? InternalCheck,
    string Object = "reconciliation")
{
    public static ReconciliationDto From(ReconciliationRun r) => new(
        r.Id,
        r.ChannelAccountId,
        r.Channel,
        ReconciliationRunIds.Day(r.Date),
        r.Status.ToString().ToLowerInvariant(),
        r.RequestedAt,
        r.StartedAt,
        r.CompletedAt,
        r.Failure,
        r.Counts.Values.Sum(),
        DiscrepancyCategories.All.ToDictionary(c => c.ToWire(), c => r.Counts.GetValueOrDefault(c)),
        DiscrepancyResolutions.All.ToDictionary(x => x.ToWire(), x => r.Resolutions.GetValueOrDefault(x)),
        new RechecksDto(r.Rechecks.Confirmed, r.Rechecks.Cleared),
        r.Totals is { } t
            ? new ReconciliationTotalsDto(t.Statement.Payments.Amount.Currency.Code, Side(t.Statement), Side(t.System))
            : null,
        r.Internal is { } i ? new InternalCheckDto(i.Checked, i.Mismatched, i.NotIndexed, i.Problems) : null);

    private static SideTotalsDto Side(SideTotals s) => new(Kind(s.Payments), Kind(s.Refunds));

    private static KindTotalsDto Kind(KindTotals k) => new(k.Count, k.Amount.MinorUnits, k.Matched, k.MatchedAmount.MinorUnits);
}

public sealed record StatementLineDto(
    string Id, string? ChannelTransactionId, string Kind, long Amount, string Currency, long? Fee, string Status, string ChannelStatus, DateTimeOffset Time, string? PaymentId);

public sealed record SystemRecordDto(
    string Id, string? ChannelTransactionId, string Kind, long Amount, string Currency, long? Fee, string Status, DateTimeOffset Time, string? PaymentId);

/// <summary>A discrepancy with both sides: <c>channel</c> (the statement line; null when the channel lacks it) and
/// <c>system</c> (our record; null when we have none).</summary>
public sealed record DiscrepancyDto(
    string Id,
    string Category,
    string Resolution,
    string TransactionId,
    bool Suspected,
    int Occurrence,
    string Detail,
    StatementLineDto? Channel,
    SystemRecordDto? System,
    string Object = "reconciliation_discrepancy")
{
    public static DiscrepancyDto From(RunDiscrepancy run)
    {
        var d = run.Discrepancy;
        return new DiscrepancyDto(
            run.Id,
            d.Category.ToWire(),
            run.Resolution.ToWire(),
            d.TransactionId,
            d.Suspected,
            d.Occurrence,
            d.Detail,
            d.Line is { } l
                ? new StatementLineDto(l.Id, l.ChannelTransactionId, Kind(l.Kind), l.Amount.MinorUnits, l.Amount.Currency.Code, l.Fee?.MinorUnits, Status(l.Status), l.ChannelStatus, l.Time, l.PaymentId)
                : null,
            d.Record is { } r
                ? new SystemRecordDto(r.Id, r.ChannelTransactionId, Kind(r.Kind), r.Amount.MinorUnits, r.Amount.Currency.Code, r.Fee?.MinorUnits, Status(r.Status), r.Time, r.PaymentId)
                : null);
    }

    public static string Status(TransactionStatus status) => status.ToString().ToLowerInvariant();

    private static string Kind(TransactionKind kind) => kind.ToString().ToLowerInvariant();
}

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(StartReconciliationCommand))]
[JsonSerializable(typeof(ReconciliationStartedDto))]
[JsonSerializable(typeof(ReconciliationDto))]
[JsonSerializable(typeof(ListDto<DiscrepancyDto>))]
public sealed partial class ReconciliationsApiJson : JsonSerializerContext;
