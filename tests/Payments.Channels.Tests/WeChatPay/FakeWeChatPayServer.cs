using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
internal sealed class FakeWeChatPayServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly TaskCompletionSource _requestArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RSA _merchantPublicKey = RSA.Create();

    private FakeWeChatPayServer(WebApplication app)
    {
        _app = app;
        _merchantPublicKey.ImportFromPem(WeChatPayTestData.MerchantPublicKeyPem);
    }

    public Uri Endpoint { get; private set; } = null!;

    public Func<RecordedRequest, FakeAnswer> Respond { get; set; } = _ => new FakeAnswer(500, "");

    public IReadOnlyCollection<RecordedRequest> Requests => _requests;

    /// <summary>Completes when the first request has been read, for tests that act while a call is in flight.</summary>
    public Task RequestArrived => _requestArrived.Task;

    public static async Task<FakeWeChatPayServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeWeChatPayServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.Endpoint = new Uri(address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _merchantPublicKey.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        // The raw target, not the decoded path: the signature covers the bytes on the wire.
        string target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var fields = ParseAuthorization(context.Request.Headers.Authorization.ToString(), out string? problem);
        problem ??= CheckSignature(context.Request.Method, target, body, fields);
        var recorded = new RecordedRequest(context.Request.Method, target, body, headers, fields, problem);
        _requests.Enqueue(recorded);
        _requestArrived.TrySetResult();

        var answer = Respond(recorded);
        if (answer.Hangs)
        {
            try
            {
                await _release.Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up, which is what the test is waiting for.
            }

            return;
        }

        context.Response.StatusCode = answer.StatusCode;
        if (answer.Signing != AnswerSigning.Unsigned)
        {
            string timestamp = DateTimeOffset.UtcNow.Add(answer.TimestampShift).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            string nonce = Guid.NewGuid().ToString("N");
            string signedBody = answer.Signing == AnswerSigning.SignedOverAnotherBody ? answer.Body + " " : answer.Body;
            context.Response.Headers["Wechatpay-Timestamp"] = timestamp;
            context.Response.Headers["Wechatpay-Nonce"] = nonce;
            context.Response.Headers["Wechatpay-Serial"] = answer.Signing == AnswerSigning.SignedWithAnotherSerial
                ? "1111111111111111111111111111111111111111"
                : WeChatPayTestData.PlatformSerialNo;
            context.Response.Headers["Wechatpay-Signature"] = WeChatPayTestData.SignAsPlatform(timestamp, nonce, signedBody);
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

    private string? CheckSignature(string method, string target, string body, Dictionary<string, string> fields)
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
        bool verifies = _merchantPublicKey.VerifyData(
            Encoding.UTF8.GetBytes(message),
            Convert.FromBase64String(fields["signature"]),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        return verifies ? null : "request signature does not verify with the merchant public key";
    }
}
