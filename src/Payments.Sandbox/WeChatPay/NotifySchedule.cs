using Payments.Sandbox.Shared;

namespace Payments.Sandbox.WeChatPay;

/// <summary>Delays between notification attempts after the first one fails.</summary>
internal sealed record NotifySchedule(IReadOnlyList<TimeSpan> Retries)
{
    public const string ConfigurationKey = "Sandbox:NotifyRetrySeconds";

    /// <summary>The channel's documented cadence: 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h.</summary>
    public const string Default = "15,15,30,180,600,1200,1800,1800,1800,3600,10800,10800,10800,21600,21600";

    public static NotifySchedule Parse(IConfiguration configuration) => new(NotifyRetries.Parse(configuration, ConfigurationKey, Default));
}
