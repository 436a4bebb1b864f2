using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Payments.Sandbox.Tests.Alipay;

/// <summary>A merchant notify_url on a real loopback port that answers Alipay's way: a body, not just a status.</summary>
internal sealed class AlipayNotifyReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<(string ContentType, byte[] Body)> _received = Channel.CreateUnbounded<(string, byte[])>();
    private int _deliveries;

    private AlipayNotifyReceiver(WebApplication app) => _app = app;

    public string NotifyUrl { get; private set; } = "";

    public int Deliveries => Volatile.Read(ref _deliveries);

    /// <param name="answer">The body to answer the nth delivery (0-based) with; "success" when omitted.</param>
    public static async Task<AlipayNotifyReceiver> StartAsync(Func<int, string>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new AlipayNotifyReceiver(builder.Build());
        receiver._app.MapPost("/notify", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var index = Interlocked.Increment(ref receiver._deliveries) - 1;
            await receiver._received.Writer.WriteAsync((context.Request.ContentType ?? "", buffer.ToArray()));
            return Results.Text(answer?.Invoke(index) ?? "success", "text/plain");
        });
        await receiver._app.StartAsync();
        receiver.NotifyUrl = receiver._app.Urls.Single() + "/notify";
        return receiver;
    }

    public async Task<(string ContentType, byte[] Body)> NextAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        return await _received.Reader.ReadAsync(deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
