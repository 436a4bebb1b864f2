using System.Text.Json.Nodes;
using Payments.Core.Messaging;
using Payments.Functions.Catalog;
using Payments.Infrastructure.Deployment.Tests.Support;
using Payments.Infrastructure.Messaging.ServiceBus;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Deployment.Tests;

/// <summary>The names the code uses and the names the Bicep deploys are the same names: a queue,
/// table or setting that exists on one side only would fail in Azure, not here.</summary>
public class NamesAgreeTests
{
    /// <summary>Every configuration key (in its environment-variable spelling) that the app or the
    /// Functions host reads in Azure.</summary>
    public static TheoryData<string> SettingsTheAppReads { get; } = new()
    {
        "Storage__tableServiceUri",
        "Storage__queueServiceUri",
        "ServiceBus__fullyQualifiedNamespace",
        "Messaging__Transport",
        "Payments__PublicBaseUrl",
        "Keys__Provider",
        "Keys__VaultUri",
        "Keys__KeyName",
        "AzureWebJobsStorage__accountName",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "RateLimiting__PermitsPerSecond",
        "RateLimiting__Burst",
    };

    [Fact]
    public async Task TheSnapshotEvaluatesWithoutDiagnostics()
    {
        var deployment = await InfraSnapshot.GetAsync();

        Assert.Empty(deployment.Diagnostics);
    }

    [Fact]
    public async Task ServiceBusQueuesAreTheCatalogQueues()
    {
        var deployment = await InfraSnapshot.GetAsync();

        AssertSameSet(Queues.All, deployment.ChildNames("Microsoft.ServiceBus/namespaces/queues"));
    }

    [Fact]
    public async Task StorageQueuesAreTheCatalogQueuesAndTheirDeadLetterQueues()
    {
        var deployment = await InfraSnapshot.GetAsync();
        var expected = Queues.All.Concat(Queues.All.Select(StorageClients.DeadLetterName));

        AssertSameSet(expected, deployment.ChildNames("Microsoft.Storage/storageAccounts/queueServices/queues"));
    }

    [Fact]
    public async Task TablesAreTheTablesTheCodeUses()
    {
        var deployment = await InfraSnapshot.GetAsync();

        AssertSameSet(StorageClients.TableNames, deployment.ChildNames("Microsoft.Storage/storageAccounts/tableServices/tables"));
    }

    [Theory]
    [MemberData(nameof(SettingsTheAppReads))]
    public async Task AppSettingsDefineEveryNameTheAppReads(string name)
    {
        var settings = (await InfraSnapshot.GetAsync()).AppSettings();

        Assert.True(settings.ContainsKey(name), $"{name} is not among the app settings: {string.Join(", ", settings.Select(s => s.Key))}");
        Assert.False(string.IsNullOrWhiteSpace(settings[name]?.ToString()), $"{name} is empty.");
    }

    [Fact]
    public async Task TheTransportSettingNamesATransportTheCodeKnows()
    {
        var settings = (await InfraSnapshot.GetAsync()).AppSettings();

        string value = (string)settings["Messaging__Transport"]!;

        // The app binds it to MessageTransport; the publish step generates function.json from the
        // same transport name, so queue triggers and the publisher use the same broker.
        Assert.True(Enum.TryParse<MessageTransport>(value, out var transport), $"{value} is not a MessageTransport.");
        Assert.Equal(MessageTransport.ServiceBus, transport);
        Assert.Equal(Transports.ServiceBus, value);
    }

    [Theory]
    [InlineData(Transports.ServiceBus, "serviceBusTrigger", "fullyQualifiedNamespace", "Microsoft.ServiceBus/namespaces/queues")]
    [InlineData(Transports.StorageQueues, "queueTrigger", "queueServiceUri", "Microsoft.Storage/storageAccounts/queueServices/queues")]
    public async Task GeneratedTriggersUseConnectionsAndQueuesTheBicepDefines(string transport, string triggerType, string connectionProperty, string queueType)
    {
        var deployment = await InfraSnapshot.GetAsync();
        var settings = deployment.AppSettings();
        var queues = deployment.ChildNames(queueType);
        var bindings = GeneratedBindings(transport).Where(b => (string?)b["type"] == triggerType).ToList();

        Assert.Equal(Queues.All.Count, bindings.Count);
        foreach (var binding in bindings)
        {
            // An identity-based connection "X" is the group of settings "X__<property>".
            string setting = $"{(string)binding["connection"]!}__{connectionProperty}";
            Assert.True(settings.ContainsKey(setting), $"{binding["queueName"]}: connection setting {setting} is not defined.");
            Assert.Contains((string)binding["queueName"]!, queues);
        }
    }

    [Fact]
    public async Task ServiceBusConnectionIsTheNamespaceTheBicepCreates()
    {
        var deployment = await InfraSnapshot.GetAsync();
        string namespaceName = (string)deployment.Single("Microsoft.ServiceBus/namespaces")["name"]!;

        // The host name itself is only known once the namespace exists; the snapshot keeps it as
        // an expression over that namespace's endpoint.
        string value = (string)deployment.AppSettings()["ServiceBus__fullyQualifiedNamespace"]!;
        Assert.Contains($"/namespaces/{namespaceName}'", value, StringComparison.Ordinal);
        Assert.Equal(namespaceName, (string?)deployment.Outputs["SERVICE_BUS_NAMESPACE"]);
    }

    [Fact]
    public async Task StorageConnectionsPointAtTheStorageAccountTheBicepCreates()
    {
        var deployment = await InfraSnapshot.GetAsync();
        var settings = deployment.AppSettings();
        string account = (string)deployment.Single("Microsoft.Storage/storageAccounts")["name"]!;

        Assert.Equal(account, (string?)settings["AzureWebJobsStorage__accountName"]);
        // The storage DNS suffix comes from environment(), so the snapshot keeps these as expressions.
        Assert.All(new[] { ("Storage__tableServiceUri", ".table."), ("Storage__queueServiceUri", ".queue.") }, s =>
        {
            string value = (string)settings[s.Item1]!;
            Assert.Contains($"'{account}'", value, StringComparison.Ordinal);
            Assert.Contains(s.Item2, value, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task ServiceBusQueuesDeadLetterAfterAsManyDeliveriesAsTheLocalRuntime()
    {
        var deployment = await InfraSnapshot.GetAsync();
        int localLimit = new Payments.Functions.Runtime.LocalRuntimeOptions().MaxDeliveryCount;

        Assert.All(deployment.OfType("Microsoft.ServiceBus/namespaces/queues"), q =>
        {
            var p = q["properties"]!;
            Assert.Equal(localLimit, (int)p["maxDeliveryCount"]!);
            Assert.True((bool)p["requiresDuplicateDetection"]!);
            Assert.Equal("PT10M", (string?)p["duplicateDetectionHistoryTimeWindow"]);
            Assert.True((bool)p["deadLetteringOnMessageExpiration"]!);
        });
    }

    [Fact]
    public async Task AzdPublishesTheFunctionAppWithTriggersForTheConfiguredTransport()
    {
        var settings = (await InfraSnapshot.GetAsync()).AppSettings();
        string[] lines = await File.ReadAllLinesAsync(Path.Combine(BicepCli.RepoRoot, "azure.yaml"));
        string project = lines.Select(l => l.Trim()).Single(l => l.StartsWith("project:", StringComparison.Ordinal))["project:".Length..].Trim();
        var publishes = lines.Where(l => l.Contains("dotnet publish", StringComparison.Ordinal)).ToList();

        Assert.True(File.Exists(Path.Combine(BicepCli.RepoRoot, project, "Payments.Functions.csproj")), $"azure.yaml deploys {project}");
        Assert.NotEmpty(publishes);
        Assert.All(publishes, l => Assert.Contains($"-p:FunctionsTransport={(string)settings["Messaging__Transport"]!}", l, StringComparison.Ordinal));
    }

    private static List<JsonObject> GeneratedBindings(string transport)
    {
        string directory = Directory.CreateTempSubdirectory("function-metadata-").FullName;
        try
        {
            FunctionMetadataWriter.Write(directory, transport);
            return Directory.GetFiles(directory, "function.json", SearchOption.AllDirectories)
                .SelectMany(f => JsonNode.Parse(File.ReadAllText(f))!["bindings"]!.AsArray())
                .Select(b => b!.AsObject())
                .ToList();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertSameSet(IEnumerable<string> expected, IEnumerable<string> actual)
    {
        var e = expected.Order(StringComparer.Ordinal).ToList();
        var a = actual.Order(StringComparer.Ordinal).ToList();
        Assert.Equal(e, a);
    }
}
