using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Payments.Sandbox.Tests.Support;

/// <summary>
/// The sandbox in-process, one per test so queued faults and configuration never leak between
/// tests. Its outgoing notifications use a real HttpClient and so can reach a Kestrel receiver.
/// </summary>
internal sealed class SandboxHost : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    /// <param name="realSockets">Serve on a Kestrel loopback port instead of the in-memory test server.</param>
    public SandboxHost(IDictionary<string, string?>? settings = null, bool realSockets = false)
    {
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
            builder.ConfigureAppConfiguration((_, configuration) =>
                configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>())));
        if (realSockets)
        {
            _factory.UseKestrel(0);
        }

        Http = _factory.CreateClient();
    }

    public HttpClient Http { get; }

    public async Task<TestMerchant> OnboardAsync()
    {
        var key = RSA.Create(2048);
        var mchId = "19" + RandomNumberGenerator.GetString("0123456789", 8);
        var serialNo = RandomNumberGenerator.GetHexString(40);
        var apiV3Key = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);
        using var response = await Http.PostAsJsonAsync("/sandbox/wechatpay/merchants", new JsonObject
        {
            ["mchId"] = mchId,
            ["merchantSerialNo"] = serialNo,
            ["merchantPublicKeyPem"] = key.ExportSubjectPublicKeyInfoPem(),
            ["apiV3Key"] = apiV3Key,
        });
        Assert.Equal(200, (int)response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var platformKey = RSA.Create();
        platformKey.ImportFromPem(body.RootElement.GetProperty("platformPublicKeyPem").GetString());
        return new TestMerchant(
            Http, mchId, serialNo, key, apiV3Key, body.RootElement.GetProperty("platformSerialNo").GetString()!, platformKey);
    }

    public async Task AddFaultAsync(string operation, string mode, int count = 1, int delayMs = 0)
    {
        using var response = await Http.PostAsJsonAsync("/sandbox/faults", new JsonObject
        {
            ["channel"] = "wechatpay",
            ["operation"] = operation,
            ["mode"] = mode,
            ["count"] = count,
            ["delayMs"] = delayMs,
        });
        Assert.Equal(200, (int)response.StatusCode);
    }

    /// <summary>The inspection view of an order, or null while it does not exist.</summary>
    public async Task<JsonElement?> InspectAsync(string outTradeNo)
    {
        using var response = await Http.GetAsync($"/sandbox/wechatpay/orders/{outTradeNo}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(200, (int)response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The inspection view of a refund, or null while it does not exist.</summary>
    public async Task<JsonElement?> InspectRefundAsync(string outRefundNo)
    {
        using var response = await Http.GetAsync($"/sandbox/wechatpay/refunds/{outRefundNo}");
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }

        Assert.Equal(200, (int)response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The test hook that settles a PROCESSING refund now.</summary>
    public async Task<(int Status, JsonElement Body)> SettleRefundAsync(string outRefundNo, string status)
    {
        using var response = await Http.PostAsJsonAsync($"/sandbox/wechatpay/refunds/{outRefundNo}/settle", new JsonObject { ["status"] = status });
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return ((int)response.StatusCode, body);
    }

    /// <summary>Posts the payer's decision to the page behind a code_url.</summary>
    public async Task<(int Status, JsonElement Body)> DecideAsync(string codeUrl, string decision, bool force = false)
    {
        var payload = new JsonObject { ["decision"] = decision };
        if (force)
        {
            payload["force"] = true;
        }

        using var response = await Http.PostAsJsonAsync(new Uri(codeUrl).PathAndQuery, payload);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return ((int)response.StatusCode, body);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _factory.DisposeAsync();
    }
}
