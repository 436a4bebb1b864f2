using Microsoft.AspNetCore.Http;
using Payments.Channels.Tests.Support;

namespace Payments.Channels.Tests.Transfer;

/// <summary>A request as the fake received it, with the signing headers.</summary>
internal sealed record BankRequest(string Method, string PathAndQuery, string Body, string? CorporateId, string? Timestamp, string? Nonce, string? Signature);

/// <summary>A canned answer: status and body; status 0 never answers.</summary>
internal sealed record BankAnswer(int Status, string Body = "", string ContentType = "application/json");

/// <summary>The bank's collections API on a real Kestrel port on loopback, answering what the test sets.</summary>
internal sealed class FakeTransferBank() : LoopbackFake<BankRequest, BankAnswer>(new BankAnswer(500))
{
    public static Task<FakeTransferBank> StartAsync() => ListenAsync(new FakeTransferBank());

    protected override async Task HandleAsync(HttpContext context)
    {
        string body = await LoopbackServer.ReadBodyAsync(context);
        var headers = context.Request.Headers;
        var request = new BankRequest(
            context.Request.Method, context.Request.Path + context.Request.QueryString, body,
            headers["X-Corp-Id"].FirstOrDefault(), headers["X-Timestamp"].FirstOrDefault(), headers["X-Nonce"].FirstOrDefault(), headers["X-Signature"].FirstOrDefault());
        var answer = Record(request);
        if (answer.Status == 0)
        {
            await NeverAnswerAsync(context);
            return;
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.ContentType;
        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }
}
