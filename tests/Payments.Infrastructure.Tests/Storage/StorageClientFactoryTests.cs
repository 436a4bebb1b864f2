using Payments.Infrastructure.Storage;
using Payments.Infrastructure.Tests.Messaging.ServiceBus;

namespace Payments.Infrastructure.Tests.Storage;

/// <summary>Identity-based storage: building clients makes no call, so nothing here leaves the process.</summary>
public class StorageClientFactoryTests
{
    [Fact]
    public void ServiceUrisBuildClientsForThoseEndpointsWithPrefixesApplied()
    {
        var options = new StorageOptions
        {
            ConnectionString = "",
            TableServiceUri = new Uri("https://paystore.table.core.windows.net/"),
            QueueServiceUri = new Uri("https://paystore.queue.core.windows.net/"),
            TablePrefix = "dev",
            QueuePrefix = "dev-",
        };
        var credential = new CountingCredential();

        var clients = new StorageClients(options, credential);

        Assert.Equal("https://paystore.table.core.windows.net/", clients.TableService.Uri.ToString());
        Assert.Equal("paystore", clients.TableService.AccountName);
        Assert.Equal("https://paystore.table.core.windows.net/devpayments", clients.Payments.Uri.ToString());
        var queue = clients.Queue("channel-requests");
        Assert.Equal("https://paystore.queue.core.windows.net/dev-channel-requests", queue.Uri.ToString());
        Assert.Equal("paystore", queue.AccountName);
        // Nothing was sent, so nothing asked for a token yet.
        Assert.Equal(0, credential.Calls);
    }

    [Fact]
    public void WithoutUrisTheConnectionStringIsUsedAsBefore()
    {
        var clients = new StorageClients(new StorageOptions { ConnectionString = "UseDevelopmentStorage=true" });

        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1", clients.TableService.Uri.ToString().TrimEnd('/'));
        Assert.Equal("http://127.0.0.1:10001/devstoreaccount1/q", clients.Queue("q").Uri.ToString());
    }
}
