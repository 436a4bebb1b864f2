using Payments.Core.Risk;

namespace Payments.Functions.Api;

public static class RiskControlRegistration
{
    /// <summary>Risk rules on the create path (Risk:BusinessTimeZone, default Asia/Shanghai) and per-app
    /// rate limiting (RateLimiting:PermitsPerSecond and RateLimiting:Burst). Settings are read from the
    /// app's configuration when first needed; an unknown time zone fails the first create loudly.</summary>
    public static IServiceCollection AddRiskControl(this IServiceCollection services)
    {
        services.AddSingleton(sp => new RiskOptions
        {
            BusinessTimeZone = TimeZoneInfo.FindSystemTimeZoneById(
                sp.GetRequiredService<IConfiguration>()["Risk:BusinessTimeZone"] ?? RiskOptions.DefaultBusinessTimeZone),
        });
        services.AddSingleton<RiskCheck>();
        services.AddSingleton(sp => AppRateLimiter.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        return services;
    }
}
