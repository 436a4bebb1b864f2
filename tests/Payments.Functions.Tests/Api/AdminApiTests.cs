using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Api;

public class AdminApiTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private async Task<JsonElement> ReadAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private async Task<string> NewMerchantAsync(HttpClient admin)
    {
        var merchant = await ReadAsync(await admin.PostAsync("/api/v1/admin/merchants", Json("""{"name":"Tea House","contactEmail":"ops@tea.example"}""")), HttpStatusCode.Created);
        Assert.Equal("pending_review", merchant.GetProperty("status").GetString());
        return merchant.GetProperty("id").GetString()!;
    }

    private async Task<string> NewSharedWeChatAccountAsync(HttpClient admin)
    {
        string body = """
            {"channel":"wechatpay","name":"Shared WeChat Pay","mode":"sandbox","credentials":{
              "mchId":"1900000001","merchantSerialNo":"ABC","merchantPrivateKeyPem":"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
              "apiV3Key":"0123456789abcdef0123456789abcdef","platformSerialNo":"DEF",
              "platformPublicKeyPem":"-----BEGIN PUBLIC KEY-----\ny\n-----END PUBLIC KEY-----"}}
            """;
        var account = await ReadAsync(await admin.PostAsync("/api/v1/admin/channel-accounts", Json(body)), HttpStatusCode.Created);
        Assert.False(account.TryGetProperty("credentials", out _));
        return account.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task AMerchantsAppWorksOnlyWhileTheMerchantIsActiveAndSecretsAreShownOnlyOnce()
    {
        var admin = api.OperatorClient("Admin");
        string merchantId = await NewMerchantAsync(admin);
        await NewSharedWeChatAccountAsync(admin);
        var created = await ReadAsync(
            await admin.PostAsync($"/api/v1/admin/merchants/{merchantId}/apps", Json("""{"name":"Shop","channels":["wechatpay"],"notifyUrl":"https://shop.example/hooks"}""")),
            HttpStatusCode.Created);
        string appId = created.GetProperty("id").GetString()!;
        string secret = created.GetProperty("appSecret").GetString()!;
        Assert.StartsWith("whsec_", created.GetProperty("webhookSecret").GetString(), StringComparison.Ordinal);

        var merchantClient = new SignedClient(api.CreateClient(), appId, secret);
        var pending = await ReadAsync(await merchantClient.GetAsync("/api/v1/payments?merchantOrderNo=none"), HttpStatusCode.Forbidden);
        Assert.Equal("merchant_not_active", pending.GetProperty("code").GetString());

        await ReadAsync(await admin.PostAsync($"/api/v1/admin/merchants/{merchantId}/activate", null), HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.NotFound, (await merchantClient.GetAsync("/api/v1/payments?merchantOrderNo=none")).StatusCode);

        var suspended = await ReadAsync(await admin.PostAsync($"/api/v1/admin/merchants/{merchantId}/suspend", null), HttpStatusCode.OK);
        Assert.Equal("suspended", suspended.GetProperty("status").GetString());
        var refused = await ReadAsync(await merchantClient.GetAsync("/api/v1/payments?merchantOrderNo=none"), HttpStatusCode.Forbidden);
        Assert.Equal("merchant_suspended", refused.GetProperty("code").GetString());

        string appJson = await (await admin.GetAsync($"/api/v1/admin/apps/{appId}")).Content.ReadAsStringAsync();
        Assert.Contains("\"wechatpay\"", appJson, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, appJson, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret", appJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterRotationBothOldAndNewSecretsSignRequestsDuringTheOverlap()
    {
        var admin = api.OperatorClient("Admin");
        string merchantId = await NewMerchantAsync(admin);
        await ReadAsync(await admin.PostAsync($"/api/v1/admin/merchants/{merchantId}/activate", null), HttpStatusCode.OK);
        await NewSharedWeChatAccountAsync(admin);
        var created = await ReadAsync(
            await admin.PostAsync($"/api/v1/admin/merchants/{merchantId}/apps", Json("""{"name":"Shop","channels":["wechatpay"]}""")), HttpStatusCode.Created);
        string appId = created.GetProperty("id").GetString()!;
        string oldSecret = created.GetProperty("appSecret").GetString()!;

        var rotated = await ReadAsync(await admin.PostAsync($"/api/v1/admin/apps/{appId}/rotate-secrets", null), HttpStatusCode.OK);
        string newSecret = rotated.GetProperty("appSecret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);
        var until = rotated.GetProperty("previousValidUntil").GetDateTimeOffset();
        Assert.InRange(until - DateTimeOffset.UtcNow, TimeSpan.FromHours(23), TimeSpan.FromHours(25));

        foreach (string secret in new[] { oldSecret, newSecret })
        {
            var client = new SignedClient(api.CreateClient(), appId, secret);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/payments?merchantOrderNo=none")).StatusCode);
        }

        var stranger = new SignedClient(api.CreateClient(), appId, "sk_not-a-secret-of-this-app-0000000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/api/v1/payments?merchantOrderNo=none")).StatusCode);

        // Neither secret is stored readably.
        await foreach (var row in api.Clients.Apps.QueryAsync<TableEntity>(e => e.PartitionKey == appId))
        {
            string raw = string.Join("|", row.Select(p => p.Value?.ToString()));
            Assert.DoesNotContain(oldSecret, raw, StringComparison.Ordinal);
            Assert.DoesNotContain(newSecret, raw, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BadAdminInputIsRefusedByFieldAndChangesNothing()
    {
        var admin = api.OperatorClient("Admin");
        var before = await ReadAsync(await admin.GetAsync("/api/v1/admin/channel-accounts"), HttpStatusCode.OK);

        var missing = await ReadAsync(await admin.PostAsync("/api/v1/admin/channel-accounts",
            Json("""{"channel":"wechatpay","name":"x","mode":"sandbox","credentials":{"mchId":"1"}}""")), HttpStatusCode.BadRequest);
        Assert.True(missing.GetProperty("errors").TryGetProperty("credentials.apiV3Key", out _));

        var unknownChannel = await ReadAsync(await admin.PostAsync("/api/v1/admin/channel-accounts",
            Json("""{"channel":"bitcoin","name":"x","mode":"sandbox","credentials":{}}""")), HttpStatusCode.BadRequest);
        Assert.True(unknownChannel.GetProperty("errors").TryGetProperty("channel", out _));

        var badEmail = await ReadAsync(await admin.PostAsync("/api/v1/admin/merchants", Json("""{"name":"A","contactEmail":"not an email"}""")), HttpStatusCode.BadRequest);
        Assert.True(badEmail.GetProperty("errors").TryGetProperty("contactEmail", out _));

        var unknownField = await ReadAsync(await admin.PostAsync("/api/v1/admin/merchants", Json("""{"name":"A","contactEmail":"a@b.example","vip":true}""")), HttpStatusCode.BadRequest);
        Assert.True(unknownField.GetProperty("errors").TryGetProperty("vip", out _));

        var control = await ReadAsync(await admin.PostAsync("/api/v1/admin/merchants", Json("{\"name\":\"A\\u0000B\",\"contactEmail\":\"a@b.example\"}")), HttpStatusCode.BadRequest);
        Assert.True(control.GetProperty("errors").TryGetProperty("name", out _));

        var noAccount = await ReadAsync(await admin.PostAsync("/api/v1/admin/merchants/mch_nobody/apps", Json("""{"name":"Shop","channels":["wechatpay"]}""")), HttpStatusCode.NotFound);
        Assert.Equal("not_found", noAccount.GetProperty("code").GetString());

        var after = await ReadAsync(await admin.GetAsync("/api/v1/admin/channel-accounts"), HttpStatusCode.OK);
        Assert.Equal(before.GetProperty("data").GetArrayLength(), after.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task EachRoleIsHeldToItsEndpointsAndMerchantCredentialsAreRefused()
    {
        var auditor = api.OperatorClient("Auditor");
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/api/v1/admin/merchants")).StatusCode);
        var forbidden = await ReadAsync(await auditor.PostAsync("/api/v1/admin/merchants", Json("""{"name":"A","contactEmail":"a@b.example"}""")), HttpStatusCode.Forbidden);
        Assert.Equal("forbidden", forbidden.GetProperty("code").GetString());

        var operatorClient = api.OperatorClient("Operator");
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.PostAsync("/api/v1/admin/merchants", Json("""{"name":"A","contactEmail":"a@b.example"}"""))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await operatorClient.GetAsync("/api/v1/admin/exceptions")).StatusCode);

        var anonymous = api.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/admin/merchants")).StatusCode);

        var wrongKey = api.CreateClient();
        wrongKey.DefaultRequestHeaders.Authorization = new("Bearer", ApiFactory.OperatorKey("Admin") + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrongKey.GetAsync("/api/v1/admin/merchants")).StatusCode);

        var merchant = await api.NewAppAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await merchant.GetAsync("/api/v1/admin/merchants")).StatusCode);

        // And the other way round: an operator key is no merchant credential.
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.OperatorClient("Admin").GetAsync("/api/v1/payments?merchantOrderNo=x")).StatusCode);
    }

    [Fact]
    public async Task EveryOperatorChangeIsInTheAuditChainAndTheChainVerifies()
    {
        var admin = api.OperatorClient("Admin");
        string merchantId = await NewMerchantAsync(admin);
        await ReadAsync(await admin.PostAsync($"/api/v1/admin/merchants/{merchantId}/activate", null), HttpStatusCode.OK);

        var audit = await ReadAsync(await api.OperatorClient("Auditor").GetAsync("/api/v1/admin/audit?limit=200"), HttpStatusCode.OK);
        var mine = audit.GetProperty("data").EnumerateArray().Where(e => e.GetProperty("subject").GetString() == merchantId).ToList();
        Assert.Equal(["merchant.activated", "merchant.created"], mine.Select(e => e.GetProperty("action").GetString()));
        Assert.All(mine, e => Assert.Equal("operator:admin", e.GetProperty("actor").GetString()));
        Assert.Contains("status=pending_review", mine[0].GetProperty("before").GetString(), StringComparison.Ordinal);
        Assert.Contains("status=active", mine[0].GetProperty("after").GetString(), StringComparison.Ordinal);

        var verify = await ReadAsync(await api.OperatorClient("Auditor").GetAsync("/api/v1/admin/audit/verify"), HttpStatusCode.OK);
        Assert.True(verify.GetProperty("valid").GetBoolean());
        Assert.True(verify.GetProperty("checked").GetInt64() >= 2);
    }

    [Fact]
    public async Task RiskRulesAreReplacedAsAWholeValidatedByFieldAndAudited()
    {
        var admin = api.OperatorClient("Admin");
        string merchantId = await NewMerchantAsync(admin);

        var invalid = await ReadAsync(await admin.PutAsync($"/api/v1/admin/merchants/{merchantId}/risk-rules",
            Json("""{"currency":"CNY","singlePaymentMax":-5}""")), HttpStatusCode.BadRequest);
        Assert.True(invalid.GetProperty("errors").TryGetProperty("singlePaymentMax", out _), invalid.ToString());
        var unchanged = await ReadAsync(await admin.GetAsync($"/api/v1/admin/merchants/{merchantId}/risk-rules"), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, unchanged.GetProperty("singlePaymentMax").ValueKind);

        await ReadAsync(await admin.PutAsync($"/api/v1/admin/merchants/{merchantId}/risk-rules",
            Json("""{"currency":"CNY","singlePaymentMax":50000,"blockedIps":["203.0.113.7"]}""")), HttpStatusCode.OK);
        var read = await ReadAsync(await api.OperatorClient("Auditor").GetAsync($"/api/v1/admin/merchants/{merchantId}/risk-rules"), HttpStatusCode.OK);
        Assert.Equal(50000, read.GetProperty("singlePaymentMax").GetInt64());
        Assert.Equal("203.0.113.7", read.GetProperty("blockedIps")[0].GetString());

        Assert.Equal(HttpStatusCode.Forbidden, (await api.OperatorClient("Operator").PutAsync($"/api/v1/admin/merchants/{merchantId}/risk-rules", Json("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PutAsync("/api/v1/admin/merchants/mch_nobody/risk-rules", Json("{}"))).StatusCode);

        var audit = await ReadAsync(await admin.GetAsync("/api/v1/admin/audit?limit=200"), HttpStatusCode.OK);
        Assert.Contains(audit.GetProperty("data").EnumerateArray(), e => e.GetProperty("subject").GetString() == merchantId && e.GetProperty("action").GetString() == "risk_rules.replaced");
    }
}

public class AdminAuthorizationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    /// <summary>Every admin endpoint the app maps, with a concrete path (ids filled in with a dummy).</summary>
    private IEnumerable<(string Method, string Path, Functions.Api.Admin.OperatorRole Needed)> AdminEndpoints() =>
        api.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/admin", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (
                m,
                System.Text.RegularExpressions.Regex.Replace(e.RoutePattern.RawText!, "\\{[^}]+\\}", "x_1"),
                e.Metadata.GetMetadata<Functions.Api.Admin.OperatorAuthentication.RequiredRole>()?.Role ?? Functions.Api.Admin.OperatorRole.Admin)));

    private HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "POST" or "PUT")
        {
            request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        }

        return request;
    }

    [Fact]
    public async Task EveryAdminEndpointRefusesMerchantCredentialsAndRolesBelowItsOwn()
    {
        var endpoints = AdminEndpoints().ToList();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} admin endpoints found");
        var merchant = await api.NewAppAsync();
        var anonymous = api.CreateClient();

        foreach (var (method, path, needed) in endpoints)
        {
            var signed = merchant.Request(new HttpMethod(method), path, method is "POST" or "PUT" ? "{}" : null);
            Assert.True((await merchant.Http.SendAsync(signed)).StatusCode == HttpStatusCode.Unauthorized, $"merchant signature at {method} {path}");
            Assert.True((await anonymous.SendAsync(Request(method, path))).StatusCode == HttpStatusCode.Unauthorized, $"no credentials at {method} {path}");

            foreach (var role in new[] { Functions.Api.Admin.OperatorRole.Auditor, Functions.Api.Admin.OperatorRole.Operator, Functions.Api.Admin.OperatorRole.Admin })
            {
                var response = await api.OperatorClient(role.ToString()).SendAsync(Request(method, path));
                if (role < needed)
                {
                    Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{role} at {method} {path}: {(int)response.StatusCode}");
                }
                else
                {
                    Assert.True(response.StatusCode is not (HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized), $"{role} at {method} {path}: {(int)response.StatusCode}");
                    Assert.True((int)response.StatusCode < 500, $"{role} at {method} {path}: {(int)response.StatusCode}");
                }
            }
        }
    }
}
