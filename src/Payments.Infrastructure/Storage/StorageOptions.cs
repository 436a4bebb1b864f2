using Azure.Data.Tables;
using Azure.Storage.Queues;

namespace Payments.Infrastructure.Storage;

/// <summary>Where state and queues live. Prefixes let tests share one Azurite without sharing data.</summary>
public sealed class StorageOptions
{
    public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>The Table service endpoint (https://{account}.table.core.windows.net). When set, tables
    /// are reached with Microsoft Entra identity and the connection string is not used for them.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>The Queue service endpoint (https://{account}.queue.core.windows.net), as for tables.</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>Prepended to every table name (letters and digits only).</summary>
    public string TablePrefix { get; set; } = "";

    /// <summary>Prepended to every queue name (lower-case letters, digits, hyphens).</summary>
    public string QueuePrefix { get; set; } = "";

    public string Table(string name) => TablePrefix + name;

    public string Queue(string name) => QueuePrefix + name;
}

/// <summary>Table and queue clients, made once per process and shared (they are thread-safe).</summary>
public sealed class StorageClients
{
    public static readonly string[] TableNames = ["payments", "apps", "channelaccounts", "nonces", "openpayments", "exceptions", "audit", "merchants", "reconindex", "riskrules", "riskcounters", "reconruns"];

    private readonly TableServiceClient _tables;
    private readonly QueueServiceClient _queues;
    private readonly StorageOptions _options;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, QueueClient> _queueClients = new();

    public StorageClients(StorageOptions options)
        : this(options, null)
    {
    }

    /// <param name="credential">Used when the options name service URIs; null means DefaultAzureCredential.</param>
    public StorageClients(StorageOptions options, Azure.Core.TokenCredential? credential)
    {
        _options = options;
        _tables = StorageClientFactory.Tables(options, credential);
        _queues = StorageClientFactory.Queues(options, credential);
        Payments = _tables.GetTableClient(options.Table("payments"));
        Apps = _tables.GetTableClient(options.Table("apps"));
        ChannelAccounts = _tables.GetTableClient(options.Table("channelaccounts"));
        Nonces = _tables.GetTableClient(options.Table("nonces"));
        OpenPayments = _tables.GetTableClient(options.Table("openpayments"));
        Exceptions = _tables.GetTableClient(options.Table("exceptions"));
        Audit = _tables.GetTableClient(options.Table("audit"));
        Merchants = _tables.GetTableClient(options.Table("merchants"));
        ReconciliationIndex = _tables.GetTableClient(options.Table("reconindex"));
        RiskRules = _tables.GetTableClient(options.Table("riskrules"));
        RiskCounters = _tables.GetTableClient(options.Table("riskcounters"));
        ReconciliationRuns = _tables.GetTableClient(options.Table("reconruns"));
    }

    public TableClient Payments { get; }
    public TableClient Apps { get; }
    public TableClient ChannelAccounts { get; }
    public TableClient Nonces { get; }
    public TableClient OpenPayments { get; }
    public TableClient Exceptions { get; }
    public TableClient Audit { get; }
    public TableClient Merchants { get; }
    public TableClient ReconciliationIndex { get; }
    public TableClient RiskRules { get; }
    public TableClient RiskCounters { get; }
    public TableClient ReconciliationRuns { get; }

    public TableServiceClient TableService => _tables;

    /// <summary>The queue by its catalog name (prefix applied here).</summary>
    public QueueClient Queue(string name) => _queueClients.GetOrAdd(name, n => _queues.GetQueueClient(_options.Queue(n)));

    public static string DeadLetterName(string queue) => queue + "-deadletter";

    /// <summary>Deletes every table and queue under this prefix (tests and benchmarks clean up with it).</summary>
    public async Task DeleteAllAsync(IEnumerable<string> queueNames, CancellationToken cancellationToken)
    {
        foreach (string table in TableNames)
        {
            await _tables.DeleteTableAsync(_options.Table(table), cancellationToken);
        }

        foreach (string queue in queueNames)
        {
            await Queue(queue).DeleteIfExistsAsync(cancellationToken);
            await Queue(DeadLetterName(queue)).DeleteIfExistsAsync(cancellationToken);
        }
    }

    /// <summary>Creates every table and queue (with its dead-letter queue). Idempotent.</summary>
    public async Task EnsureCreatedAsync(IEnumerable<string> queueNames, CancellationToken cancellationToken)
    {
        foreach (string table in TableNames)
        {
            await _tables.GetTableClient(_options.Table(table)).CreateIfNotExistsAsync(cancellationToken);
        }

        foreach (string queue in queueNames)
        {
            await Queue(queue).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await Queue(DeadLetterName(queue)).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        }
    }
}
