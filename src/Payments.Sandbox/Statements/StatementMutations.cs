using System.Collections.Concurrent;
using System.Text.Json;

namespace Payments.Sandbox.Statements;

internal enum MutationKind
{
    Drop,
    Add,
    Amount,
    Status,
    Fee,
}

/// <summary>Body of <c>POST /sandbox/statements/{channel}/{channelAccountId}/{date}/mutations</c>.</summary>
internal sealed record MutationRequest(string? Kind, string? TransactionId, JsonElement? Value);

/// <summary>A mutation as stored: applied, in order, every time the statement is built.</summary>
internal sealed record StatementMutation(MutationKind Kind, string TransactionId, long? Number, string? Word);

internal sealed record MutationView(string Kind, string TransactionId, JsonElement? Value);

internal sealed record MutationsView(string Channel, string ChannelAccountId, string Date, MutationView[] Mutations);

/// <summary>The mutations queued per statement (channel, merchant, day).</summary>
internal sealed class StatementMutationStore
{
    private readonly ConcurrentDictionary<(string Channel, string Merchant, DateOnly Date), ImmutableList> _mutations = new();

    public IReadOnlyList<StatementMutation> For(string channel, string merchant, DateOnly date) =>
        _mutations.TryGetValue((channel, merchant, date), out var list) ? list.Items : [];

    public IReadOnlyList<StatementMutation> Add(string channel, string merchant, DateOnly date, StatementMutation mutation) =>
        _mutations.AddOrUpdate(
            (channel, merchant, date),
            _ => new ImmutableList([mutation]),
            (_, existing) => new ImmutableList([.. existing.Items, mutation])).Items;

    /// <summary>A snapshot list, replaced rather than changed, so a statement being built never sees half an update.</summary>
    private sealed record ImmutableList(StatementMutation[] Items);
}

/// <summary>Builds a statement: the channel's lines from its records, then the queued mutations in order.</summary>
internal static class StatementBuilder
{
    public static List<StatementEntry> Build(IStatementSource source, StatementMutationStore mutations, string merchant, DateOnly date)
    {
        var entries = source.Entries(merchant, date).OrderBy(e => e.Time).ToList();
        foreach (var mutation in mutations.For(source.Channel, merchant, date))
        {
            Apply(source, merchant, date, entries, mutation);
        }

        return entries;
    }

    private static void Apply(IStatementSource source, string merchant, DateOnly date, List<StatementEntry> entries, StatementMutation mutation)
    {
        if (mutation.Kind == MutationKind.Add)
        {
            entries.Add(source.Invent(merchant, date, mutation.TransactionId, mutation.Number!.Value));
            return;
        }

        if (mutation.Kind == MutationKind.Drop)
        {
            entries.RemoveAll(e => e.TransactionId == mutation.TransactionId);
            return;
        }

        for (int i = 0; i < entries.Count; i++)
        {
            if (entries[i].TransactionId != mutation.TransactionId)
            {
                continue;
            }

            entries[i] = mutation.Kind switch
            {
                MutationKind.Amount => entries[i] with { Amount = mutation.Number!.Value },
                MutationKind.Fee => entries[i] with { Fee = mutation.Number!.Value },
                _ => entries[i] with { Status = mutation.Word! },
            };
        }
    }
}
