using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Card;

/// <summary>The card acquirer simulator through its HTTP surface: API, hosted page with 3-D Secure, webhooks, faults.</summary>
public sealed class CardSandboxTests
{
    private sealed record Merchant(string Account, string ApiKey, string HmacKeyHex);

    private static async Task<Merchant> OnboardAsync(SandboxHost sandbox)
    {
        using var response = await sandbox.Http.PostAsJsonAsync("/sandbox/card/merchants", new JsonObject());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return new Merchant(body.GetProperty("merchantAccount").GetString()!, body.GetProperty("apiKey").GetString()!, body.GetProperty("hmacKeyHex").GetString()!);
    }

    private static async Task<HttpResponseMessage> CallAsync(SandboxHost sandbox, Merchant merchant, HttpMethod method, string path, JsonObject? body = null, string? apiKey = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Add("X-API-Key", apiKey ?? merchant.ApiKey);
        if (body is not null)
        {
            body["merchantAccount"] = merchant.Account;
            request.Content = JsonContent.Create(body);
        }

        return await sandbox.Http.SendAsync(request);
    }

    private static JsonObject Session(string reference, string notifyUrl, long value = 1999, DateTimeOffset? expiresAt = null) => new()
    {
        ["reference"] = reference,
        ["amount"] = new JsonObject { ["value"] = value, ["currency"] = "EUR" },
        ["description"] = "Order " + reference,
        ["expiresAt"] = (expiresAt ?? DateTimeOffset.UtcNow.AddMinutes(15)).ToString("O"),
        ["notifyUrl"] = notifyUrl,
    };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task<JsonElement> OpenAsync(SandboxHost sandbox, Merchant merchant, string reference, string notifyUrl = "http://127.0.0.1:9/notify")
    {
        using var response = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/sessions", Session(reference, notifyUrl));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await JsonAsync(response);
    }

    private static async Task<HttpResponseMessage> EnterCardAsync(SandboxHost sandbox, string pageUrl, string cardNumber) =>
        await sandbox.Http.PostAsJsonAsync(new Uri(pageUrl).PathAndQuery, new { cardNumber, expiry = "12/39", cvc = "737" });

    [Fact]
    public async Task TheApiRefusesAWrongKeyAndARepeatedReferenceOpensTheSameSession()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        using var refused = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/sessions", Session("pay_a", "http://127.0.0.1:9/n"), apiKey: "ak_wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var first = await OpenAsync(sandbox, merchant, "pay_a");
        var second = await OpenAsync(sandbox, merchant, "pay_a");
        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        Assert.Equal("pending", first.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ACardPaysAfterTheChallengeAndTheWebhookIsSignedAndCarriesOnlyTheMaskedCard()
    {
        await using var sandbox = new SandboxHost();
        await using var receiver = await NotificationReceiver.StartAsync();
        var merchant = await OnboardAsync(sandbox);
        string url = (await OpenAsync(sandbox, merchant, "pay_b", receiver.NotifyUrl)).GetProperty("url").GetString()!;

        using var invalid = await EnterCardAsync(sandbox, url, "4111111111111112");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        using var entered = await EnterCardAsync(sandbox, url, "4111 1111 1111 1111");
        string enteredText = await entered.Content.ReadAsStringAsync();
        var challenge = JsonDocument.Parse(enteredText).RootElement;
        Assert.Equal(("pending", "visa", "1111"), (challenge.GetProperty("status").GetString(), challenge.GetProperty("card").GetProperty("brand").GetString(), challenge.GetProperty("card").GetProperty("last4").GetString()));
        Assert.DoesNotContain("4111111111111111", enteredText, StringComparison.Ordinal);

        using var answered = await sandbox.Http.PostAsJsonAsync(challenge.GetProperty("challengeUrl").GetString(), new { otp = "123456" });
        Assert.Equal("authorised", (await JsonAsync(answered)).GetProperty("status").GetString());

        var notification = await receiver.NextAsync();
        string body = Encoding.UTF8.GetString(notification.Body);
        string expected = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(merchant.HmacKeyHex), notification.Body));
        Assert.Equal(expected, notification.Headers["X-Card-Signature"]);
        var webhook = JsonDocument.Parse(body).RootElement;
        Assert.Equal(("AUTHORISATION", true, "pay_b"), (webhook.GetProperty("eventCode").GetString(), webhook.GetProperty("success").GetBoolean(), webhook.GetProperty("merchantReference").GetString()));
        Assert.Equal("1111", webhook.GetProperty("card").GetProperty("last4").GetString());
        Assert.DoesNotContain("4111111111111111", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDeclineTestCardIsRefusedBeforeAnyChallengeAndAWrongCodeRefusesToo()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        string declinedUrl = (await OpenAsync(sandbox, merchant, "pay_c")).GetProperty("url").GetString()!;
        using var declined = await EnterCardAsync(sandbox, declinedUrl, "4000000000000002");
        var answer = await JsonAsync(declined);
        Assert.Equal("refused", answer.GetProperty("status").GetString());
        Assert.False(answer.TryGetProperty("challengeUrl", out _));

        string url = (await OpenAsync(sandbox, merchant, "pay_d")).GetProperty("url").GetString()!;
        using var entered = await EnterCardAsync(sandbox, url, "5555555555554444");
        using var wrong = await sandbox.Http.PostAsJsonAsync((await JsonAsync(entered)).GetProperty("challengeUrl").GetString(), new { otp = "000000" });
        Assert.Equal("refused", (await JsonAsync(wrong)).GetProperty("status").GetString());
        using var query = await CallAsync(sandbox, merchant, HttpMethod.Get, $"/card/v1/sessions/pay_d?merchantAccount={merchant.Account}");
        Assert.Equal(("refused", "3ds_failed"), ((await JsonAsync(query)).GetProperty("status").GetString(), (await JsonAsync(query)).GetProperty("refusalReason").GetString()));
    }

    [Fact]
    public async Task PartialRefundsAddUpToThePaymentAndNoFurther()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        string url = (await OpenAsync(sandbox, merchant, "pay_e")).GetProperty("url").GetString()!;
        using var entered = await EnterCardAsync(sandbox, url, "4111111111111111");
        using var _ = await sandbox.Http.PostAsJsonAsync((await JsonAsync(entered)).GetProperty("challengeUrl").GetString(), new { otp = "123456" });

        JsonObject Refund(string reference, long value) => new()
        {
            ["paymentReference"] = "pay_e",
            ["reference"] = reference,
            ["amount"] = new JsonObject { ["value"] = value, ["currency"] = "EUR" },
        };
        using var first = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/refunds", Refund("rf_1", 1000));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using var again = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/refunds", Refund("rf_1", 1000));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        using var tooMuch = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/refunds", Refund("rf_2", 1000));
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "exceeds_amount"), (tooMuch.StatusCode, (await JsonAsync(tooMuch)).GetProperty("errorCode").GetString()));
        using var rest = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/refunds", Refund("rf_3", 999));
        Assert.Equal(HttpStatusCode.Created, rest.StatusCode);

        using var report = await CallAsync(sandbox, merchant, HttpMethod.Get, $"/card/v1/reports/settlement?merchantAccount={merchant.Account}&date={DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)):yyyy-MM-dd}");
        string csv = await report.Content.ReadAsStringAsync();
        Assert.Contains(",pay_e,", csv, StringComparison.Ordinal);
        Assert.EndsWith("Total Records,3\n", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExpiredSessionCannotBePaidAndAnErrorFaultCreatesNothing()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        using var created = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/sessions", Session("pay_f", "http://127.0.0.1:9/n", expiresAt: DateTimeOffset.UtcNow.AddSeconds(-1)));
        Assert.Equal("expired", (await JsonAsync(created)).GetProperty("status").GetString());

        using var fault = await sandbox.Http.PostAsJsonAsync("/sandbox/faults", new JsonObject { ["channel"] = "card", ["operation"] = "create", ["mode"] = "error" });
        Assert.Equal(HttpStatusCode.OK, fault.StatusCode);
        using var failed = await CallAsync(sandbox, merchant, HttpMethod.Post, "/card/v1/sessions", Session("pay_g", "http://127.0.0.1:9/n"));
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        using var query = await CallAsync(sandbox, merchant, HttpMethod.Get, $"/card/v1/sessions/pay_g?merchantAccount={merchant.Account}");
        Assert.Equal(HttpStatusCode.NotFound, query.StatusCode);
    }
}
