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

namespace Payments.Channels.Tests.Ecny;

/// <summary>A request as the fake received it, and whether its SM2 signature verified with the merchant key.</summary>
internal sealed record PlatformRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers, string Body, bool SignatureValid);

/// <summary>A canned answer: status, body, whether to sign it (and with which tampering).</summary>
internal sealed record PlatformAnswer(int Status, string Body = "", bool Sign = true, string ContentType = "application/json", bool TamperSignature = false);

/// <summary>The e-CNY operator's API on a real Kestrel port on loopback, answering what the test sets, signed with the platform key.</summary>
internal sealed class FakeEcnyPlatform : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<PlatformRequest> _requests = new();

    private FakeEcnyPlatform(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public Func<PlatformRequest, PlatformAnswer> Respond { get; set; } = _ => new PlatformAnswer(500);

    public IReadOnlyCollection<PlatformRequest> Requests => _requests;

    public static async Task<FakeEcnyPlatform> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeEcnyPlatform(app);
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

    private async Task HandleAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        string target = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        string message = $"{context.Request.Method}\n{target}\n{headers.GetValueOrDefault("Ecny-Timestamp")}\n{headers.GetValueOrDefault("Ecny-Nonce")}\n{body}\n";
        bool valid = headers.TryGetValue("Ecny-Signature", out var signature) && EcnyTestData.VerifyAsPlatform(Encoding.UTF8.GetBytes(message), signature);
        var request = new PlatformRequest(context.Request.Method, target, headers, body, valid);
        _requests.Enqueue(request);

        var answer = Respond(request);
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
