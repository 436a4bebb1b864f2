using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Payments.Sandbox.Statements;

/// <summary>
/// The channel-independent statement endpoints: the file of any day as the channel would serve it, and mutations that
/// make it differ from the sandbox's records, so reconciliation has something to find. A channel plugs in by
/// registering an <see cref="IStatementSource"/>.
/// </summary>
internal static partial class StatementEndpoints
{
    private const string DateFormat = "yyyy-MM-dd";

    public static IServiceCollection AddSandboxStatements(this IServiceCollection services) =>
        services.AddSingleton<StatementMutationStore>();

    public static void MapSandboxStatements(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sandbox/statements/{channel}/{channelAccountId}/{date}", GetStatement);
        app.MapGet("/sandbox/statements/{channel}/{channelAccountId}/{date}/mutations", GetMutations);
        app.MapPost("/sandbox/statements/{channel}/{channelAccountId}/{date}/mutations", AddMutationAsync);
    }

    private static IResult GetStatement(
        string channel, string channelAccountId, string date, IEnumerable<IStatementSource> sources, StatementMutationStore mutations)
    {
        if (Resolve(sources, channel, channelAccountId, date) is not { } target)
        {
            return ResolveError(sources, channel, channelAccountId, date);
        }

        var entries = StatementBuilder.Build(target.Source, mutations, target.Merchant, target.Date);

        // Like the channels: a day without a single line has no statement file.
        return entries.Count == 0
            ? SandboxJson.Error(StatusCodes.Status404NotFound, "NO_STATEMENT_EXIST", $"no statement for {date}: no transaction that day")
            : Results.Bytes(target.Source.Render(target.Merchant, entries), target.Source.MediaType);
    }

    private static IResult GetMutations(
        string channel, string channelAccountId, string date, IEnumerable<IStatementSource> sources, StatementMutationStore mutations)
    {
        if (Resolve(sources, channel, channelAccountId, date) is not { } target)
        {
            return ResolveError(sources, channel, channelAccountId, date);
        }

        return View(target, channelAccountId, mutations.For(target.Source.Channel, target.Merchant, target.Date));
    }

    private static async Task<IResult> AddMutationAsync(
        string channel, string channelAccountId, string date, HttpRequest request, IEnumerable<IStatementSource> sources, StatementMutationStore mutations)
    {
        if (Resolve(sources, channel, channelAccountId, date) is not { } target)
        {
            return ResolveError(sources, channel, channelAccountId, date);
        }

        var (body, error) = await SandboxJson.ReadAsync(request, StatementJsonContext.Default.MutationRequest);
        if (body is null)
        {
            return Invalid(error!);
        }

        if (!TryRead(body, out var mutation, out string problem))
        {
            return Invalid(problem);
        }

        // Checked against the statement as it stands: a mutation that could never apply is a mistaken test setup.
        var current = StatementBuilder.Build(target.Source, mutations, target.Merchant, target.Date);
        bool exists = current.Exists(e => e.TransactionId == mutation.TransactionId);
        if (mutation.Kind == MutationKind.Add && exists)
        {
            return SandboxJson.Error(StatusCodes.Status409Conflict, "LINE_EXISTS", $"the statement of {date} already has a line for {mutation.TransactionId}");
        }

        if (mutation.Kind != MutationKind.Add && !exists)
        {
            return SandboxJson.Error(StatusCodes.Status404NotFound, "LINE_NOT_FOUND", $"the statement of {date} has no line for {mutation.TransactionId}");
        }

        var all = mutations.Add(target.Source.Channel, target.Merchant, target.Date, mutation);
        return View(target, channelAccountId, all);
    }

    private static bool TryRead(MutationRequest body, out StatementMutation mutation, out string problem)
    {
        mutation = null!;
        var kinds = Enum.GetValues<MutationKind>();
        int kindIndex = Array.FindIndex(kinds, k => Name(k) == body.Kind);
        if (kindIndex < 0)
        {
            problem = $"kind must be one of {string.Join(", ", kinds.Select(Name))}";
            return false;
        }

        if (body.TransactionId is null || !TransactionIdPattern().IsMatch(body.TransactionId))
        {
            problem = "transactionId must be 1-64 of A-Z a-z 0-9 _ - | * @";
            return false;
        }

        var kind = kinds[kindIndex];
        var value = body.Value is { ValueKind: not JsonValueKind.Null } present ? present : (JsonElement?)null;
        switch (kind)
        {
            case MutationKind.Drop when value is not null:
                problem = "drop takes no value";
                return false;
            case MutationKind.Drop:
                mutation = new StatementMutation(kind, body.TransactionId, null, null);
                break;
            case MutationKind.Status when value is { ValueKind: JsonValueKind.String } word && StatusPattern().IsMatch(word.GetString()!):
                mutation = new StatementMutation(kind, body.TransactionId, null, word.GetString());
                break;
            case MutationKind.Status:
                problem = "status takes the channel's status word as value, e.g. \"CLOSED\"";
                return false;
            case MutationKind.Fee when value is { ValueKind: JsonValueKind.Number } fee && fee.TryGetInt64(out long fen):
                mutation = new StatementMutation(kind, body.TransactionId, fen, null);
                break;
            case MutationKind.Fee:
                problem = "fee takes the fee in minor units (an integer) as value";
                return false;
            case MutationKind.Add or MutationKind.Amount when value is { ValueKind: JsonValueKind.Number } amount && amount.TryGetInt64(out long minor) && minor > 0:
                mutation = new StatementMutation(kind, body.TransactionId, minor, null);
                break;
            default:
                problem = $"{Name(kind)} takes the amount in minor units (a positive integer) as value";
                return false;
        }

        problem = string.Empty;
        return true;
    }

    private static Target? Resolve(IEnumerable<IStatementSource> sources, string channel, string channelAccountId, string date)
    {
        var source = sources.FirstOrDefault(s => s.Channel == channel);
        if (source?.ResolveMerchant(channelAccountId) is not { } merchant
            || !DateOnly.TryParseExact(date, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return null;
        }

        return new Target(source, merchant, day);
    }

    private static IResult ResolveError(IEnumerable<IStatementSource> sources, string channel, string channelAccountId, string date)
    {
        var source = sources.FirstOrDefault(s => s.Channel == channel);
        if (source is null)
        {
            return SandboxJson.Error(
                StatusCodes.Status404NotFound, "NOT_FOUND", $"no statements for channel '{channel}'; known: {string.Join(", ", sources.Select(s => s.Channel))}");
        }

        return source.ResolveMerchant(channelAccountId) is null
            ? SandboxJson.Error(StatusCodes.Status404NotFound, "NOT_FOUND", $"no {channel} merchant is onboarded as '{channelAccountId}'")
            : Invalid($"date must be {DateFormat}");
    }

    private static IResult View(Target target, string channelAccountId, IReadOnlyList<StatementMutation> mutations) =>
        Results.Json(
            new MutationsView(
                target.Source.Channel,
                channelAccountId,
                target.Date.ToString(DateFormat, CultureInfo.InvariantCulture),
                [.. mutations.Select(m => new MutationView(Name(m.Kind), m.TransactionId, ValueOf(m)))]),
            StatementJsonContext.Default.MutationsView);

    private static JsonElement? ValueOf(StatementMutation mutation) => mutation switch
    {
        { Number: { } number } => JsonSerializer.SerializeToElement(number, StatementJsonContext.Default.Int64),
        { Word: { } word } => JsonSerializer.SerializeToElement(word, StatementJsonContext.Default.String),
        _ => null,
    };

    private static string Name(MutationKind kind) => kind.ToString().ToLowerInvariant();

    private static IResult Invalid(string message) => SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", message);

    [GeneratedRegex("^[A-Za-z0-9_*|@-]{1,64}\\z")]
    private static partial Regex TransactionIdPattern();

    [GeneratedRegex("^[A-Z_]{1,32}\\z")]
    private static partial Regex StatusPattern();

    private sealed record Target(IStatementSource Source, string Merchant, DateOnly Date);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MutationRequest))]
[JsonSerializable(typeof(MutationsView))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
internal sealed partial class StatementJsonContext : JsonSerializerContext;
