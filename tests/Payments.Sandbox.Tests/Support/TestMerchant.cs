using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Payments.Sandbox.Tests.Support;

/// <summary>A signed API v3 answer whose platform signature has already been checked.</summary>
internal sealed record WireResponse(int Status, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();

    public string? Code => Json.GetProperty("code").GetString();
}

/// <summary>
/// The merchant side of the protocol, written from the published rules with nothing but
/// System.Security.Cryptography, so the sandbox is checked against a second reading of them.
/// </summary>
internal sealed class TestMerchant(
    HttpClient http,
    string mchId,
    string serialNo,
    RSA key,
    string apiV3Key,
    string platformSerialNo,
    RSA platformKey) : IDisposable
{
    // Short, stable and unlikely to be listening: deliveries to it fail fast in tests that don't care.
    public const string UnreachableNotifyUrl = "http://127.0.0.1:9/notify";

    public string MchId { get; } = mchId;

    public string ApiV3Key { get; } = apiV3Key;

    public string PlatformSerialNo { get; } = platformSerialNo;

    public RSA PlatformKey { get; } = platformKey;

    /// <summary>Our ids are "pay_" plus 26 Crockford base32 characters: 30 in all.</summary>
    public static string NewOutTradeNo() => "pay_" + RandomNumberGenerator.GetString("0123456789abcdefghjkmnpqrstvwxyz", 26);

    public static string Rfc3339(DateTimeOffset instant) =>
        instant.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public JsonObject NativeOrder(string outTradeNo, string notifyUrl = UnreachableNotifyUrl, int total = 1, DateTimeOffset? timeExpire = null) => new()
    {
        ["appid"] = "wxd678efh567hg6787",
        ["mchid"] = MchId,
        ["description"] = "Sandbox test order",
        ["out_trade_no"] = outTradeNo,
        ["time_expire"] = Rfc3339(timeExpire ?? DateTimeOffset.UtcNow.AddHours(2)),
        ["notify_url"] = notifyUrl,
        ["amount"] = new JsonObject { ["total"] = total, ["currency"] = "CNY" },
    };

    public Task<WireResponse> CreateNativeAsync(JsonObject order, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "/v3/pay/transactions/native", order.ToJsonString(), cancellationToken: cancellationToken);

    public Task<WireResponse> QueryAsync(string outTradeNo) =>
        SendAsync(HttpMethod.Get, $"/v3/pay/transactions/out-trade-no/{outTradeNo}?mchid={MchId}", null);

    public Task<WireResponse> CloseAsync(string outTradeNo) =>
        SendAsync(HttpMethod.Post, $"/v3/pay/transactions/out-trade-no/{outTradeNo}/close", new JsonObject { ["mchid"] = MchId }.ToJsonString());

    public static string NewOutRefundNo() => "ref_" + RandomNumberGenerator.GetString("0123456789abcdefghjkmnpqrstvwxyz", 26);

    public static JsonObject RefundRequest(string outTradeNo, string outRefundNo, int refund, int total, string? notifyUrl = null)
    {
        var request = new JsonObject
        {
            ["out_trade_no"] = outTradeNo,
            ["out_refund_no"] = outRefundNo,
            ["reason"] = "商品已售完",
            ["amount"] = new JsonObject { ["refund"] = refund, ["total"] = total, ["currency"] = "CNY" },
        };
        if (notifyUrl is not null)
        {
            request["notify_url"] = notifyUrl;
        }

        return request;
    }

    public Task<WireResponse> RefundAsync(JsonObject refund, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "/v3/refund/domestic/refunds", refund.ToJsonString(), cancellationToken: cancellationToken);

    public Task<WireResponse> QueryRefundAsync(string outRefundNo) =>
        SendAsync(HttpMethod.Get, $"/v3/refund/domestic/refunds/{outRefundNo}", null);

    /// <param name="tamper">Rewrites the Authorization header's fields before sending, to produce bad requests.</param>
    /// <param name="signedPathAndQuery">What to sign instead of the URL actually requested.</param>
    public async Task<WireResponse> SendAsync(
        HttpMethod method,
        string pathAndQuery,
        string? body,
        Func<Dictionary<string, string>, Dictionary<string, string>>? tamper = null,
        string? signedPathAndQuery = null,
        CancellationToken cancellationToken = default)
    {
        var bodyBytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetHexString(32);
        var message = Concat(Encoding.UTF8.GetBytes($"{method.Method}\n{signedPathAndQuery ?? pathAndQuery}\n{timestamp}\n{nonce}\n"), bodyBytes, "\n"u8);
        var fields = new Dictionary<string, string>
        {
            ["mchid"] = MchId,
            ["nonce_str"] = nonce,
            ["timestamp"] = timestamp,
            ["serial_no"] = serialNo,
            ["signature"] = Convert.ToBase64String(key.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)),
        };
        fields = tamper?.Invoke(fields) ?? fields;

        using var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.TryAddWithoutValidation(
            "Authorization",
            "WECHATPAY2-SHA256-RSA2048 " + string.Join(",", fields.Select(f => $"{f.Key}=\"{f.Value}\"")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bodyBytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var responseBytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        AssertSignedByPlatform(
            response.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase),
            responseBytes);
        return new WireResponse((int)response.StatusCode, Encoding.UTF8.GetString(responseBytes));
    }

    /// <summary>A signed GET whose answer is not checked for a signature: the bill download is served unsigned.</summary>
    public async Task<(int Status, byte[] Body)> GetUnsignedAnswerAsync(string url)
    {
        var uri = new Uri(url);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var nonce = RandomNumberGenerator.GetHexString(32);
        var message = Encoding.UTF8.GetBytes($"GET\n{uri.PathAndQuery}\n{timestamp}\n{nonce}\n\n");
        var signature = Convert.ToBase64String(key.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        using var request = new HttpRequestMessage(HttpMethod.Get, uri.PathAndQuery);
        request.Headers.TryAddWithoutValidation(
            "Authorization",
            $"WECHATPAY2-SHA256-RSA2048 mchid=\"{MchId}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{serialNo}\",signature=\"{signature}\"");
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Checks the channel's signature on an answer or a notification.</summary>
    public void AssertSignedByPlatform(IReadOnlyDictionary<string, string> headers, byte[] body)
    {
        Assert.Equal(PlatformSerialNo, headers["Wechatpay-Serial"]);
        var message = Concat(
            Encoding.UTF8.GetBytes($"{headers["Wechatpay-Timestamp"]}\n{headers["Wechatpay-Nonce"]}\n"), body, "\n"u8);
        Assert.True(
            PlatformKey.VerifyData(
                message, Convert.FromBase64String(headers["Wechatpay-Signature"]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            "platform signature does not verify");
    }

    /// <summary>Opens a notification's AEAD_AES_256_GCM resource with the APIv3 key.</summary>
    public string Decrypt(JsonElement resource)
    {
        Assert.Equal("AEAD_AES_256_GCM", resource.GetProperty("algorithm").GetString());
        var sealedBytes = Convert.FromBase64String(resource.GetProperty("ciphertext").GetString()!);
        var nonce = Encoding.UTF8.GetBytes(resource.GetProperty("nonce").GetString()!);
        var associatedData = Encoding.UTF8.GetBytes(resource.GetProperty("associated_data").GetString()!);
        var plaintext = new byte[sealedBytes.Length - 16];
        using var aes = new AesGcm(Encoding.ASCII.GetBytes(ApiV3Key), 16);
        aes.Decrypt(nonce, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), plaintext, associatedData);
        return Encoding.UTF8.GetString(plaintext);
    }

    public void Dispose()
    {
        key.Dispose();
        PlatformKey.Dispose();
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c) => [.. a, .. b, .. c];
}
