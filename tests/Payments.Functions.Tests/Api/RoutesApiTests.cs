using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core.Payments;
using Payments.Core.Routing;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Api;

public class RoutesApiTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<string> NewMerchantAsync(HttpClient admin)
    {
        var merchant = await ReadAsync(await admin.PostAsync("/api/v1/admin/merchants", Json("""{"name":"Tea House","contactEmail":"ops@tea.example"}""")), HttpStatusCode.Created);
        string id = merchant.GetProperty("id").GetString()!;
        await ReadAsync(await admin.PostAsync($"/api/v1/admin/merchants/{id}/activate", null), HttpStatusCode.OK);
        return id;
    }

    private static async Task<string> NewAccountAsync(HttpClient admin, string channel, string? merchantId)
    {
        string credentials = channel == "wechatpay"
            ? """{"mchId":"1900000001","merchantSerialNo":"ABC","merchantPrivateKeyPem":"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----","apiV3Key":"0123456789abcdef0123456789abcdef","platformSerialNo":"DEF","platformPublicKeyPem":"-----BEGIN PUBLIC KEY-----\ny\n-----END PUBLIC KEY-----"}"""
            : """{"appId":"2021000000000001","appPrivateKeyPem":"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----","alipayPublicKeyPem":"-----BEGIN PUBLIC KEY-----\ny\n-----END PUBLIC KEY-----"}""";
        string owner = merchantId is null ? "" : $",\"merchantId\":\"{merchantId}\"";
        var account = await ReadAsync(await admin.PostAsync("/api/v1/admin/channel-accounts",
            Json($$"""{"channel":"{{channel}}","name":"Account","mode":"sandbox"{{owner}},"credentials":{{credentials}}}""")), HttpStatusCode.Created);
        return account.GetProperty("id").GetString()!;
    }

    private static async Task<(string AppId, string Secret)> NewAppAsync(HttpClient admin, string merchantId)
    {
        var app = await ReadAsync(await admin.PostAsync($"/api/v1/admin/merchants/{merchantId}/apps", Json("""{"name":"Shop","channels":["wechatpay"]}""")), HttpStatusCode.Created);
        return (app.GetProperty("id").GetString()!, app.GetProperty("appSecret").GetString()!);
    }

    private static string CreateBody(string orderNo, long amount = 1999) =>
        $$"""{"merchantOrderNo":"{{orderNo}}","amount":{{amount}},"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Tea"}""";

    [Fact]
    public async Task AdminsReplaceAnAppsRoutesAuditorsReadThemAndTheChangeIsAudited()
    {
        var admin = api.OperatorClient("Admin");
        string merchantId = await NewMerchantAsync(admin);
        string own = await NewAccountAsync(admin, "wechatpay", merchantId);
        string shared = await NewAccountAsync(admin, "wechatpay", null);
        var (appId, _) = await NewAppAsync(admin, merchantId);

        var empty = await ReadAsync(await api.OperatorClient("Auditor").GetAsync($"/api/v1/admin/apps/{appId}/routes"), HttpStatusCode.OK);
        Assert.Empty(empty.EnumerateObject());

        var put = await ReadAsync(await admin.PutAsync($"/api/v1/admin/apps/{appId}/routes", Json($$"""
            {"wechatpay":[
              {"channelAccountId":"{{own}}","minAmount":1,"maxAmount":100000,"currency":"CNY","methods":["qr","h5"],"weight":700},
              {"channelAccountId":"{{shared}}"}]}
            """)), HttpStatusCode.OK);
        var read = await ReadAsync(await api.OperatorClient("Auditor").GetAsync($"/api/v1/admin/apps/{appId}/routes"), HttpStatusCode.OK);
        Assert.Equal(put.ToString(), read.ToString());
        var routes = read.GetProperty("wechatpay");
        Assert.Equal(own, routes[0].GetProperty("channelAccountId").GetString());
        Assert.Equal(100000, routes[0].GetProperty("maxAmount").GetInt64());
        Assert.Equal(["qr", "h5"], routes[0].GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(700, routes[0].GetProperty("weight").GetInt32());
        Assert.Equal(1, routes[1].GetProperty("weight").GetInt32());
        Assert.Equal(JsonValueKind.Null, routes[1].GetProperty("currency").ValueKind);

        Assert.Equal(HttpStatusCode.Forbidden, (await api.OperatorClient("Operator").PutAsync($"/api/v1/admin/apps/{appId}/routes", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsync("/api/v1/admin/apps/app_nobody/routes", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/admin/apps/app_nobody/routes")).StatusCode);

        var audit = await ReadAsync(await admin.GetAsync("/api/v1/admin/audit?limit=200"), HttpStatusCode.OK);
        var entry = Assert.Single(audit.GetProperty("data").EnumerateArray(), e => e.GetProperty("subject").GetString() == appId && e.GetProperty("action").GetString() == "app.routes_replaced");
        Assert.Contains(own, entry.GetProperty("after").GetString(), StringComparison.Ordinal);
        Assert.Equal("{}", entry.GetProperty("before").GetString());

        // An empty object goes back to the app's single account.
        await ReadAsync(await admin.PutAsync($"/api/v1/admin/apps/{appId}/routes", Json("{}")), HttpStatusCode.OK);
        Assert.Empty((await ReadAsync(await admin.GetAsync($"/api/v1/admin/apps/{appId}/routes"), HttpStatusCode.OK)).EnumerateObject());
    }

    [Fact]
    public async Task InvalidRoutesAreRefusedFieldByFieldAndChangeNothing()
    {
        var admin = api.OperatorClient("Admin");
        string merchantId = await NewMerchantAsync(admin);
        string own = await NewAccountAsync(admin, "wechatpay", merchantId);
        string foreign = await NewAccountAsync(admin, "wechatpay", await NewMerchantAsync(admin));
        string alipay = await NewAccountAsync(admin, "alipay", null);
        var (appId, _) = await NewAppAsync(admin, merchantId);
        await ReadAsync(await admin.PutAsync($"/api/v1/admin/apps/{appId}/routes", Json($$"""{"wechatpay":[{"channelAccountId":"{{own}}"}]}""")), HttpStatusCode.OK);

        var invalid = await ReadAsync(await admin.PutAsync($"/api/v1/admin/apps/{appId}/routes", Json($$"""
            {"wechatpay":[
              {"channelAccountId":"{{foreign}}"},
              {"channelAccountId":"{{alipay}}"},
              {"channelAccountId":"ca_nobody"},
              {"channelAccountId":"{{own}}","minAmount":500,"maxAmount":100,"currency":"XXX","methods":["page"],"weight":0},
              {"channelAccountId":"{{own}}","weight":1001}],
             "alipay":[{"channelAccountId":"{{alipay}}"}]}
            """)), HttpStatusCode.BadRequest);

        var errors = invalid.GetProperty("errors");
        Assert.Equal("validation_failed", invalid.GetProperty("code").GetString());
        Assert.Equal(
            ["alipay", "wechatpay[0].channelAccountId", "wechatpay[1].channelAccountId", "wechatpay[2].channelAccountId", "wechatpay[3].currency",
             "wechatpay[3].maxAmount", "wechatpay[3].methods", "wechatpay[3].weight", "wechatpay[4].weight"],
            errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Contains("another merchant", errors.GetProperty("wechatpay[0].channelAccountId")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("alipay account", errors.GetProperty("wechatpay[1].channelAccountId")[0].GetString(), StringComparison.Ordinal);

        var unchanged = await ReadAsync(await admin.GetAsync($"/api/v1/admin/apps/{appId}/routes"), HttpStatusCode.OK);
        Assert.Equal(own, Assert.Single(unchanged.GetProperty("wechatpay").EnumerateArray()).GetProperty("channelAccountId").GetString());
    }

    [Fact]
    public async Task WhileTheFirstAccountsCircuitIsOpenNewPaymentsGoToTheSecondAndStayThereWhenRetried()
    {
        var admin = api.OperatorClient("Admin");
        string merchantId = await NewMerchantAsync(admin);
        string first = await NewAccountAsync(admin, "wechatpay", merchantId);
        string second = await NewAccountAsync(admin, "wechatpay", merchantId);
        var (appId, secret) = await NewAppAsync(admin, merchantId);
        await ReadAsync(await admin.PutAsync($"/api/v1/admin/apps/{appId}/routes",
            Json($$"""{"wechatpay":[{"channelAccountId":"{{first}}","weight":1},{"channelAccountId":"{{second}}","weight":1}]}""")), HttpStatusCode.OK);
        var client = new SignedClient(api.CreateClient(), appId, secret);
        var breakers = api.Services.GetRequiredService<CircuitBreakers>();
        var store = api.Services.GetRequiredService<IPaymentStore>();

        breakers.RecordSuccess(first);
        var healthy = new List<string>();
        for (int i = 0; i < 30; i++)
        {
            var payment = await ReadAsync(await client.PostAsync("/api/v1/payments", CreateBody($"H-{i}")), HttpStatusCode.Accepted);
            healthy.Add(payment.GetProperty("channelAccountId").GetString()!);
        }

        // Both get traffic while healthy; the chance of 30 even picks all landing on one side is 2^-29.
        Assert.Contains(first, healthy);
        Assert.Contains(second, healthy);

        for (int i = 0; i < 5; i++)
        {
            breakers.RecordFailure(first);
        }

        Assert.Equal(CircuitState.Open, breakers.StateOf(first));
        for (int i = 0; i < 30; i++)
        {
            var payment = await ReadAsync(await client.PostAsync("/api/v1/payments", CreateBody($"U-{i}")), HttpStatusCode.Accepted);
            Assert.Equal(second, payment.GetProperty("channelAccountId").GetString());
            var stored = (await store.GetAsync(payment.GetProperty("id").GetString()!, default))!.Value;
            Assert.Equal(second, stored.Routing!.ChannelAccountId);
            Assert.Equal([first, second], stored.Routing.Considered);
            if (stored.Routing.Rule == RoutingRules.Failover)
            {
                Assert.Equal([new SkippedCandidate(first, SkipReasons.CircuitOpen)], stored.Routing.Skipped);
            }
        }

        // Operators see the decision: an auditor reads it on the payment's operator view.
        var lastId = (await ReadAsync(await client.GetAsync("/api/v1/payments?merchantOrderNo=U-29"), HttpStatusCode.OK)).GetProperty("id").GetString()!;
        var view = await ReadAsync(await api.OperatorClient("Auditor").GetAsync($"/api/v1/admin/payments/{lastId}"), HttpStatusCode.OK);
        var lastStored = (await store.GetAsync(lastId, default))!.Value;
        Assert.Equal(lastId, view.GetProperty("payment").GetProperty("id").GetString());
        Assert.Equal(merchantId, view.GetProperty("merchantId").GetString());
        Assert.Equal(second, view.GetProperty("routing").GetProperty("channelAccountId").GetString());
        Assert.Equal(lastStored.Routing!.Rule, view.GetProperty("routing").GetProperty("rule").GetString());
        Assert.Equal([first, second], view.GetProperty("routing").GetProperty("considered").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(lastStored.Routing.Skipped.Select(s => s.ChannelAccountId), view.GetProperty("routing").GetProperty("skipped").EnumerateArray().Select(s => s.GetProperty("channelAccountId").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/admin/payments/pay_nobody")).StatusCode);

        // A payment placed at the first account before its circuit opened stays there when the storefront retries.
        int placedFirst = healthy.IndexOf(first);
        var retried = await ReadAsync(await client.PostAsync("/api/v1/payments", CreateBody($"H-{placedFirst}")), HttpStatusCode.OK);
        Assert.Equal(first, retried.GetProperty("channelAccountId").GetString());

        // Only route: with the second one open too, no account can take a new payment, and nothing is stored.
        for (int i = 0; i < 5; i++)
        {
            breakers.RecordFailure(second);
        }

        var refused = await ReadAsync(await client.PostAsync("/api/v1/payments", CreateBody("N-1")), (HttpStatusCode)422);
        Assert.Equal("channel_not_available", refused.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/payments?merchantOrderNo=N-1")).StatusCode);
        breakers.RecordSuccess(first);
        breakers.RecordSuccess(second);
    }
}
