using System.Security.Cryptography;
using System.Text;
using Payments.Core;
using Payments.Core.Webhooks;

namespace Payments.Infrastructure.Webhooks;

/// <summary>Posts signed webhooks (api.md): Payments-Signature t=...,v1=... with one v1 per active secret.</summary>
public sealed class HttpWebhookSender(HttpClient httpClient, TimeProvider time) : IWebhookSender
{
    /// <summary>A receiver must answer within this to count as delivered (api.md).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static string Signature(IEnumerable<Secret> secrets, long unixSeconds, string body)
    {
        var parts = new List<string> { $"t={unixSeconds}" };
        byte[] payload = Encoding.UTF8.GetBytes($"{unixSeconds}.{body}");
        foreach (var secret in secrets)
        {
            parts.Add("v1=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret.Reveal()), payload)));
        }

        return string.Join(',', parts);
    }

    public async Task<WebhookSendResult> SendAsync(WebhookEvent webhookEvent, IReadOnlyList<Secret> secrets, CancellationToken cancellationToken)
    {
        long t = time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, webhookEvent.NotifyUrl)
        {
            Content = new StringContent(webhookEvent.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Payments-Event-Id", webhookEvent.Id);
        request.Headers.Add("Payments-Signature", Signature(secrets, t, webhookEvent.Body));

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return (int)response.StatusCode is >= 200 and < 300
                ? new WebhookSendResult(true, null)
                : new WebhookSendResult(false, $"HTTP {(int)response.StatusCode}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookSendResult(false, "timeout");
        }
        catch (HttpRequestException e)
        {
            return new WebhookSendResult(false, e.HttpRequestError.ToString());
        }
    }
}
