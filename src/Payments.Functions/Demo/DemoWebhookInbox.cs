using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Payments.Core.Apps;
using Payments.Infrastructure.Webhooks;

namespace Payments.Functions.Demo;

public sealed record ReceivedWebhook(string EventId, bool SignatureValid, DateTimeOffset ReceivedAt, string Body);

/// <summary>Local runs only: a stand-in for the storefront's webhook endpoint, so the whole loop can
/// be watched without writing a receiver first. It verifies signatures as a merchant should.</summary>
public static class DemoWebhookInbox
{
    private static readonly ConcurrentQueue<ReceivedWebhook> Received = new();

    public static IEndpointRouteBuilder MapDemoWebhookInbox(this IEndpointRouteBuilder app)
    {
        app.MapPost("/demo/webhooks", async (HttpContext http, IAppDirectory apps, TimeProvider time, ILoggerFactory loggers) =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            string body = await reader.ReadToEndAsync(http.RequestAborted);
            string signature = http.Request.Headers["Payments-Signature"].ToString();
            var app = await apps.GetAppAsync("app_demo", http.RequestAborted);
            bool valid = app is not null && Verify(signature, body, app.WebhookSecrets.Select(s => s.Reveal()), time.GetUtcNow());
            var received = new ReceivedWebhook(http.Request.Headers["Payments-Event-Id"].ToString(), valid, time.GetUtcNow(), body);
            Received.Enqueue(received);
            while (Received.Count > 100 && Received.TryDequeue(out _))
            {
            }

            loggers.CreateLogger("DemoWebhooks").LogInformation("Webhook {EventId} received, signature {Validity}: {Body}", received.EventId, valid ? "valid" : "INVALID", body);
            return valid ? Results.NoContent() : Results.StatusCode(StatusCodes.Status400BadRequest);
        }).ExcludeFromDescription();
        app.MapGet("/demo/webhooks", () => Results.Json(Received.Reverse().ToArray(), DemoInboxJson.Default.ReceivedWebhookArray)).ExcludeFromDescription();
        return app;
    }

    /// <summary>What a receiver does: recompute v1 for each secret, compare in constant time, bound the age.</summary>
    public static bool Verify(string header, string body, IEnumerable<string> secrets, DateTimeOffset now)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToList();
        if (!long.TryParse(parts.FirstOrDefault(p => p[0] == "t")?[1], out long t) || Math.Abs(now.ToUnixTimeSeconds() - t) > 300)
        {
            return false;
        }

        var given = parts.Where(p => p[0] == "v1").Select(p => Encoding.ASCII.GetBytes(p[1])).ToList();
        return secrets.Any(secret =>
        {
            string expected = HttpWebhookSender.Signature([new Core.Secret(secret)], t, body).Split(",v1=")[1];
            return given.Any(g => CryptographicOperations.FixedTimeEquals(g, Encoding.ASCII.GetBytes(expected)));
        });
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(ReceivedWebhook[]))]
internal sealed partial class DemoInboxJson : System.Text.Json.Serialization.JsonSerializerContext;
