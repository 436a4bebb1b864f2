using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Payments.Core.Observability;

namespace Payments.Functions.Observability;

/// <summary>OpenTelemetry for the function app: our spans and metrics ("Payments"), ASP.NET Core and
/// HttpClient instrumentation; console exporter when Telemetry:Console is true, Azure Monitor when
/// APPLICATIONINSIGHTS_CONNECTION_STRING is set (traces, metrics and logs).</summary>
public static class TelemetryRegistration
{
    public const string ServiceName = "payments";

    public static IServiceCollection AddPaymentsTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddMetrics();
        services.AddSingleton<PaymentsMetrics>();
        services.AddSingleton<QueueTracing>();

        // Every log line written inside a span carries its trace id, which for a payment's work is its correlation id.
        services.Configure<LoggerFactoryOptions>(o => o.ActivityTrackingOptions |= ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);

        bool console = configuration.GetValue("Telemetry:Console", false);
        string? azureMonitor = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];

        var otel = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: typeof(TelemetryRegistration).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing =>
            {
                tracing.AddSource(PaymentsTelemetry.Name)
                    .SetSampler(new ParentBasedSampler(new NoBackgroundClientRootsSampler()))
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (console)
                {
                    tracing.AddConsoleExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(PaymentsTelemetry.Name).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (console)
                {
                    metrics.AddConsoleExporter();
                }
            });

        if (!string.IsNullOrWhiteSpace(azureMonitor))
        {
            // The Bicep turns off key-based ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD):
            // telemetry is then accepted only with an Entra token, from the app's managed identity.
            bool entra = (configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] ?? "").Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase);
            otel.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = azureMonitor;
                if (entra)
                {
                    o.Credential = new Azure.Identity.DefaultAzureCredential();
                }
            });
        }

        return services;
    }
}

/// <summary>The root sampler: drops outgoing HTTP calls that belong to no trace. Those are the local
/// runtime's queue polling and other background chatter with storage, several a second when idle;
/// a call made while handling anything (a request, a message, a timer) has a parent and is kept.</summary>
internal sealed class NoBackgroundClientRootsSampler : Sampler
{
    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == System.Diagnostics.ActivityKind.Client ? Drop : Keep;
}
