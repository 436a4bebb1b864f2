using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;

namespace Payments.Infrastructure.Storage;

/// <summary>Builds the service clients from <see cref="StorageOptions"/>: with a service URI, Microsoft
/// Entra identity (managed identity in Azure, so no account key lives in app settings); without one,
/// the connection string (Azurite locally).</summary>
public static class StorageClientFactory
{
    public static TableServiceClient Tables(StorageOptions options, TokenCredential? credential = null) =>
        options.TableServiceUri is { } uri
            ? new TableServiceClient(uri, credential ?? DefaultCredential.Value)
            : new TableServiceClient(options.ConnectionString);

    public static QueueServiceClient Queues(StorageOptions options, TokenCredential? credential = null)
    {
        // Messages are our JSON as sent, not base64: the host's queue trigger is told the same
        // (host.json messageEncoding "none").
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        return options.QueueServiceUri is { } uri
            ? new QueueServiceClient(uri, credential ?? DefaultCredential.Value, queueOptions)
            : new QueueServiceClient(options.ConnectionString, queueOptions);
    }

    /// <summary>One credential per process, so its token cache is shared by every client.</summary>
    private static readonly Lazy<TokenCredential> DefaultCredential = new(() => new DefaultAzureCredential());
}
