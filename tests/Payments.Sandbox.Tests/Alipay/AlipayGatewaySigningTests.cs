using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Alipay;

/// <summary>Onboarding and the gateway's signature rules. Nothing here queues faults, so one sandbox serves all.</summary>
public sealed class AlipayGatewaySigningTests(SharedSandbox shared) : IClassFixture<SharedSandbox>
{
    private readonly SandboxHost _sandbox = shared.Host;

    [Fact]
    public async Task Onboarding_without_a_key_generates_the_application_key_pair_and_names_the_gateway()
    {
        using var response = await _sandbox.Http.PostAsJsonAsync("/sandbox/alipay/apps", new JsonObject());
        Assert.Equal(200, (int)response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Matches("^2021[0-9]{12}$", body.GetProperty("appId").GetString());
        Assert.EndsWith("/gateway.do", body.GetProperty("gatewayUrl").GetString(), StringComparison.Ordinal);
        using var appKey = RSA.Create();
        appKey.ImportFromPem(body.GetProperty("appPrivateKeyPem").GetString());
        using var alipayKey = RSA.Create();
        alipayKey.ImportFromPem(body.GetProperty("alipayPublicKeyPem").GetString());

        // The generated key is the one the gateway now checks requests against.
        using var app = new AlipayTestApp(_sandbox.Http, body.GetProperty("appId").GetString()!, RSA.Create(appKey.ExportParameters(true)), RSA.Create(alipayKey.ExportParameters(false)));
        Assert.Equal("40004", (await app.QueryAsync(AlipayTestApp.NewOutTradeNo())).Code);
    }

    [Fact]
    public async Task Onboarding_refuses_a_private_key_where_the_public_key_belongs()
    {
        using var key = RSA.Create(2048);
        using var response = await _sandbox.Http.PostAsJsonAsync("/sandbox/alipay/apps", new JsonObject { ["appPublicKeyPem"] = key.ExportPkcs8PrivateKeyPem() });

        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task Onboarding_refuses_a_key_shorter_than_2048_bits()
    {
        using var key = RSA.Create(1024);
        using var response = await _sandbox.Http.PostAsJsonAsync("/sandbox/alipay/apps", new JsonObject { ["appPublicKeyPem"] = key.ExportSubjectPublicKeyInfoPem() });

        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task Answers_are_signed_over_the_node_text_as_written_slashes_escaped()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();

        var reply = await app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo));

        Assert.True(reply.Signed);
        Assert.Equal(("10000", outTradeNo), (reply.Code, reply["out_trade_no"]));
        Assert.Contains("\"qr_code\":\"http:\\/\\/", reply.Body, StringComparison.Ordinal);
        Assert.Matches("^\\{\"alipay_trade_precreate_response\":\\{.*\\},\"sign\":\"[A-Za-z0-9+/=]+\"\\}$", reply.Body);
    }

    [Fact]
    public async Task A_request_whose_signature_does_not_cover_its_parameters_is_refused_with_the_gateways_sign_content()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);

        var reply = await app.CallAsync(
            "alipay.trade.precreate", AlipayTestApp.Precreate(AlipayTestApp.NewOutTradeNo()), afterSigning: p => p["biz_content"] = p["biz_content"].Replace("0.01", "0.02", StringComparison.Ordinal));

        Assert.Equal(("40002", "isv.invalid-signature"), (reply.Code, reply.SubCode));
        Assert.Contains("app_id=" + app.AppId + "&biz_content=", reply["sub_msg"], StringComparison.Ordinal);
        Assert.True(reply.Signed);
    }

    [Fact]
    public async Task A_request_signed_without_sign_type_in_the_content_is_refused()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);

        // Signed as notifications are (sign_type left out); requests must cover it.
        var reply = await app.CallAsync("alipay.trade.query", new JsonObject { ["out_trade_no"] = "x" }, beforeSigning: p => p.Remove("sign_type"), afterSigning: p => p["sign_type"] = "RSA2");

        Assert.Equal("isv.invalid-signature", reply.SubCode);
    }

    [Fact]
    public async Task An_unknown_app_is_answered_unsigned()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);

        var reply = await app.CallAsync("alipay.trade.query", new JsonObject { ["out_trade_no"] = "x" }, beforeSigning: p => p["app_id"] = "2021999999999999");

        Assert.Equal(("40002", "isv.invalid-app-id"), (reply.Code, reply.SubCode));
        Assert.False(reply.Signed);
    }

    [Theory]
    [InlineData("sign", "isv.missing-signature")]
    [InlineData("timestamp", "isv.missing-timestamp")]
    [InlineData("method", "isv.missing-method")]
    public async Task A_missing_common_parameter_is_refused(string name, string subCode)
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var parameters = app.SignedParameters("alipay.trade.query", new JsonObject { ["out_trade_no"] = "x" });
        parameters.Remove(name);

        var reply = await app.PostAsync("alipay.trade.query", parameters);

        Assert.Equal(("40001", subCode), (reply.Code, reply.SubCode));
    }

    [Theory]
    [InlineData("sign_type", "RSA", "isv.invalid-signature-type")]
    [InlineData("charset", "gbk", "isv.invalid-charset")]
    [InlineData("timestamp", "2019-08-15 15:56:22", "isv.invalid-timestamp")]
    [InlineData("timestamp", "2026/11/24 10:00:00", "isv.invalid-timestamp")]
    public async Task A_common_parameter_the_sandbox_does_not_accept_is_refused_even_when_signed(string name, string value, string subCode)
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);

        var reply = await app.CallAsync("alipay.trade.query", new JsonObject { ["out_trade_no"] = "x" }, beforeSigning: p => p[name] = value);

        Assert.Equal(("40002", subCode), (reply.Code, reply.SubCode));
    }

    [Fact]
    public async Task An_unknown_method_is_an_error_response()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);

        var reply = await app.CallAsync("alipay.trade.pay", new JsonObject { ["out_trade_no"] = "x" });

        Assert.Equal("isv.invalid-method", reply.SubCode);
        Assert.Contains("\"error_response\"", reply.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Common_parameters_may_travel_in_the_query_string_as_the_official_sdks_send_them()
    {
        using var app = await AlipayTestApp.OnboardAsync(_sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        var parameters = app.SignedParameters("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo));
        var query = string.Join("&", parameters.Where(p => p.Key != "biz_content").Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value)));

        using var content = new FormUrlEncodedContent([new("biz_content", parameters["biz_content"])]);
        using var response = await _sandbox.Http.PostAsync("/gateway.do?" + query, content);
        var reply = app.Read(await response.Content.ReadAsStringAsync(), "alipay_trade_precreate_response");

        Assert.Equal("10000", reply.Code);
    }
}
