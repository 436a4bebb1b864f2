using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Payments.Core.Apps;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Security;
using Payments.Core.Webhooks;
using Payments.Infrastructure.Keys;
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
        AddKeys(services);
        services.AddSingleton<TablePaymentStore>();
        services.AddSingleton<IPaymentStore>(sp => sp.GetRequiredService<TablePaymentStore>());
        services.AddSingleton<TableDirectories>();
        services.AddSingleton<IAppDirectory>(sp => sp.GetRequiredService<TableDirectories>());
        services.AddSingleton<IChannelAccountDirectory>(sp => sp.GetRequiredService<TableDirectories>());
        services.AddSingleton<INonceStore, TableNonceStore>();
        services.AddSingleton<IOpenPaymentIndex, TableOpenPaymentIndex>();
        services.AddSingleton<Core.Risk.IRiskRuleStore, Risk.TableRiskRuleStore>();
        services.AddSingleton<Core.Risk.IRiskCounterStore, Risk.TableRiskCounterStore>();
        services.AddSingleton<Core.Attention.IAttentionLog, TableAttentionLog>();
        services.AddSingleton<IMerchantDirectory, TableMerchantDirectory>();
        services.AddSingleton<Core.Audit.IAuditTrail, Audit.TableAuditTrail>();
        AddMessaging(services);
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        services.AddSingleton<OutboxSweeper>();
        services.AddHttpClient<IWebhookSender, HttpWebhookSender>(c => c.Timeout = HttpWebhookSender.Timeout + TimeSpan.FromSeconds(5));
        return services;
    }

    /// <summary>The key ring is configuration only (Keys:Provider): Local by default, so a fresh checkout
    /// runs; KeyVault in Azure. Options that cannot work fail start-up, not the first secret read.</summary>
    private static void AddKeys(IServiceCollection services)
    {
        services.AddOptions<KeysOptions>().BindConfiguration("Keys").ValidateOnStart();
        services.AddSingleton<IValidateOptions<KeysOptions>, KeysOptionsValidator>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<KeysOptions>>().Value.CreateKeyRing(
            sp.GetRequiredService<TokenCredential>, sp.GetRequiredService<TimeProvider>(), sp.GetService<KeyVaultClientOptions>()));
        services.AddSingleton(sp => new SecretProtector(
            sp.GetRequiredService<IKeyRing>(),
            sp.GetRequiredService<IOptions<KeysOptions>>().Value.KeyName,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<SecretProtector>>()));
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
        services.TryAddSingleton(Core.Reconciliation.ReconciliationOptions.Default);
        services.AddSingleton<Reconciliation.TableReconciliationIndex>();
        services.AddSingleton<Core.Reconciliation.RunReconciliation.IReconciliationIndex>(sp => sp.GetRequiredService<Reconciliation.TableReconciliationIndex>());
        services.AddSingleton<Core.Reconciliation.RunReconciliation.IReconciliationRunStore, Reconciliation.TableReconciliationRunStore>();
        services.AddSingleton<Core.Reconciliation.RunReconciliation.IReconciliationAccounts, Reconciliation.TableReconciliationAccounts>();
        services.AddSingleton<IMessagePublisher>(sp => new Reconciliation.IndexingPublisher(
            sp.GetRequiredService<IOptions<MessagingOptions>>().Value.Transport switch
            {
                MessageTransport.ServiceBus => sp.GetRequiredService<ServiceBusRestPublisher>(),
                _ => sp.GetRequiredService<StorageQueuePublisher>(),
            },
            sp.GetRequiredService<Reconciliation.TableReconciliationIndex>()));
    }
}
