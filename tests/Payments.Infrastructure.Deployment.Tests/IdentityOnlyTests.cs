using System.Text.Json.Nodes;
using Payments.Infrastructure.Deployment.Tests.Support;

namespace Payments.Infrastructure.Deployment.Tests;

/// <summary>No key, password or connection string is issued, stored or usable: every caller is an
/// Entra identity with a data role, and the function app's identity holds exactly the roles it uses.</summary>
public class IdentityOnlyTests
{
    // Built-in role definition ids, the same in every tenant.
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string ServiceBusDataSender = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39";
    private const string ServiceBusDataReceiver = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0";
    private const string KeyVaultCryptoUser = "12338af0-0e69-4776-bea7-57ae8d297424";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    [Fact]
    public async Task LocalAuthenticationIsOffEverywhere()
    {
        var deployment = await InfraSnapshot.GetAsync();

        Assert.False((bool)deployment.Single("Microsoft.Storage/storageAccounts")["properties"]!["allowSharedKeyAccess"]!);
        Assert.True((bool)deployment.Single("Microsoft.ServiceBus/namespaces")["properties"]!["disableLocalAuth"]!);
        Assert.True((bool)deployment.Single("Microsoft.Insights/components")["properties"]!["DisableLocalAuth"]!);
        Assert.All(deployment.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies"), p => Assert.False((bool)p["properties"]!["allow"]!));
        Assert.Equal(2, deployment.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").Count);
    }

    [Fact]
    public async Task NoAppSettingCarriesAKeyOrAConnectionString()
    {
        var settings = (await InfraSnapshot.GetAsync()).AppSettings();

        Assert.DoesNotContain("AzureWebJobsStorage", settings.Select(s => s.Key));
        foreach (var (name, value) in settings)
        {
            string text = value?.ToString() ?? "";
            Assert.DoesNotContain("AccountKey", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessKey", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("listKeys", text, StringComparison.OrdinalIgnoreCase);
            // The Application Insights connection string only names the component; ingestion still
            // needs the identity's token (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
            if (name != "APPLICATIONINSIGHTS_CONNECTION_STRING")
            {
                Assert.False(name.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase), $"{name} looks like a connection string.");
            }
        }

        Assert.Equal("Authorization=AAD", (string?)settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    }

    [Fact]
    public async Task NothingInTheTemplateReadsAKey()
    {
        var deployment = await InfraSnapshot.GetAsync();
        string everything = string.Join('\n', deployment.Resources.Select(r => r.ToJsonString()).Append(deployment.Outputs.ToJsonString()));

        Assert.DoesNotContain("listKeys", everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("listConnectionStrings", everything, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TheFunctionIdentityHoldsExactlyTheDataRolesItUses()
    {
        var deployment = await InfraSnapshot.GetAsync();
        string site = (string)deployment.Single("Microsoft.Web/sites")["id"]!;

        var granted = deployment.OfType("Microsoft.Authorization/roleAssignments")
            .Select(a =>
            {
                string id = (string)a["id"]!;
                string scope = id[..id.IndexOf("/providers/Microsoft.Authorization/", StringComparison.Ordinal)];
                // The principal is the site's system-assigned identity, known once the site exists.
                Assert.Contains($"{site}', '2024-04-01', 'full').identity.principalId", (string)a["properties"]!["principalId"]!, StringComparison.Ordinal);
                Assert.Equal("ServicePrincipal", (string?)a["properties"]!["principalType"]);
                return (Scope: ResourceType(scope), Role: ((string)a["properties"]!["roleDefinitionId"]!).Split('/')[^1]);
            })
            .Order()
            .ToList();

        var expected = new[]
        {
            ("Microsoft.Storage/storageAccounts", StorageBlobDataOwner),
            ("Microsoft.Storage/storageAccounts", StorageQueueDataContributor),
            ("Microsoft.Storage/storageAccounts", StorageTableDataContributor),
            ("Microsoft.ServiceBus/namespaces", ServiceBusDataSender),
            ("Microsoft.ServiceBus/namespaces", ServiceBusDataReceiver),
            ("Microsoft.KeyVault/vaults", KeyVaultCryptoUser),
            ("Microsoft.Insights/components", MonitoringMetricsPublisher),
        }.Order().ToList();
        Assert.Equal(expected, granted);
    }

    [Fact]
    public async Task FlexConsumptionRunsTheCustomHandlerFromAnIdentityAuthenticatedContainer()
    {
        var deployment = await InfraSnapshot.GetAsync();
        var plan = deployment.Single("Microsoft.Web/serverfarms");
        var site = deployment.Single("Microsoft.Web/sites");
        var config = site["properties"]!["functionAppConfig"]!;

        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        Assert.Equal("SystemAssigned", (string?)site["identity"]!["type"]);
        Assert.Equal("custom", (string?)config["runtime"]!["name"]);
        Assert.Equal("1.0", (string?)config["runtime"]!["version"]);
        Assert.Equal("blobContainer", (string?)config["deployment"]!["storage"]!["type"]);
        Assert.Equal("SystemAssignedIdentity", (string?)config["deployment"]!["storage"]!["authentication"]!["type"]);
        string container = deployment.ChildNames("Microsoft.Storage/storageAccounts/blobServices/containers").Single();
        Assert.EndsWith($"'{container}')]", (string)config["deployment"]!["storage"]!["value"]!, StringComparison.Ordinal);
        // Zero always-ready instances: nothing runs, and nothing is billed for compute, at idle.
        Assert.Empty(config["scaleAndConcurrency"]!["alwaysReady"]!.AsArray());
        Assert.Equal("api", (string?)site["tags"]!["azd-service-name"]);
    }

    [Fact]
    public async Task KeyVaultUsesRbacWithPurgeProtectionAndARotatingWrappingKey()
    {
        var deployment = await InfraSnapshot.GetAsync();
        var vault = deployment.Single("Microsoft.KeyVault/vaults")["properties"]!;
        var key = deployment.Single("Microsoft.KeyVault/vaults/keys")["properties"]!;

        Assert.True((bool)vault["enableRbacAuthorization"]!);
        Assert.True((bool)vault["enableSoftDelete"]!);
        Assert.True((bool)vault["enablePurgeProtection"]!);
        Assert.Equal("RSA", (string?)key["kty"]);
        Assert.Equal(["wrapKey", "unwrapKey"], key["keyOps"]!.AsArray().Select(o => (string)o!).ToArray());
        var actions = key["rotationPolicy"]!["lifetimeActions"]!.AsArray().Select(a => (string)a!["action"]!["type"]!).ToList();
        Assert.Contains("rotate", actions);
    }

    private static string ResourceType(string resourceId)
    {
        // .../providers/<Namespace>/<type>/<name>
        string[] parts = resourceId.Split("/providers/")[^1].Split('/');
        return $"{parts[0]}/{parts[1]}";
    }
}
