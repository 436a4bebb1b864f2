using Microsoft.AspNetCore.Http;
using Payments.Channels.Tests.Support;
using Payments.Channels.UnionPay;

namespace Payments.Channels.Tests.UnionPay;

/// <summary>A request as the fake gateway received it: its path and decoded form fields.</summary>
internal sealed record GatewayRequest(string Path, IReadOnlyDictionary<string, string> Fields);

/// <summary>The ACP gateway on a real Kestrel port on loopback, answering what the test sets (raw <c>k=v&amp;…</c>).</summary>
internal sealed class FakeUnionPayGateway() : LoopbackFake<GatewayRequest, string>("")
{
    public static Task<FakeUnionPayGateway> StartAsync() => ListenAsync(new FakeUnionPayGateway());

    /// <summary>An answer as UnionPay writes it: fields raw, joined with <c>&amp;</c>.</summary>
    public static string Raw(IDictionary<string, string> fields) => string.Join('&', fields.Select(f => f.Key + "=" + f.Value));

    protected override async Task HandleAsync(HttpContext context)
    {
        string body = await LoopbackServer.ReadBodyAsync(context);
        var request = new GatewayRequest(context.Request.Path, UnionPayWire.ParseForm(body) ?? []);
        string answer = Record(request);
        context.Response.ContentType = "text/plain;charset=UTF-8";
        await context.Response.WriteAsync(answer, context.RequestAborted);
    }
}
