using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

public sealed class OnboardingAndSigningTests(SharedSandbox shared) : IClassFixture<SharedSandbox>
{
    private readonly SandboxHost _sandbox = shared.Host;

    [Fact]
    public async Task Onboarding_returns_the_platform_key_and_a_40_hex_serial()
    {
        using var merchant = await _sandbox.OnboardAsync();

        Assert.Matches("^[0-9A-F]{40}$", merchant.PlatformSerialNo);
        Assert.Equal(2048, merchant.PlatformKey.KeySize);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("密钥密钥密钥密钥密钥密钥密钥密钥密钥密钥密钥密钥密钥密钥密钥密钥")]
    public async Task Onboarding_refuses_an_api_v3_key_that_is_not_32_ascii_characters(string apiV3Key)
    {
        using var key = RSA.Create(2048);

        using var response = await _sandbox.Http.PostAsJsonAsync("/sandbox/wechatpay/merchants", new JsonObject
        {
            ["mchId"] = "1900000001",
            ["merchantSerialNo"] = "ABC123",
            ["merchantPublicKeyPem"] = key.ExportSubjectPublicKeyInfoPem(),
            ["apiV3Key"] = apiV3Key,
        });

        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task Onboarding_refuses_malformed_json()
    {
        using var response = await _sandbox.Http.PostAsync(
            "/sandbox/wechatpay/merchants", new StringContent("{\"mchId\":", Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)response.StatusCode);
    }

    public static TheoryData<string, Func<Dictionary<string, string>, Dictionary<string, string>>> Tamperings => new()
    {
        { "signature over other bytes", f => With(f, "signature", Convert.ToBase64String(RandomNumberGenerator.GetBytes(256))) },
        { "signature not base64", f => With(f, "signature", "not*base64") },
        { "unknown serial", f => With(f, "serial_no", "0000000000000000000000000000000000000000") },
        { "unknown merchant", f => With(f, "mchid", "1999999999") },
        { "stale timestamp", f => With(f, "timestamp", DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds().ToString()) },
        { "nonce changed after signing", f => With(f, "nonce_str", "ABCDEF") },
        { "missing signature", f => f.Where(kv => kv.Key != "signature").ToDictionary() },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task A_request_that_fails_authentication_gets_a_signed_401_SIGN_ERROR(
        string tampering, Func<Dictionary<string, string>, Dictionary<string, string>> tamper)
    {
        using var merchant = await _sandbox.OnboardAsync();
        var outTradeNo = TestMerchant.NewOutTradeNo();

        var response = await merchant.SendAsync(
            HttpMethod.Post, "/v3/pay/transactions/native", merchant.NativeOrder(outTradeNo).ToJsonString(), tamper: tamper);

        Assert.True(response.Status == 401, $"{tampering}: {response.Status} {response.Body}");
        Assert.Equal("SIGN_ERROR", response.Code);
        Assert.Null(await _sandbox.InspectAsync(outTradeNo));
    }

    [Fact]
    public async Task A_request_without_authorization_gets_401()
    {
        using var response = await _sandbox.Http.GetAsync("/v3/pay/transactions/out-trade-no/pay_x?mchid=1");

        Assert.Equal(401, (int)response.StatusCode);
        Assert.True(response.Headers.Contains("Wechatpay-Signature"));
    }

    [Fact]
    public async Task The_signature_covers_the_query_string()
    {
        using var merchant = await _sandbox.OnboardAsync();
        var path = $"/v3/pay/transactions/out-trade-no/pay_unknown01?mchid={merchant.MchId}";

        var signedAsSent = await merchant.SendAsync(HttpMethod.Get, path, null);
        var signedForOtherQuery = await merchant.SendAsync(HttpMethod.Get, path + "&x=1", null, signedPathAndQuery: path);

        Assert.Equal(404, signedAsSent.Status);
        Assert.Equal("ORDER_NOT_EXIST", signedAsSent.Code);
        Assert.Equal(401, signedForOtherQuery.Status);
    }

    private static Dictionary<string, string> With(Dictionary<string, string> fields, string name, string value) =>
        new(fields) { [name] = value };
}
