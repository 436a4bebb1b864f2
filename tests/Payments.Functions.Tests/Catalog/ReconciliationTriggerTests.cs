using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Core.Messaging;
using Payments.Core.Reconciliation;
using Payments.Core.Reconciliation.RunReconciliation;
using Payments.Functions.Tests.Support;
using Payments.Infrastructure.Reconciliation;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Tests.Catalog;

/// <summary>The reconciliation timer and queue functions as the Functions host invokes them.</summary>
public class ReconciliationTriggerTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string TimerPayload = """
        {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"IsPastDue":false}},
         "Metadata":{"sys":{"MethodName":"ReconciliationSchedule","UtcNow":"2026-11-24T02:30:00.0000000Z"}}}
        """;

    private async Task<(HttpStatusCode Status, JsonNode Answer)> PostAsync(string function, string payload)
    {
        var response = await api.CreateClient().PostAsync("/" + function, new StringContent(payload, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private Task SaveAccountAsync(string id, string channel) =>
        new TableDirectories(api.Clients, api.Secrets, TimeProvider.System).SaveChannelAccountAsync(
            new ChannelAccountRecord(id, channel, id, "sandbox", null, "http://127.0.0.1:9/", new Dictionary<string, string> { ["appId"] = "x" }), CancellationToken.None);

    [Fact]
    public async Task TheDailyTimerQueuesYesterdayOfEveryAccountWhoseChannelHasStatements()
    {
        await SaveAccountAsync("ca_trig_wx", "wechatpay");
        await SaveAccountAsync("ca_trig_ali", "alipay");
        await SaveAccountAsync("ca_trig_balance", "balance"); // no adapter, so no statements
        var yesterday = BusinessCalendar.DayOf(DateTimeOffset.UtcNow, BusinessCalendar.ChinaStandardTime).AddDays(-1);

        var (status, answer) = await PostAsync("ReconciliationSchedule", TimerPayload);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ReconciliationRunIds.Day(yesterday), answer["ReturnValue"]!["date"]!.GetValue<string>());
        Assert.Equal(2, answer["ReturnValue"]!["requested"]!.GetValue<int>());
        var queued = await QueuePeek.WaitForCountAsync(api.Clients.Queue(Queues.Reconciliations), _ => true, 2);
        Assert.Equal(
            ["ca_trig_ali", "ca_trig_wx"],
            queued.Select(m => JsonSerializer.Deserialize(m, RunReconciliationJson.Default.RunReconciliationCommand)!)
                .Select(c => { Assert.Equal(yesterday, c.Date); return c.ChannelAccountId; }).Order());
        var run = await new TableReconciliationRunStore(api.Clients).GetAsync(ReconciliationRunIds.For("ca_trig_wx", yesterday), CancellationToken.None);
        Assert.Equal(ReconciliationRunStatus.Running, run!.Value.Status);
    }

    [Fact]
    public async Task AQueuedRunOfAnAccountThatIsGoneFailsTheRunInsteadOfRetryingForever()
    {
        var day = new DateOnly(2026, 11, 22);
        string body = JsonSerializer.Serialize(new RunReconciliationCommand("ca_gone", day), RunReconciliationJson.Default.RunReconciliationCommand);
        string payload = new JsonObject
        {
            ["Data"] = new JsonObject { ["message"] = body },
            ["Metadata"] = new JsonObject { ["DequeueCount"] = "1", ["Id"] = "m-1" },
        }.ToJsonString();

        var (status, _) = await PostAsync("Reconciliations", payload);

        Assert.Equal(HttpStatusCode.OK, status);
        var run = await new TableReconciliationRunStore(api.Clients).GetAsync(ReconciliationRunIds.For("ca_gone", day), CancellationToken.None);
        Assert.Equal(ReconciliationRunStatus.Failed, run!.Value.Status);
        Assert.Contains("No such channel account", run.Value.Failure, StringComparison.Ordinal);
    }
}
