using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Payments.Core.Apps;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Webhooks;
using Payments.Infrastructure.Messaging;
using Payments.Infrastructure.Storage;
using Payments.Infrastructure.Webhooks;

namespace Payments.Infrastructure;

public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddInfrastructure(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration("Storage").Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "Storage:ConnectionString is required.").ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value);
        services.AddSingleton<StorageClients>();
        services.AddSingleton<TablePaymentStore>();
        services.AddSingleton<IPaymentStore>(sp => sp.GetRequiredService<TablePaymentStore>());
        services.AddSingleton<TableDirectories>();
        services.AddSingleton<IAppDirectory>(sp => sp.GetRequiredService<TableDirectories>());
        services.AddSingleton<IChannelAccountDirectory>(sp => sp.GetRequiredService<TableDirectories>());
        services.AddSingleton<INonceStore, TableNonceStore>();
        services.AddSingleton<IOpenPaymentIndex, TableOpenPaymentIndex>();
        services.AddSingleton<IMessagePublisher, StorageQueuePublisher>();
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        services.AddSingleton<OutboxSweeper>();
        services.AddHttpClient<IWebhookSender, HttpWebhookSender>(c => c.Timeout = HttpWebhookSender.Timeout + TimeSpan.FromSeconds(5));
        return services;
    }
}
