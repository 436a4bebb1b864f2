using Microsoft.AspNetCore.Http;
using Payments.Channels.Tests.Support;

namespace Payments.Channels.Tests.Card;

/// <summary>A request as the fake received it.</summary>
internal sealed record AcquirerRequest(string Method, string PathAndQuery, string? ApiKey, string Body);

/// <summary>A canned answer: status and JSON body; status 0 never answers.</summary>
internal sealed record AcquirerAnswer(int Status, string Body = "");

/// <summary>The card acquirer's API on a real Kestrel port on loopback, answering what the test sets.</summary>
internal sealed class FakeCardAcquirer() : LoopbackFake<AcquirerRequest, AcquirerAnswer>(new AcquirerAnswer(500))
{
    public static Task<FakeCardAcquirer> StartAsync() => ListenAsync(new FakeCardAcquirer());

    protected override async Task HandleAsync(HttpContext context)
    {
        string body = await LoopbackServer.ReadBodyAsync(context);
        var request = new AcquirerRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, context.Request.Headers["X-API-Key"].FirstOrDefault(), body);
        var answer = Record(request);
        if (answer.Status == 0)
        {
            await NeverAnswerAsync(context);
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }
}
