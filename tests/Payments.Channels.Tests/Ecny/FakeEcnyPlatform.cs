using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Payments.Channels.Tests.Support;

namespace Payments.Channels.Tests.Ecny;

/// <summary>A request as the fake received it, and whether its SM2 signature verified with the merchant key.</summary>
internal sealed record PlatformRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, string Body, bool SignatureValid);

/// <summary>A canned answer: status, body, whether to sign it (and with which tampering).</summary>
internal sealed record PlatformAnswer(int Status, string Body = "", bool Sign = true, string ContentType = "application/json", bool TamperSignature = false);

/// <summary>The e-CNY operator's API on a real Kestrel port on loopback, answering what the test sets, signed with the platform key.</summary>
internal sealed class FakeEcnyPlatform() : LoopbackFake<PlatformRequest, PlatformAnswer>(new PlatformAnswer(500))
{
    public static Task<FakeEcnyPlatform> StartAsync() => ListenAsync(new FakeEcnyPlatform());

    protected override async Task HandleAsync(HttpContext context)
    {
        string body = await LoopbackServer.ReadBodyAsync(context);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        string target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        string message = $"{context.Request.Method}\n{target}\n{headers.GetValueOrDefault("Ecny-Timestamp")}\n{headers.GetValueOrDefault("Ecny-Nonce")}\n{body}\n";
        bool valid = headers.TryGetValue("Ecny-Signature", out var signature) && EcnyTestData.VerifyAsPlatform(Encoding.UTF8.GetBytes(message), signature);
        var request = new PlatformRequest(context.Request.Method, target, headers, body, valid);
        var answer = Record(request);
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.ContentType;
        if (answer.Sign)
        {
            foreach (var (name, value) in EcnyTestData.SignedHeaders(answer.Body, DateTimeOffset.UtcNow))
            {
                context.Response.Headers[name] = name == "Ecny-Signature" && answer.TamperSignature ? EcnyTestData.SignAsPlatform(Encoding.UTF8.GetBytes("other")) : value;
            }
        }

        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }
}
