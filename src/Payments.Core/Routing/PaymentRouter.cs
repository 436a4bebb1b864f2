using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Payments.Core.Apps;

namespace Payments.Core.Routing;

/// <summary>Chooses the channel account a new payment is placed at. Routing happens once, before any
/// order exists: a payment keeps its account for life, because a create that timed out may have placed
/// the order there, and placing it at a second account could take the payer's money twice.</summary>
public static class PaymentRouter
{
    public static Result<RoutingDecision> Route(App app, string channel, string paymentId, Money amount, string method, IChannelHealth? health)
    {
        if (app.Routes is null || !app.Routes.TryGetValue(channel, out var candidates) || candidates.Count == 0)
        {
            // As before routing existed: the single account, whatever its health, because refusing the
            // payment would not help a merchant that has no other account.
            return app.ChannelAccounts.TryGetValue(channel, out string? only)
                ? new RoutingDecision(only, RoutingRules.SingleAccount, [only], [])
                : NotAvailable(channel, []);
        }

        var skipped = new List<SkippedCandidate>();
        var matching = new List<RouteCandidate>();
        foreach (var candidate in candidates)
        {
            if (candidate.Mismatch(amount, method) is { } reason)
            {
                skipped.Add(new SkippedCandidate(candidate.ChannelAccountId, reason));
            }
            else
            {
                matching.Add(candidate);
            }
        }

        var considered = candidates.Select(c => c.ChannelAccountId).ToList();
        if (matching.Count == 0)
        {
            return NotAvailable(channel, skipped);
        }

        int start = WeightedIndex(paymentId, matching);
        for (int i = 0; i < matching.Count; i++)
        {
            var candidate = matching[(start + i) % matching.Count];
            if (health is null || health.TryAcquire(candidate.ChannelAccountId))
            {
                return new RoutingDecision(candidate.ChannelAccountId, i == 0 ? RoutingRules.Weighted : RoutingRules.Failover, considered, skipped);
            }

            skipped.Add(new SkippedCandidate(candidate.ChannelAccountId, SkipReasons.CircuitOpen));
        }

        return NotAvailable(channel, skipped);
    }

    /// <summary>The candidate whose share of the weight range the payment id's hash falls in: the same id
    /// always lands on the same candidate, so a retried create routes as the first one did.</summary>
    public static int WeightedIndex(string paymentId, IReadOnlyList<RouteCandidate> candidates)
    {
        long total = candidates.Sum(c => (long)Math.Max(c.Weight, RouteCandidate.MinWeight));
        ulong hash = BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(paymentId)));
        long point = (long)(hash % (ulong)total);
        for (int i = 0; i < candidates.Count; i++)
        {
            point -= Math.Max(candidates[i].Weight, RouteCandidate.MinWeight);
            if (point < 0)
            {
                return i;
            }
        }

        return candidates.Count - 1;
    }

    private static Problem NotAvailable(string channel, List<SkippedCandidate> skipped) =>
        new(ProblemCodes.ChannelNotAvailable, $"No channel account of this app can take this {channel} payment now.")
        {
            // Reasons only: account ids are the platform's business, not the storefront's.
            Reasons = [.. skipped.Select(s => s.Reason).Distinct()],
        };
}
