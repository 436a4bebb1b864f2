using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core.Messaging;
using Payments.Core.Observability;
using Payments.Core.Payments;
using Payments.Infrastructure.Deployment.Tests.Support;

namespace Payments.Infrastructure.Deployment.Tests;

/// <summary>The alerts the operator relies on exist, watch the right signal and reach the one
/// action group.</summary>
public class OperationsTests
{
    [Fact]
    public async Task EveryAlertRoutesToTheOneActionGroup()
    {
        var deployment = await InfraSnapshot.GetAsync();
        var group = deployment.Single("Microsoft.Insights/actionGroups");
        string groupId = (string)group["id"]!;

        Assert.Equal("operator@example.com", (string?)group["properties"]!["emailReceivers"]![0]!["emailAddress"]);
        var metricAlerts = deployment.OfType("Microsoft.Insights/metricAlerts");
        var logAlerts = deployment.OfType("Microsoft.Insights/scheduledQueryRules");
        Assert.Equal(5, metricAlerts.Count + logAlerts.Count);
        Assert.All(metricAlerts, a => Assert.Equal(groupId, (string?)a["properties"]!["actions"]![0]!["actionGroupId"]));
        Assert.All(logAlerts, a => Assert.Equal(groupId, (string?)a["properties"]!["actions"]!["actionGroups"]![0]));
    }

    [Fact]
    public async Task DeadLettersOnAnyServiceBusQueueRaiseAnAlert()
    {
        var criterion = await MetricCriterionAsync("DeadletteredMessages");

        Assert.Equal("Microsoft.ServiceBus/namespaces", (string?)criterion["metricNamespace"]);
        Assert.Equal("GreaterThan", (string?)criterion["operator"]);
        Assert.Equal(0, (double)criterion["threshold"]!);
    }

    [Fact]
    public async Task TheWebhookBacklogAlertWatchesTheMerchantNotificationsQueue()
    {
        var criterion = await MetricCriterionAsync("ActiveMessages");
        var dimension = criterion["dimensions"]!.AsArray().Single()!;

        Assert.Equal("EntityName", (string?)dimension["name"]);
        Assert.Equal([Queues.MerchantNotifications], dimension["values"]!.AsArray().Select(v => (string)v!).ToArray());
    }

    [Fact]
    public async Task KeyVaultThrottlingIsAlertedOnStatusCode429()
    {
        var criterion = await MetricCriterionAsync("ServiceApiResult");
        var dimension = criterion["dimensions"]!.AsArray().Single()!;

        Assert.Equal("Microsoft.KeyVault/vaults", (string?)criterion["metricNamespace"]);
        Assert.Equal("StatusCode", (string?)dimension["name"]);
        Assert.Equal(["429"], dimension["values"]!.AsArray().Select(v => (string)v!).ToArray());
    }

    [Theory]
    [InlineData("AppRequests", "ResultCode")]
    [InlineData("AppTraces", "reconciliation discrepancy")]
    public async Task LogAlertsQueryTheWorkspaceForTheirSignal(string table, string signal)
    {
        var deployment = await InfraSnapshot.GetAsync();
        string workspace = (string)deployment.Single("Microsoft.OperationalInsights/workspaces")["id"]!;

        var rule = Assert.Single(deployment.OfType("Microsoft.Insights/scheduledQueryRules"),
            r => ((string)r["properties"]!["criteria"]!["allOf"]![0]!["query"]!).Contains(table, StringComparison.Ordinal));
        Assert.Contains(signal, (string)rule["properties"]!["criteria"]!["allOf"]![0]!["query"]!, StringComparison.Ordinal);
        Assert.Equal(workspace, (string?)rule["properties"]!["scopes"]![0]);
    }

    [Fact]
    public async Task TheReconciliationAlertAlsoWatchesTheDiscrepancyCounterTheCodeIncrements()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new PaymentsMetrics(services.GetRequiredService<IMeterFactory>());
        var recorded = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter == metrics.Meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, _, _, _) => recorded.Add(instrument.Name));
        listener.Start();

        metrics.ReconciliationDiscrepancy("wechatpay", "missing");

        string name = Assert.Single(recorded);
        var deployment = await InfraSnapshot.GetAsync();
        var rule = Assert.Single(deployment.OfType("Microsoft.Insights/scheduledQueryRules"),
            r => ((string)r["properties"]!["criteria"]!["allOf"]![0]!["query"]!).Contains("AppMetrics", StringComparison.Ordinal));
        Assert.Contains($"Name == \"{name}\"", (string)rule["properties"]!["criteria"]!["allOf"]![0]!["query"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutputsNameTheEndpointsAndResourcesAnOperatorNeeds()
    {
        var outputs = (await InfraSnapshot.GetAsync()).Outputs;

        foreach (string name in new[] { "API_BASE_URL", "CALLBACK_BASE_URL", "AZURE_FUNCTION_APP_NAME", "AZURE_KEY_VAULT_URI", "SERVICE_BUS_NAMESPACE" })
        {
            Assert.False(string.IsNullOrWhiteSpace(outputs[name]?.ToString()), $"output {name} is missing");
        }

        // The output is "{PublicBaseUrl}api/v1/callbacks/"; the URL the code gives a channel must start with it.
        var publicBase = new Uri("https://payments.example/");
        string relative = publicBase.MakeRelativeUri(new CallbackOptions { PublicBaseUrl = publicBase }.For("wechatpay", "account")).ToString();
        string prefix = relative[..relative.IndexOf("wechatpay", StringComparison.Ordinal)];
        Assert.Contains($"format('{{0}}{prefix}',", (string)outputs["CALLBACK_BASE_URL"]!, StringComparison.Ordinal);
    }

    private static async Task<JsonNode> MetricCriterionAsync(string metric)
    {
        var deployment = await InfraSnapshot.GetAsync();
        var criteria = deployment.OfType("Microsoft.Insights/metricAlerts")
            .SelectMany(a => a["properties"]!["criteria"]!["allOf"]!.AsArray())
            .Where(c => (string?)c!["metricName"] == metric)
            .ToList();
        return Assert.Single(criteria)!;
    }
}
