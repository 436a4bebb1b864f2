using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Alipay;

/// <summary>A gateway answer whose signature (when it has one) has been checked over the node's raw text.</summary>
internal sealed record GatewayReply(string Body, JsonElement Node, bool Signed)
{
    public string? Code => Node.GetProperty("code").GetString();

    public string? SubCode => Node.TryGetProperty("sub_code", out var subCode) ? subCode.GetString() : null;

    public string? this[string name] => Node.TryGetProperty(name, out var value) ? value.GetString() : null;
}

/// <summary>
/// The merchant side of the gateway protocol, written from Alipay's published rules with nothing but
/// System.Security.Cryptography, so the sandbox is checked against a second reading of them.
/// </summary>
internal sealed class AlipayTestApp(HttpClient http, string appId, RSA appKey, RSA alipayKey) : IDisposable
{
    // Short, stable and unlikely to be listening: deliveries to it fail fast in tests that don't care.
    public const string UnreachableNotifyUrl = "http://127.0.0.1:9/notify";

    public string AppId { get; } = appId;

    public RSA AlipayKey { get; } = alipayKey;

    public static async Task<AlipayTestApp> OnboardAsync(SandboxHost sandbox)
    {
        var key = RSA.Create(2048);
        using var response = await sandbox.Http.PostAsJsonAsync("/sandbox/alipay/apps", new JsonObject { ["appPublicKeyPem"] = key.ExportSubjectPublicKeyInfoPem() });
        Assert.Equal(200, (int)response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var alipayKey = RSA.Create();
        alipayKey.ImportFromPem(body.RootElement.GetProperty("alipayPublicKeyPem").GetString());
        return new AlipayTestApp(sandbox.Http, body.RootElement.GetProperty("appId").GetString()!, key, alipayKey);
    }

    /// <summary>Our ids are "pay_" plus 26 Crockford base32 characters: 30 in all.</summary>
    public static string NewOutTradeNo() => "pay_" + RandomNumberGenerator.GetString("0123456789abcdefghjkmnpqrstvwxyz", 26);

    public static string BeijingTime(DateTimeOffset instant) =>
        instant.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static string SignContent(IEnumerable<KeyValuePair<string, string>> parameters, bool withoutSignType) =>
        string.Join("&", parameters
            .Where(p => p.Key.Length > 0 && p.Value.Length > 0 && p.Key != "sign" && !(withoutSignType && p.Key == "sign_type"))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));

    public static JsonObject Precreate(string outTradeNo, string totalAmount = "0.01", DateTimeOffset? timeExpire = null) => new()
    {
        ["out_trade_no"] = outTradeNo,
        ["total_amount"] = totalAmount,
        ["subject"] = "沙箱测试 Sandbox test",
        ["time_expire"] = BeijingTime(timeExpire ?? DateTimeOffset.UtcNow.AddHours(2)),
    };

    /// <summary>The signed common parameters plus biz_content, as a list so tests can tamper with them.</summary>
    public Dictionary<string, string> SignedParameters(string method, JsonObject biz, string? notifyUrl = null, Action<Dictionary<string, string>>? beforeSigning = null)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["app_id"] = AppId,
            ["method"] = method,
            ["format"] = "JSON",
            ["charset"] = "utf-8",
            ["sign_type"] = "RSA2",
            ["timestamp"] = BeijingTime(DateTimeOffset.UtcNow),
            ["version"] = "1.0",
            ["biz_content"] = biz.ToJsonString(),
        };
        if (notifyUrl is not null)
        {
            parameters["notify_url"] = notifyUrl;
        }

        beforeSigning?.Invoke(parameters);
        parameters["sign"] = Convert.ToBase64String(appKey.SignData(
            Encoding.UTF8.GetBytes(SignContent(parameters, withoutSignType: false)), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        return parameters;
    }

    public Task<GatewayReply> CallAsync(
        string method,
        JsonObject biz,
        string? notifyUrl = null,
        Action<Dictionary<string, string>>? beforeSigning = null,
        Action<Dictionary<string, string>>? afterSigning = null,
        CancellationToken cancellationToken = default)
    {
        var parameters = SignedParameters(method, biz, notifyUrl, beforeSigning);
        afterSigning?.Invoke(parameters);
        return PostAsync(method, parameters, cancellationToken);
    }

    public async Task<GatewayReply> PostAsync(string method, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        using var content = new FormUrlEncodedContent(parameters);
        using var response = await http.PostAsync("/gateway.do", content, cancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Read(body, method.Replace('.', '_') + "_response");
    }

    /// <summary>Reads an answer: the node's raw text is what Alipay's signature covers.</summary>
    public GatewayReply Read(string body, string nodeName)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var node = root.TryGetProperty(nodeName, out var named) ? named : root.GetProperty("error_response");
        bool signed = root.TryGetProperty("sign", out var sign);
        if (signed)
        {
            Assert.True(
                AlipayKey.VerifyData(Encoding.UTF8.GetBytes(node.GetRawText()), Convert.FromBase64String(sign.GetString()!), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                "the answer's signature does not verify over the node's raw text");
        }

        return new GatewayReply(body, node.Clone(), signed);
    }

    /// <summary>Checks Alipay's signature on a notification form: every parameter but sign and sign_type.</summary>
    public Dictionary<string, string> VerifyNotification(byte[] body)
    {
        var form = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body))
            .ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        Assert.True(
            AlipayKey.VerifyData(
                Encoding.UTF8.GetBytes(SignContent(form, withoutSignType: true)),
                Convert.FromBase64String(form["sign"]),
                HashAlgorithmName.SHA256,
                RSASignaturePadding.Pkcs1),
            "the notification's signature does not verify without sign_type");
        return form;
    }

    public async Task<string> PrecreateAsync(string outTradeNo, string notifyUrl = UnreachableNotifyUrl, string totalAmount = "0.01", DateTimeOffset? timeExpire = null)
    {
        var reply = await CallAsync("alipay.trade.precreate", Precreate(outTradeNo, totalAmount, timeExpire), notifyUrl);
        Assert.Equal("10000", reply.Code);
        return reply["qr_code"]!;
    }

    public Task<GatewayReply> QueryAsync(string outTradeNo) =>
        CallAsync("alipay.trade.query", new JsonObject { ["out_trade_no"] = outTradeNo });

    public void Dispose()
    {
        appKey.Dispose();
        AlipayKey.Dispose();
    }
}

/// <summary>The payer: scans (GETs) a payment URL and decides on it.</summary>
internal static class AlipayPayer
{
    public static async Task ScanAsync(SandboxHost sandbox, string payUrl)
    {
        using var response = await sandbox.Http.GetAsync(new Uri(payUrl).PathAndQuery);
        Assert.Equal(200, (int)response.StatusCode);
    }

    public static async Task<(int Status, JsonElement Body)> DecideAsync(SandboxHost sandbox, string payUrl, string decision, bool force = false)
    {
        var payload = new JsonObject { ["decision"] = decision };
        if (force)
        {
            payload["force"] = true;
        }

        using var response = await sandbox.Http.PostAsJsonAsync(new Uri(payUrl).PathAndQuery, payload);
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    public static async Task<JsonElement?> InspectAsync(SandboxHost sandbox, string outTradeNo)
    {
        using var response = await sandbox.Http.GetAsync($"/sandbox/alipay/trades/{outTradeNo}");
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone() : null;
    }
}
