using System.Net;
using System.Text.Json;
using Payments.Functions.Tests.Support;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>The merchant in the end-to-end tests: what its storefront asks the payments API with the app's signed
/// client, and the webhooks its endpoint received. Waits are the API's own long poll under a deadline, and a wait
/// that runs out quotes the function app's log.</summary>
public sealed class Storefront(SignedClient client, WebhookReceiver receiver, ProcessHost functions, TimeSpan within)
{
    public SignedClient Client => client;

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>A payment for a fresh merchant order number (<paramref name="orderPrefix"/> and 16 hex digits, which
    /// also ends the subject); returns its id.</summary>
    public async Task<string> CreatePaymentAsync(string channel, string method, long amount, string orderPrefix, string subject,
        int? expiresInSeconds = null, string currency = "CNY", string? returnUrl = null)
    {
        string orderNo = orderPrefix + Guid.NewGuid().ToString("N")[..16];
        string extra = (expiresInSeconds is null ? "" : $",\"expiresInSeconds\":{expiresInSeconds}") + (returnUrl is null ? "" : $",\"returnUrl\":\"{returnUrl}\"");
        var response = await client.PostAsync("/api/v1/payments",
            $$"""{"merchantOrderNo":"{{orderNo}}","amount":{{amount}},"currency":"{{currency}}","channel":"{{channel}}","method":"{{method}}","subject":"{{subject}} {{orderNo}}"{{extra}}}""");
        Assert.True(response.StatusCode is HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> PaymentAsync(string id, int waitForSeconds = 0)
    {
        var response = await client.GetAsync($"/api/v1/payments/{id}" + (waitForSeconds > 0 ? $"?waitForSeconds={waitForSeconds}" : ""));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    public async Task<JsonElement> WaitForStatusAsync(string id, string status) =>
        await Eventually.ValueAsync(() => PaymentAsync(id, waitForSeconds: 2), p => p.GetProperty("status").GetString() == status,
            within, $"{id} to be {status} ({functions.Tail(15)})");

    /// <summary>Where the payer goes to pay, once the channel has the order.</summary>
    public async Task<string> PayerUrlAsync(string id) =>
        (await WaitForStatusAsync(id, "pending")).GetProperty("nextAction").GetProperty("url").GetString()!;

    /// <summary>Asks for a refund, which must be accepted; returns its id.</summary>
    public async Task<string> RefundAsync(string paymentId, string merchantRefundNo, long amount, string? reason = null)
    {
        string because = reason is null ? "" : $",\"reason\":\"{reason}\"";
        var response = await client.PostAsync($"/api/v1/payments/{paymentId}/refunds", $$"""{"merchantRefundNo":"{{merchantRefundNo}}","amount":{{amount}}{{because}}}""");
        Assert.True(response.StatusCode is HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> WaitForRefundAsync(string refundId, string status) =>
        await Eventually.ValueAsync(
            async () => await JsonAsync(await client.GetAsync($"/api/v1/refunds/{refundId}")),
            r => r.TryGetProperty("status", out var s) && s.GetString() == status,
            within,
            $"{refundId} to be {status} ({functions.Tail(10)})");

    public async Task<JsonElement> RefundsAsync(string paymentId) =>
        (await JsonAsync(await client.GetAsync($"/api/v1/payments/{paymentId}/refunds"))).GetProperty("data");

    /// <summary>Every delivery attempt of a webhook about the payment or refund.</summary>
    public List<ReceivedHook> HooksFor(string subjectId) =>
        receiver.Received.Where(h => h.Body.Contains(subjectId, StringComparison.Ordinal)).ToList();

    public async Task<ReceivedHook> WaitForHookAsync(string subjectId, string type) =>
        (await Eventually.ValueAsync(() => Task.FromResult(HooksFor(subjectId).FirstOrDefault(h => h.Type == type)), h => h is not null, within, $"the {type} webhook"))!;
}
