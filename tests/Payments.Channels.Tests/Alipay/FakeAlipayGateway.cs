using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Payments.Channels.Tests.Support;

namespace Payments.Channels.Tests.Alipay;

/// <summary>How the fake signs its answer.</summary>
internal enum GatewaySigning
{
    Signed,
    Unsigned,

    /// <summary>A valid signature over other text, as if the node had been altered in transit.</summary>
    SignedOverOtherText,
}

/// <summary>What the fake answers: the node under <c>&lt;method&gt;_response</c> (or another name), or a raw HTTP status.</summary>
internal sealed record GatewayAnswer(string NodeJson, GatewaySigning Signing = GatewaySigning.Signed, string? NodeName = null, int HttpStatus = 200)
{
    /// <summary>Never answers; the call can only end by the client giving up.</summary>
    public static GatewayAnswer Hang { get; } = new("", HttpStatus: 0);
}

/// <summary>A request as the fake received it: the form parameters, and the outcome of checking their signature.</summary>
internal sealed record GatewayRequest(string Method, string Path, string ContentType, IReadOnlyDictionary<string, string> Parameters, string? SignatureProblem)
{
    public string this[string name] => Parameters.TryGetValue(name, out string? value) ? value : "";
}

/// <summary>
/// The Alipay gateway on a real Kestrel port on loopback. It checks each request's RSA2 signature
/// with the application public key, by rules written independently of the channel's signer, and
/// signs answers with the test Alipay key over the node text exactly as sent. Its endpoint is the
/// base URL without a path: the channel appends gateway.do.
/// </summary>
internal sealed class FakeAlipayGateway() : LoopbackFake<GatewayRequest, GatewayAnswer>(new GatewayAnswer("", HttpStatus: 500))
{
    /// <summary>What <c>GET /bill.zip</c> serves: the bill download, which needs no credentials.</summary>
    public byte[]? BillZip { get; set; }

    public int BillDownloads { get; private set; }

    public static Task<FakeAlipayGateway> StartAsync() => ListenAsync(new FakeAlipayGateway());

    /// <summary>Checks a signed parameter set, such as a page-payment link's query, as the gateway would.</summary>
    public static string? CheckSignature(IReadOnlyDictionary<string, string> parameters)
    {
        if (!parameters.TryGetValue("sign", out string? sign))
        {
            return "no sign";
        }

        bool verifies = AlipayTestData.AppKey.VerifyData(
            Encoding.UTF8.GetBytes(AlipayTestData.SignContent(parameters, withoutSignType: false)),
            Convert.FromBase64String(sign),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1);
        return verifies ? null : "request signature does not verify with the application public key";
    }

    protected override async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Path == "/bill.zip")
        {
            BillDownloads++;
            context.Response.StatusCode = BillZip is null ? 404 : 200;
            if (BillZip is not null)
            {
                await context.Response.Body.WriteAsync(BillZip, context.RequestAborted);
            }

            return;
        }

        string body = await LoopbackServer.ReadBodyAsync(context);
        var parameters = QueryHelpers.ParseQuery(body).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);
        var recorded = new GatewayRequest(
            context.Request.Method, context.Request.Path, context.Request.ContentType ?? "", parameters, CheckSignature(parameters));
        var answer = Record(recorded);
        if (answer.HttpStatus == 0)
        {
            await NeverAnswerAsync(context);
            return;
        }

        context.Response.StatusCode = answer.HttpStatus;
        if (answer.HttpStatus != 200)
        {
            return;
        }

        string node = answer.NodeName ?? recorded["method"].Replace('.', '_') + "_response";
        var text = new StringBuilder().Append("{\"").Append(node).Append("\":").Append(answer.NodeJson);
        if (answer.Signing != GatewaySigning.Unsigned)
        {
            string signed = answer.Signing == GatewaySigning.SignedOverOtherText ? answer.NodeJson.Replace("10000", "10001", StringComparison.Ordinal) + " " : answer.NodeJson;
            text.Append(",\"sign\":\"").Append(AlipayTestData.SignAsAlipay(signed)).Append('"');
        }

        text.Append('}');
        context.Response.ContentType = "application/json;charset=utf-8";
        await context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }
}
