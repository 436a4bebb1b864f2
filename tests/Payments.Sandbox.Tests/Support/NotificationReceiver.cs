using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Payments.Sandbox.Tests.Support;

internal sealed record ReceivedNotification(IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A merchant notify_url on a real loopback port: the in-memory test server cannot take the
/// sandbox's outgoing calls, Kestrel can.
/// </summary>
internal sealed class NotificationReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ReceivedNotification> _received = Channel.CreateUnbounded<ReceivedNotification>();
    private int _deliveries;

    private NotificationReceiver(WebApplication app) => _app = app;

    public string NotifyUrl { get; private set; } = "";

    /// <param name="answer">Status to answer the nth delivery (0-based) with; 200 when omitted.</param>
    public static async Task<NotificationReceiver> StartAsync(Func<int, int>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new NotificationReceiver(builder.Build());
        receiver._app.MapPost("/notify", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            var index = Interlocked.Increment(ref receiver._deliveries) - 1;
            await receiver._received.Writer.WriteAsync(new ReceivedNotification(headers, buffer.ToArray()));
            context.Response.StatusCode = answer?.Invoke(index) ?? StatusCodes.Status200OK;
        });
        await receiver._app.StartAsync();
        receiver.NotifyUrl = receiver._app.Urls.Single() + "/notify";
        return receiver;
    }

    public int Deliveries => Volatile.Read(ref _deliveries);

    public async Task<ReceivedNotification> NextAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        return await _received.Reader.ReadAsync(deadline.Token);
    }

    public bool TryTake(out ReceivedNotification? notification) => _received.Reader.TryRead(out notification);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
