using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Payments.Channels.Tests.Support;

/// <summary>
/// A channel's fake on loopback: it keeps every request, as the channel's own record of it, and
/// answers what the test sets in <see cref="Respond"/>. The subclass speaks the channel's protocol.
/// </summary>
internal abstract class LoopbackFake<TRequest, TAnswer> : IAsyncDisposable
{
    private readonly ConcurrentQueue<TRequest> _requests = new();
    private LoopbackServer _server = null!;

    protected LoopbackFake(TAnswer untilSet) => Respond = _ => untilSet;

    public Uri Endpoint => _server.Endpoint;

    public Func<TRequest, TAnswer> Respond { get; set; }

    public IReadOnlyCollection<TRequest> Requests => _requests;

    public virtual ValueTask DisposeAsync() => _server.DisposeAsync();

    protected static async Task<TFake> ListenAsync<TFake>(TFake fake)
        where TFake : LoopbackFake<TRequest, TAnswer>
    {
        fake._server = await LoopbackServer.StartAsync(fake.HandleAsync);
        return fake;
    }

    protected abstract Task HandleAsync(HttpContext context);

    /// <summary>Keeps the request and returns the test's answer to it.</summary>
    protected TAnswer Record(TRequest request)
    {
        _requests.Enqueue(request);
        return Respond(request);
    }

    protected Task NeverAnswerAsync(HttpContext context) => _server.NeverAnswerAsync(context);
}
