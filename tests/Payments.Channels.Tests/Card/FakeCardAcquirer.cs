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

namespace Payments.Channels.Tests.Card;

/// <summary>A request as the fake received it.</summary>
internal sealed record AcquirerRequest(string Method, string PathAndQuery, string? ApiKey, string Body);

/// <summary>A canned answer: status and JSON body; status 0 never answers.</summary>
internal sealed record AcquirerAnswer(int Status, string Body = "");

/// <summary>The card acquirer's API on a real Kestrel port on loopback, answering what the test sets.</summary>
internal sealed class FakeCardAcquirer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<AcquirerRequest> _requests = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeCardAcquirer(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public Func<AcquirerRequest, AcquirerAnswer> Respond { get; set; } = _ => new AcquirerAnswer(500);

    public IReadOnlyCollection<AcquirerRequest> Requests => _requests;

    public static async Task<FakeCardAcquirer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeCardAcquirer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
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

        var request = new AcquirerRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers["X-API-Key"].FirstOrDefault(), body);
        _requests.Enqueue(request);
        var answer = Respond(request);
        if (answer.Status == 0)
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

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }
}
