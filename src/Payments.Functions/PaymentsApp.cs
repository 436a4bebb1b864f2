using System.Globalization;
using Payments.Channels.Alipay;
using Payments.Channels.Card;
using Payments.Channels.Ecny;
using Payments.Channels.WeChatPay;
using Payments.Core.Channels;
using Payments.Core.Janitor;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;
using Payments.Core.Payments.ProcessChannelNotification;
using Payments.Core.Payments.ProcessChannelRequest;
using Payments.Core.Webhooks;
using Payments.Functions.Api;
using Payments.Functions.Api.Admin;
using Payments.Functions.Catalog;
using Payments.Functions.Demo;
using Payments.Functions.Observability;
using Payments.Functions.Reconciliation;
using Payments.Functions.Runtime;
using Payments.Infrastructure;
using Payments.Infrastructure.Backup;
using Payments.Infrastructure.Storage;

namespace Payments.Functions;

public static class PaymentsApp
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        ConfigureUrls(builder);
        builder.Services.AddPayments(builder.Configuration);
        var app = builder.Build();
        app.MapPayments();
        return app;
    }

    /// <summary>The Functions host tells a custom handler its port through FUNCTIONS_CUSTOMHANDLER_PORT;
    /// host.json also passes it as --urls. Locally the default is 127.0.0.1:7071.</summary>
    private static void ConfigureUrls(WebApplicationBuilder builder)
    {
        if (!string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            return;
        }

        string? port = Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT");
        builder.WebHost.UseUrls(port is { Length: > 0 } ? $"http://127.0.0.1:{port}" : "http://127.0.0.1:7071");
    }

    public static IServiceCollection AddPayments(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Insert(1, Api.Admin.AdminJson.Default);
            o.SerializerOptions.TypeInfoResolverChain.Add(Api.Admin.ReconciliationsApiJson.Default);
            o.SerializerOptions.Converters.Add(new Core.UtcTimestampConverter());
        });
        services.AddSingleton(TimeProvider.System);
        services.AddInfrastructure();
        services.AddTableBackup();
        services.AddPaymentsTelemetry(configuration);
        services.AddAdmin(configuration);

        services.AddSingleton(_ => new CallbackOptions
        {
            PublicBaseUrl = new Uri(configuration["Payments:PublicBaseUrl"] ?? "http://127.0.0.1:7071/"),
        });
        services.AddSingleton(_ => Schedules(configuration.GetSection("Schedules")));
        services.AddSingleton<PaymentCommitter>();
        services.AddSingleton<ChannelStateApplier>();
        services.AddRiskControl();
        services.AddSingleton(_ => new Core.Routing.CircuitBreakerOptions
        {
            FailureThreshold = configuration.GetValue("Routing:FailureThreshold", 5),
            CoolDown = TimeSpan.FromSeconds(configuration.GetValue("Routing:CoolDownSeconds", 30.0)),
        });
        services.AddSingleton<Core.Routing.CircuitBreakers>();
        services.AddSingleton<Core.Routing.IChannelHealth>(sp => sp.GetRequiredService<Core.Routing.CircuitBreakers>());
        services.AddSingleton<CreatePaymentHandler>();
        services.AddSingleton<Core.Refunds.CreateRefund.CreateRefundHandler>();
        services.AddSingleton<ProcessChannelRequestHandler>();
        services.AddSingleton<ProcessChannelNotificationHandler>();
        services.AddSingleton<DeliverWebhookHandler>();
        services.AddSingleton<JanitorHandler>();
        services.AddReconciliation(configuration);
        services.AddSingleton<FunctionInvoker>();

        double channelTimeout = configuration.GetValue("Channels:TimeoutSeconds", 10.0);
        services.AddHttpClient<WeChatPayChannel>(c => c.Timeout = TimeSpan.FromSeconds(channelTimeout));
        services.AddSingleton<IPaymentChannel>(sp => sp.GetRequiredService<WeChatPayChannel>());
        services.AddSingleton<Core.Reconciliation.IStatementChannel>(sp => sp.GetRequiredService<WeChatPayChannel>());
        services.AddHttpClient<AlipayChannel>(c => c.Timeout = TimeSpan.FromSeconds(channelTimeout));
        services.AddSingleton<IPaymentChannel>(sp => sp.GetRequiredService<AlipayChannel>());
        services.AddSingleton<Core.Reconciliation.IStatementChannel>(sp => sp.GetRequiredService<AlipayChannel>());
        services.AddHttpClient<CardChannel>(c => c.Timeout = TimeSpan.FromSeconds(channelTimeout));
        services.AddSingleton<IPaymentChannel>(sp => sp.GetRequiredService<CardChannel>());
        services.AddSingleton<Core.Reconciliation.IStatementChannel>(sp => sp.GetRequiredService<CardChannel>());
        services.AddHttpClient<Payments.Channels.Transfer.TransferChannel>(c => c.Timeout = TimeSpan.FromSeconds(channelTimeout));
        services.AddSingleton<IPaymentChannel>(sp => sp.GetRequiredService<Payments.Channels.Transfer.TransferChannel>());
        services.AddSingleton<Core.Reconciliation.IStatementChannel>(sp => sp.GetRequiredService<Payments.Channels.Transfer.TransferChannel>());
        services.AddHttpClient<Payments.Channels.UnionPay.UnionPayChannel>(c => c.Timeout = TimeSpan.FromSeconds(channelTimeout));
        services.AddSingleton<IPaymentChannel>(sp => sp.GetRequiredService<Payments.Channels.UnionPay.UnionPayChannel>());
        services.AddSingleton<Core.Reconciliation.IStatementChannel>(sp => sp.GetRequiredService<Payments.Channels.UnionPay.UnionPayChannel>());
        services.AddHttpClient<EcnyChannel>(c => c.Timeout = TimeSpan.FromSeconds(channelTimeout));
        services.AddSingleton<IPaymentChannel>(sp => sp.GetRequiredService<EcnyChannel>());
        services.AddSingleton<Core.Reconciliation.IStatementChannel>(sp => sp.GetRequiredService<EcnyChannel>());

        var runtime = new LocalRuntimeOptions();
        configuration.GetSection("LocalRuntime").Bind(runtime);
        services.AddSingleton(runtime);
        if (runtime.Enabled && configuration.GetValue("Messaging:Transport", Infrastructure.Messaging.ServiceBus.MessageTransport.StorageQueues) == Infrastructure.Messaging.ServiceBus.MessageTransport.ServiceBus)
        {
            // The local runtime delivers by pumping Storage queues; with Service Bus nothing would ever
            // receive what we send. Service Bus is received only by the Functions host's trigger.
            throw new InvalidOperationException(
                "LocalRuntime:Enabled is true but Messaging:Transport is ServiceBus: the local runtime pumps Storage queues only. " +
                "Run locally with Messaging__Transport=StorageQueues, or set LocalRuntime__Enabled=false when the Functions host delivers Service Bus messages.");
        }

        if (runtime.Enabled)
        {
            // Locally nobody else creates tables and queues; in Azure, Bicep does.
            services.AddHostedService<StorageInitializer>();
            foreach (var function in FunctionCatalog.All.Where(f => f.Trigger == TriggerKind.Queue))
            {
                services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<QueuePump>(sp, function));
            }

            if (runtime.TimersEnabled)
            {
                services.AddHostedService<TimerRunner>();
            }
        }

        return services;
    }

    public static WebApplication MapPayments(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapGet("/api/health", () => TypedResults.Ok(new HealthDto("ok", typeof(PaymentsApp).Assembly.GetName().Version?.ToString() ?? "0")));
        app.MapPaymentsApi();
        app.MapRefundsApi();
        app.MapCallbacksApi();
        app.MapAdminApi();
        // Unknown routes answer like every other miss: problem+json with a stable code.
        app.MapFallback("{*path}", () => Problems.NotFound("route"));
        app.MapTriggerEndpoints();
        if (app.Services.GetRequiredService<LocalRuntimeOptions>().Enabled)
        {
            app.MapDemoWebhookInbox();
        }

        return app;
    }

    private static PaymentSchedules Schedules(IConfigurationSection section)
    {
        var schedules = new PaymentSchedules();
        if (Seconds(section["FollowUpQuerySeconds"]) is { } followUps)
        {
            schedules.FollowUpQueries = followUps;
        }

        if (Seconds(section["WebhookRetrySeconds"]) is { } webhooks)
        {
            schedules.WebhookRetries = webhooks;
        }

        if (Seconds(section["RefundQuerySeconds"]) is { } refundQueries)
        {
            schedules.RefundQueries = refundQueries;
        }

        if (Seconds(section["ChannelRetrySeconds"]) is [var retry])
        {
            schedules.ChannelRetry = retry;
        }

        if (Seconds(section["StuckAfterSeconds"]) is [var stuck])
        {
            schedules.StuckAfter = stuck;
        }

        if (int.TryParse(section["MinExpiresInSeconds"], CultureInfo.InvariantCulture, out int minExpires) && minExpires >= 1)
        {
            schedules.MinExpiresInSeconds = minExpires;
        }

        return schedules;
    }

    /// <summary>"15,30,60" as seconds (fractions allowed, for tests).</summary>
    private static List<TimeSpan>? Seconds(string? text) => string.IsNullOrWhiteSpace(text)
        ? null
        : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => TimeSpan.FromSeconds(double.Parse(s, CultureInfo.InvariantCulture)))
            .ToList();
}

internal sealed class StorageInitializer(StorageClients clients) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => clients.EnsureCreatedAsync(Queues.All, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
