using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Core.Messaging;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Api;

public class PaymentsApiTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string CreateBody(string orderNo, long amount = 1999, string extra = "") =>
        $$"""{"merchantOrderNo":"{{orderNo}}","amount":{{amount}},"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Order {{orderNo}}","metadata":{"cart":"c-7"}{{extra}}}""";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task ANewPaymentIsAcceptedWithItsLocation()
    {
        var client = await api.NewAppAsync();
        var response = await client.PostAsync("/api/v1/payments", CreateBody("A-1001"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var payment = await JsonAsync(response);
        string id = payment.GetProperty("id").GetString()!;
        Assert.StartsWith("pay_", id, StringComparison.Ordinal);
        Assert.Equal($"/api/v1/payments/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("payment", payment.GetProperty("object").GetString());
        Assert.Equal("created", payment.GetProperty("status").GetString());
        Assert.Equal(1999, payment.GetProperty("amount").GetInt64());
        Assert.Equal("ca_test", payment.GetProperty("channelAccountId").GetString());
        Assert.Equal("c-7", payment.GetProperty("metadata").GetProperty("cart").GetString());
        Assert.EndsWith("Z", payment.GetProperty("createdAt").GetString(), StringComparison.Ordinal);

        var byId = await JsonAsync(await client.GetAsync($"/api/v1/payments/{id}"));
        Assert.Equal(id, byId.GetProperty("id").GetString());
        var byOrderNo = await JsonAsync(await client.GetAsync("/api/v1/payments?merchantOrderNo=A-1001"));
        Assert.Equal(id, byOrderNo.GetProperty("id").GetString());
    }

    [Fact]
    public async Task FiftyConcurrentIdenticalCreatesMakeOnePaymentAndOneCreateMessage()
    {
        var client = await api.NewAppAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => client.PostAsync("/api/v1/payments", CreateBody("RACE-1"))));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(49, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        var ids = await Task.WhenAll(responses.Select(async r => (await JsonAsync(r)).GetProperty("id").GetString()));
        Assert.Single(ids.Distinct());

        var payments = await api.Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == ids[0] && e.RowKey == "payment").ToListAsync();
        Assert.Single(payments);
        // The relay has published (or is publishing) the outbox; the queue holds exactly one create message.
        var messages = await QueuePeek.WaitForCountAsync(api.Clients.Queue(Queues.ChannelRequests), m => m.Contains(ids[0]!, StringComparison.Ordinal) && m.Contains("Create", StringComparison.Ordinal), 1);
        Assert.Single(messages);
    }

    [Fact]
    public async Task TheSameOrderNumberWithOtherParametersIsAConflict()
    {
        var client = await api.NewAppAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync("/api/v1/payments", CreateBody("A-2"))).StatusCode);
        var response = await client.PostAsync("/api/v1/payments", CreateBody("A-2", amount: 2000));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("idempotency_conflict", (await JsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task AnotherAppsPaymentIsNotFound()
    {
        var owner = await api.NewAppAsync();
        var other = await api.NewAppAsync();
        var created = await JsonAsync(await owner.PostAsync("/api/v1/payments", CreateBody("MINE-1")));
        string id = created.GetProperty("id").GetString()!;

        var response = await other.GetAsync($"/api/v1/payments/{id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not_found", (await JsonAsync(response)).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await other.SendAsync(HttpMethod.Post, $"/api/v1/payments/{id}/close", "{}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync($"/api/v1/payments/pay_doesnotexist")).StatusCode);
    }

    [Theory]
    [InlineData("""{"merchantOrderNo":"bad no!","amount":1,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s"}""", "merchantOrderNo")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":0,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s"}""", "amount")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":-5,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s"}""", "amount")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":19.99,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s"}""", "amount")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":99999999999999999999999,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s"}""", "amount")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":"100","currency":"CNY","channel":"wechatpay","method":"qr","subject":"s"}""", "amount")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"XYZ","channel":"wechatpay","method":"qr","subject":"s"}""", "currency")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"paypal","method":"qr","subject":"s"}""", "channel")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"wechatpay","method":"page","subject":"s"}""", "method")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"wechatpay","method":"qr","subject":""}""", "subject")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"a\u0007b"}""", "subject")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s","notifyUrl":"ftp://x"}""", "notifyUrl")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s","expiresInSeconds":5}""", "expiresInSeconds")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s","payer":{"ip":"999.1.1.1"}}""", "payer.ip")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s","surprise":true}""", "surprise")]
    [InlineData("""{"merchantOrderNo":"V-1","amount":1,""", "body")]
    [InlineData("""[1,2,3]""", "body")]
    public async Task InvalidFieldsAreNamedInAProblemAndNothingIsStored(string body, string field)
    {
        var client = await api.NewAppAsync();
        var response = await client.PostAsync("/api/v1/payments", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonAsync(response);
        Assert.Equal("validation_failed", problem.GetProperty("code").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
        Assert.DoesNotContain("   at ", problem.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/payments?merchantOrderNo=V-1")).StatusCode);
    }

    [Fact]
    public async Task AChannelTheAppHasNotEnabledIsRefused()
    {
        var client = await api.NewAppAsync(channel: "wechatpay");
        var response = await client.PostAsync("/api/v1/payments", """{"merchantOrderNo":"CH-1","amount":1,"currency":"CNY","channel":"alipay","method":"qr","subject":"s"}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("channel_not_enabled", (await JsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task BodiesOverSixtyFourKibibytesAreRefused()
    {
        var client = await api.NewAppAsync();
        string big = CreateBody("BIG-1", extra: $",\"description\":\"{new string('x', 70_000)}\"");
        var response = await client.PostAsync("/api/v1/payments", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("payload_too_large", (await JsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task ClosingAFinishedPaymentIsAnInvalidStateButClosingAnOpenOneIsAccepted()
    {
        var client = await api.NewAppAsync();
        string id = (await JsonAsync(await client.PostAsync("/api/v1/payments", CreateBody("CL-1")))).GetProperty("id").GetString()!;
        var response = await client.SendAsync(HttpMethod.Post, $"/api/v1/payments/{id}/close", "{}");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(HttpMethod.Post, $"/api/v1/payments/{id}/close", "{\"x\":1}")).StatusCode);
    }

    [Fact]
    public async Task WaitForSecondsIsBounded()
    {
        var client = await api.NewAppAsync();
        string id = (await JsonAsync(await client.PostAsync("/api/v1/payments", CreateBody("W-1")))).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/v1/payments/{id}?waitForSeconds=21")).StatusCode);
        var started = DateTime.UtcNow;
        var response = await client.GetAsync($"/api/v1/payments/{id}?waitForSeconds=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(900), "it should have held the answer for about a second");
    }
}
