using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;

namespace Payments.Functions.Reconciliation;

public static class ReconciliationRegistration
{
    /// <summary>
    /// T+1 reconciliation: the run and timer handlers and the options they (and the index) share.
    /// <c>Reconciliation:TimeZone</c> is the business zone (default Asia/Shanghai); <c>Reconciliation:FeeRatePpm</c>
    /// is the contracted fee in parts per million (6000 = 0.6%), absent when fees are not to be compared.
    /// </summary>
    public static IServiceCollection AddReconciliation(this IServiceCollection services, IConfiguration configuration)
    {
        // Replaces the default the storage layer registers: the index must file entries under the same business days
        // the runs read.
        services.Replace(ServiceDescriptor.Singleton(Options(configuration.GetSection("Reconciliation"))));
        services.AddSingleton<IReconciliationLookup, StoreReconciliationLookup>();
        services.AddSingleton<IPaymentQuery, ChannelRequestPaymentQuery>();
        services.AddSingleton<RunReconciliationHandler>();
        services.AddSingleton<ScheduleReconciliationsHandler>();
        return services;
    }

    /// <summary>Settings that cannot work fail start-up, not the first run.</summary>
    public static ReconciliationOptions Options(IConfigurationSection section)
    {
        var options = ReconciliationOptions.Default;
        if (section["TimeZone"] is { Length: > 0 } zone && zone != BusinessCalendar.ChinaStandardTime.Id)
        {
            try
            {
                options = options with { BusinessTimeZone = TimeZoneInfo.FindSystemTimeZoneById(zone) };
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                throw new InvalidOperationException($"Reconciliation:TimeZone '{zone}' is not a time zone this machine knows (use an IANA id such as Asia/Shanghai).", e);
            }
        }

        if (section["FeeRatePpm"] is { Length: > 0 } fee)
        {
            if (!long.TryParse(fee, NumberStyles.None, CultureInfo.InvariantCulture, out long ppm) || ppm > 1_000_000)
            {
                throw new InvalidOperationException($"Reconciliation:FeeRatePpm '{fee}' must be a whole number of parts per million between 0 and 1000000 (6000 = 0.6%).");
            }

            options = options with { FeeRate = new FeeRate(ppm) };
        }

        return options;
    }
}
