using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Features;

namespace Payments.Sandbox.WeChatPay;

internal sealed record Caller(Merchant Merchant);

/// <summary>Checks the <c>Authorization: WECHATPAY2-SHA256-RSA2048 …</c> header of an API v3 request.</summary>
internal sealed class RequestAuthenticator(MerchantRegistry merchants, TimeProvider time)
{
    private const string Scheme = WeChatPaySignature.SignatureType + " ";
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    public (Caller? Caller, string? Error) Authenticate(HttpRequest request, byte[] body)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return (null, "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》");
        }

        var fields = ParseFields(header.AsSpan(Scheme.Length));
        if (fields is null)
        {
            return (null, "Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》");
        }

        string? Field(string name) => fields.TryGetValue(name, out var value) ? value : null;
        var mchid = Field("mchid");
        var nonce = Field("nonce_str");
        var timestamp = Field("timestamp");
        var serial = Field("serial_no");
        var signature = Field("signature");
        if (mchid is null || nonce is null || timestamp is null || serial is null || signature is null)
        {
            return (null, "Http头Authorization缺少必要字段 mchid, nonce_str, timestamp, serial_no, signature");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || (time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > MaxClockSkew)
        {
            return (null, "Http头Authorization中的timestamp已过期或格式错误");
        }

        var merchant = merchants.Find(mchid);
        if (merchant is null)
        {
            return (null, $"商户号 {mchid} 未注册");
        }

        if (!merchant.PublicKeys.TryGetValue(serial, out var publicKey))
        {
            return (null, $"商户证书序列号 {serial} 不存在或已失效");
        }

        byte[] signatureBytes;
        try
        {
            signatureBytes = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return (null, "签名错误：signature不是有效的Base64");
        }

        var message = WeChatPaySignature.Message(body, request.Method, Target(request), timestamp, nonce);
        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(publicKey, out _);
        if (!rsa.VerifyData(message, signatureBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return (null, "签名错误，请检查后再试");
        }

        return (new Caller(merchant), null);
    }

    /// <summary>
    /// The path and query exactly as the client sent them: clients sign the encoded URL, and the
    /// decoded <see cref="HttpRequest.Path"/> would not match for escaped characters.
    /// </summary>
    private static string Target(HttpRequest request)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return string.IsNullOrEmpty(raw) || !raw.StartsWith('/')
            ? request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent()
            : raw;
    }

    /// <summary>Parses <c>key="value",key="value"</c> in any order; null when malformed.</summary>
    private static Dictionary<string, string>? ParseFields(ReadOnlySpan<char> text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            text = text.TrimStart();
            if (text.IsEmpty)
            {
                return fields;
            }

            var equals = text.IndexOf('=');
            if (equals <= 0 || equals + 1 >= text.Length || text[equals + 1] != '"')
            {
                return null;
            }

            var key = text[..equals].Trim().ToString();
            text = text[(equals + 2)..];
            var close = text.IndexOf('"');
            if (close < 0)
            {
                return null;
            }

            fields[key] = text[..close].ToString();
            text = text[(close + 1)..].TrimStart();
            if (!text.IsEmpty)
            {
                if (text[0] != ',')
                {
                    return null;
                }

                text = text[1..];
            }
        }
    }
}
