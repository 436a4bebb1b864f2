using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

/// <summary>Refused faults queue nothing, so these share one sandbox.</summary>
public sealed class FaultValidationTests(SharedSandbox shared) : IClassFixture<SharedSandbox>
{
    private readonly SandboxHost _sandbox = shared.Host;

    [Theory]
    [InlineData("nosuchpay", "create", "error")]
    [InlineData("wechatpay", "pay", "error")]
    [InlineData("wechatpay", "create", "explode")]
    [InlineData("wechatpay", "create", "drop")]
    [InlineData("wechatpay", "notify", "error")]
    [InlineData("wechatpay", "create", "1")]
    [InlineData("wechatpay", "create", "error,timeout")]
    [InlineData(null, "create", "error")]
    public async Task An_unknown_or_inapplicable_fault_is_refused(string? channel, string operation, string mode)
    {
        using var response = await _sandbox.Http.PostAsJsonAsync("/sandbox/faults", new JsonObject
        {
            ["channel"] = channel,
            ["operation"] = operation,
            ["mode"] = mode,
        });

        Assert.Equal(400, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("{\"channel\":\"wechatpay\",")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("{\"channel\":\"wechatpay\",\"operation\":\"create\",\"mode\":\"error\",\"count\":0}")]
    [InlineData("{\"channel\":\"wechatpay\",\"operation\":\"create\",\"mode\":\"delay\",\"delayMs\":-1}")]
    public async Task A_malformed_fault_is_refused(string json)
    {
        using var response = await _sandbox.Http.PostAsync("/sandbox/faults", new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)response.StatusCode);
    }
}
