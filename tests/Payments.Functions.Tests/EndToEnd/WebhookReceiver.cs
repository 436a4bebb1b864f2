using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Payments.Functions.Tests.EndToEnd;

public sealed record ReceivedHook(string EventId, string Signature, string Body, DateTimeOffset At, int AnsweredStatus)
{
    public string Type => JsonDocument.Parse(Body).RootElement.GetProperty("type").GetString()!;
}

/// <summary>The merchant's webhook endpoint, on a real loopback port. It can be told to be down.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedHook> _received = new();
    private readonly ConcurrentDictionary<string, int> _failuresLeft = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    public IReadOnlyList<ReceivedHook> Received => [.. _received];

    /// <summary>The next <paramref name="times"/> deliveries about <paramref name="paymentId"/> answer 503.</summary>
    public void FailFor(string paymentId, int times) => _failuresLeft[paymentId] = times;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            string body = await reader.ReadToEndAsync();
            int status = StatusCodes.Status204NoContent;
            foreach (var (paymentId, left) in receiver._failuresLeft)
            {
                if (left > 0 && body.Contains(paymentId, StringComparison.Ordinal))
                {
                    receiver._failuresLeft[paymentId] = left - 1;
                    status = StatusCodes.Status503ServiceUnavailable;
                }
            }

            receiver._received.Enqueue(new ReceivedHook(
                http.Request.Headers["Payments-Event-Id"].ToString(), http.Request.Headers["Payments-Signature"].ToString(), body, DateTimeOffset.UtcNow, status));
            return Results.StatusCode(status);
        });
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
