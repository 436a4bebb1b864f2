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

namespace Payments.Channels.Tests.Transfer;

/// <summary>A request as the fake received it, with the signing headers.</summary>
internal sealed record BankRequest(string Method, string PathAndQuery, string Body, string? CorporateId, string? Timestamp, string? Nonce, string? Signature);

/// <summary>A canned answer: status and body; status 0 never answers.</summary>
internal sealed record BankAnswer(int Status, string Body = "", string ContentType = "application/json");

/// <summary>The bank's collections API on a real Kestrel port on loopback, answering what the test sets.</summary>
internal sealed class FakeTransferBank : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<BankRequest> _requests = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeTransferBank(WebApplication app) => _app = app;

    public Uri Endpoint { get; private set; } = null!;

    public Func<BankRequest, BankAnswer> Respond { get; set; } = _ => new BankAnswer(500);

    public IReadOnlyCollection<BankRequest> Requests => _requests;

    public static async Task<FakeTransferBank> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeTransferBank(app);
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

        var headers = context.Request.Headers;
        var request = new BankRequest(
            context.Request.Method, context.Request.Path + context.Request.QueryString, body,
            headers["X-Corp-Id"].FirstOrDefault(), headers["X-Timestamp"].FirstOrDefault(), headers["X-Nonce"].FirstOrDefault(), headers["X-Signature"].FirstOrDefault());
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
        context.Response.ContentType = answer.ContentType;
        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }
}
