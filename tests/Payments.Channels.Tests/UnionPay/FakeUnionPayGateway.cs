using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Payments.Channels.UnionPay;

namespace Payments.Channels.Tests.UnionPay;

/// <summary>A request as the fake gateway received it: its path and decoded form fields.</summary>
internal sealed record GatewayRequest(string Path, IReadOnlyDictionary<string, string> Fields);

/// <summary>The ACP gateway on a real Kestrel port on loopback, answering what the test sets (raw <c>k=v&amp;…</c>).</summary>
internal sealed class FakeUnionPayGateway : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<GatewayRequest> _requests = new();

    private FakeUnionPayGateway(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public Func<GatewayRequest, string> Respond { get; set; } = _ => "";

    public IReadOnlyCollection<GatewayRequest> Requests => _requests;

    public static async Task<FakeUnionPayGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeUnionPayGateway(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>An answer as UnionPay writes it: fields raw, joined with <c>&amp;</c>.</summary>
    public static string Raw(IDictionary<string, string> fields) => string.Join('&', fields.Select(f => f.Key + "=" + f.Value));

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var request = new GatewayRequest(context.Request.Path, UnionPayWire.ParseForm(body) ?? []);
        _requests.Enqueue(request);
        context.Response.ContentType = "text/plain;charset=UTF-8";
        await context.Response.WriteAsync(Respond(request), context.RequestAborted);
    }
}
