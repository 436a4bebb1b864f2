using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;

namespace Payments.Functions.Api;

/// <summary>Per-app token buckets (RateLimiting:PermitsPerSecond refills, RateLimiting:Burst holds),
/// applied after the request is authenticated: the app id in an unverified header is anybody's to
/// spend, so partitioning on it would let a stranger exhaust a merchant's budget. Buckets live in
/// this instance's memory: with N instances an app gets up to N times the configured rate (see
/// docs/risk.md). Off when PermitsPerSecond is unset or 0.</summary>
public sealed class AppRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;

    public AppRateLimiter(double permitsPerSecond, int burst)
    {
        if (permitsPerSecond < 0 || double.IsNaN(permitsPerSecond) || double.IsInfinity(permitsPerSecond))
        {
            throw new InvalidOperationException("RateLimiting:PermitsPerSecond must be a number of at least 0 (0 turns rate limiting off).");
        }

        if (permitsPerSecond == 0)
        {
            return;
        }

        if (burst < 1)
        {
            throw new InvalidOperationException("RateLimiting:Burst must be at least 1.");
        }

        // The bucket adds at most TokensPerPeriod per replenishment however long it has been, so a
        // period shorter than the partitioned limiter's timer tick would quietly lower the rate:
        // whole tokens per second above 1/s, one token per 1/rate seconds below.
        int tokensPerPeriod = Math.Max(1, (int)Math.Floor(permitsPerSecond));
        var options = new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokensPerPeriod,
            ReplenishmentPeriod = TimeSpan.FromSeconds(tokensPerPeriod / permitsPerSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
        _limiter = PartitionedRateLimiter.Create<string, string>(appId => RateLimitPartition.GetTokenBucketLimiter(appId, _ => options));
    }

    public static AppRateLimiter FromConfiguration(IConfiguration configuration)
    {
        double permits = configuration.GetValue("RateLimiting:PermitsPerSecond", 0.0);
        int burst = configuration.GetValue("RateLimiting:Burst", Math.Max(1, (int)Math.Ceiling(permits)));
        return new AppRateLimiter(permits, burst);
    }

    /// <summary>Null when the app may go ahead; otherwise the 429 answer, with Retry-After set.</summary>
    public ProblemHttpResult? Refuse(HttpContext http, string appId)
    {
        if (_limiter is null)
        {
            return null;
        }

        using var lease = _limiter.AttemptAcquire(appId);
        if (lease.IsAcquired)
        {
            return null;
        }

        var after = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        int seconds = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return Problems.From(new Problem(ProblemCodes.RateLimited, $"Too many requests from this app; retry in {seconds} s."));
    }

    public void Dispose() => _limiter?.Dispose();
}
