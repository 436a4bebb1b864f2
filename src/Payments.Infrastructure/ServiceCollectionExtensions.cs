using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Payments.Core.Apps;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Webhooks;
using Payments.Infrastructure.Messaging;
using Payments.Infrastructure.Messaging.ServiceBus;
using Payments.Infrastructure.Storage;
using Payments.Infrastructure.Webhooks;

namespace Payments.Infrastructure;

public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddInfrastructure(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration("Storage")
            .Validate(o => (o.TableServiceUri is not null && o.QueueServiceUri is not null) || !string.IsNullOrWhiteSpace(o.ConnectionString), "Storage:ConnectionString is required unless Storage:tableServiceUri and Storage:queueServiceUri are both set.")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value);
        // Created only when something asks for it: with connection strings nothing does.
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<StorageOptions>();
            bool identity = storage.TableServiceUri is not null || storage.QueueServiceUri is not null;
            return new StorageClients(storage, identity ? sp.GetRequiredService<TokenCredential>() : null);
        });
        services.AddSingleton<TablePaymentStore>();
        services.AddSingleton<IPaymentStore>(sp => sp.GetRequiredService<TablePaymentStore>());
        services.AddSingleton<TableDirectories>();
        services.AddSingleton<IAppDirectory>(sp => sp.GetRequiredService<TableDirectories>());
        services.AddSingleton<IChannelAccountDirectory>(sp => sp.GetRequiredService<TableDirectories>());
        services.AddSingleton<INonceStore, TableNonceStore>();
        services.AddSingleton<IOpenPaymentIndex, TableOpenPaymentIndex>();
        AddMessaging(services);
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        services.AddSingleton<OutboxSweeper>();
        services.AddHttpClient<IWebhookSender, HttpWebhookSender>(c => c.Timeout = HttpWebhookSender.Timeout + TimeSpan.FromSeconds(5));
        return services;
    }

    /// <summary>The transport is configuration only (Messaging:Transport); a ServiceBus transport
    /// without a usable namespace fails start-up instead of failing every publish later.</summary>
    private static void AddMessaging(IServiceCollection services)
    {
        services.AddOptions<MessagingOptions>().BindConfiguration("Messaging").ValidateOnStart();
        services.AddOptions<ServiceBusOptions>().BindConfiguration("ServiceBus")
            .Validate<IOptions<MessagingOptions>>(
                (bus, messaging) => messaging.Value.Transport != MessageTransport.ServiceBus || bus.Endpoint() is not null,
                "Messaging:Transport is ServiceBus, so ServiceBus:fullyQualifiedNamespace must name the namespace host (e.g. payments.servicebus.windows.net).")
            .ValidateOnStart();
        services.AddSingleton<StorageQueuePublisher>();
        services.AddSingleton(sp => new ServiceBusRestPublisher(
            sp.GetRequiredService<IOptions<ServiceBusOptions>>().Value,
            sp.GetRequiredService<TokenCredential>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ServiceBusRestClientOptions>()));
        services.AddSingleton<IMessagePublisher>(sp => sp.GetRequiredService<IOptions<MessagingOptions>>().Value.Transport switch
        {
            MessageTransport.ServiceBus => sp.GetRequiredService<ServiceBusRestPublisher>(),
            _ => sp.GetRequiredService<StorageQueuePublisher>(),
        });
    }
}
