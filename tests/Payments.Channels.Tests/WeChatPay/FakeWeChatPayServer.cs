using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Payments.Channels.Tests.Support;

namespace Payments.Channels.Tests.WeChatPay;

/// <summary>How the fake signs its answer.</summary>
internal enum AnswerSigning
{
    Signed,
    Unsigned,

    /// <summary>A valid signature over a different body, as if the body had been altered in transit.</summary>
    SignedOverAnotherBody,
    SignedWithAnotherSerial,
}

/// <summary>What the fake answers to one request.</summary>
internal sealed record FakeAnswer(int StatusCode, string Body, AnswerSigning Signing = AnswerSigning.Signed, TimeSpan TimestampShift = default)
{
    /// <summary>Never answers; the call can only end by the client giving up.</summary>
    public static FakeAnswer Hang { get; } = new(0, "");

    public bool Hangs => StatusCode == 0;
}

/// <summary>A request as the fake received it, with the outcome of checking its signature.</summary>
internal sealed record RecordedRequest(
    string Method,
    string Target,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    IReadOnlyDictionary<string, string> AuthorizationFields,
    string? AuthorizationProblem)
{
    public string Header(string name) => Headers.TryGetValue(name, out string? value) ? value : "";
}

/// <summary>
/// WeChat Pay on a real Kestrel port on loopback. It checks each request's Authorization against the
/// merchant public key, written independently of the channel's signer, and answers signed with the
/// platform key.
/// </summary>
internal sealed class FakeWeChatPayServer() : LoopbackFake<RecordedRequest, FakeAnswer>(new FakeAnswer(500, ""))
{
    private readonly TaskCompletionSource _requestArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first request has been read, for tests that act while a call is in flight.</summary>
    public Task RequestArrived => _requestArrived.Task;

    public static Task<FakeWeChatPayServer> StartAsync() => ListenAsync(new FakeWeChatPayServer());

    /// <summary>What is wrong with a request's Authorization, checked against the merchant public key; null when it verifies.</summary>
    public static string? CheckAuthorization(string method, string target, string body, string authorization, out Dictionary<string, string> fields)
    {
        fields = ParseAuthorization(authorization, out string? problem);
        return problem ?? CheckSignature(method, target, body, fields);
    }

    /// <summary>Signs an answer with the platform key in the Wechatpay-* headers, as WeChat Pay does.</summary>
    public static void SignAnswer(IHeaderDictionary headers, string signedBody, DateTimeOffset at, string serial = WeChatPayTestData.PlatformSerialNo)
    {
        string timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = Guid.NewGuid().ToString("N");
        headers["Wechatpay-Timestamp"] = timestamp;
        headers["Wechatpay-Nonce"] = nonce;
        headers["Wechatpay-Serial"] = serial;
        headers["Wechatpay-Signature"] = WeChatPayTestData.SignAsPlatform(timestamp, nonce, signedBody);
    }

    protected override async Task HandleAsync(HttpContext context)
    {
        string body = await LoopbackServer.ReadBodyAsync(context);

        // The raw target, not the decoded path: the signature covers the bytes on the wire.
        string target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        string? problem = CheckAuthorization(context.Request.Method, target, body, context.Request.Headers.Authorization.ToString(), out var fields);
        var recorded = new RecordedRequest(context.Request.Method, target, body, headers, fields, problem);
        var answer = Record(recorded);
        _requestArrived.TrySetResult();
        if (answer.Hangs)
        {
            await NeverAnswerAsync(context);
            return;
        }

        context.Response.StatusCode = answer.StatusCode;
        if (answer.Signing != AnswerSigning.Unsigned)
        {
            SignAnswer(
                context.Response.Headers,
                answer.Signing == AnswerSigning.SignedOverAnotherBody ? answer.Body + " " : answer.Body,
                DateTimeOffset.UtcNow.Add(answer.TimestampShift),
                answer.Signing == AnswerSigning.SignedWithAnotherSerial ? "1111111111111111111111111111111111111111" : WeChatPayTestData.PlatformSerialNo);
        }

        if (answer.Body.Length > 0)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.Body, context.RequestAborted);
        }
    }

    private static Dictionary<string, string> ParseAuthorization(string authorization, out string? problem)
    {
        const string Scheme = "WECHATPAY2-SHA256-RSA2048 ";
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!authorization.StartsWith(Scheme, StringComparison.Ordinal))
        {
            problem = $"Authorization scheme is not WECHATPAY2-SHA256-RSA2048: '{authorization}'";
            return fields;
        }

        foreach (string pair in authorization[Scheme.Length..].Split(','))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || pair.Length < equals + 3 || pair[equals + 1] != '"' || pair[^1] != '"')
            {
                problem = $"malformed Authorization field '{pair}'";
                return fields;
            }

            fields[pair[..equals]] = pair[(equals + 2)..^1];
        }

        problem = null;
        return fields;
    }

    private static string? CheckSignature(string method, string target, string body, Dictionary<string, string> fields)
    {
        foreach (string name in new[] { "mchid", "nonce_str", "timestamp", "serial_no", "signature" })
        {
            if (!fields.ContainsKey(name))
            {
                return $"Authorization lacks {name}";
            }
        }

        if (fields["mchid"] != WeChatPayTestData.MchId || fields["serial_no"] != WeChatPayTestData.MerchantSerialNo)
        {
            return "Authorization names the wrong merchant or key serial";
        }

        string message = method + "\n" + target + "\n" + fields["timestamp"] + "\n" + fields["nonce_str"] + "\n" + body + "\n";
        using var merchantPublicKey = RSA.Create();
        merchantPublicKey.ImportFromPem(WeChatPayTestData.MerchantPublicKeyPem);
        bool verifies = merchantPublicKey.VerifyData(
            Encoding.UTF8.GetBytes(message),
            Convert.FromBase64String(fields["signature"]),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        return verifies ? null : "request signature does not verify with the merchant public key";
    }
}
