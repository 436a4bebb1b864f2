using System.Net;
using System.Text;
using Azure.Data.Tables;
using Payments.Functions.Api;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Api;

public class HmacAuthenticationTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Body = """{"merchantOrderNo":"AUTH-1","amount":100,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"s"}""";

    [Fact]
    public void TheSignatureReproducesThePublishedVector()
    {
        string toSign = HmacAuthentication.StringToSign("POST", "/api/v1/payments", 1700000000, "abcdefghijklmnop", Encoding.UTF8.GetBytes("{\"a\":1}"));
        Assert.Equal("HIt6hYHWPJ-ndnWgiumM_-0GCeXbVy74w-BvaQiPeK0", HmacAuthentication.Sign("s3cret", toSign));
    }

    private async Task AssertRefusedAndNothingStoredAsync(HttpResponseMessage response, string orderNo)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"code\":\"unauthorized\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var rows = await api.Clients.Payments.QueryAsync<TableEntity>(e => e.RowKey == "payment").ToListAsync();
        Assert.DoesNotContain(rows, r => r.GetString("Data").Contains(orderNo, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABadSignatureIsRefusedAndChangesNothing()
    {
        var client = await api.NewAppAsync();
        var response = await client.Http.SendAsync(client.Request(HttpMethod.Post, "/api/v1/payments", Body, secretOverride: "wrong"));
        await AssertRefusedAndNothingStoredAsync(response, "AUTH-1");
    }

    [Fact]
    public async Task AStaleTimestampIsRefused()
    {
        var client = await api.NewAppAsync();
        long stale = DateTimeOffset.UtcNow.AddSeconds(-301).ToUnixTimeSeconds();
        await AssertRefusedAndNothingStoredAsync(await client.Http.SendAsync(client.Request(HttpMethod.Post, "/api/v1/payments", Body, ts: stale)), "AUTH-1");
        long future = DateTimeOffset.UtcNow.AddSeconds(301).ToUnixTimeSeconds();
        await AssertRefusedAndNothingStoredAsync(await client.Http.SendAsync(client.Request(HttpMethod.Post, "/api/v1/payments", Body, ts: future)), "AUTH-1");
    }

    [Fact]
    public async Task AReplayedNonceIsRefused()
    {
        var client = await api.NewAppAsync();
        string nonce = SignedClient.NewNonce();
        long ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var first = await client.Http.SendAsync(client.Request(HttpMethod.Get, "/api/v1/payments?merchantOrderNo=none", ts: ts, nonce: nonce));
        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);

        var replay = await client.Http.SendAsync(client.Request(HttpMethod.Post, "/api/v1/payments", Body.Replace("AUTH-1", "AUTH-R", StringComparison.Ordinal), ts: ts, nonce: nonce));
        await AssertRefusedAndNothingStoredAsync(replay, "AUTH-R");
    }

    [Fact]
    public async Task AnUnknownAppIsRefused()
    {
        var client = new SignedClient(api.CreateClient(), "app_doesnotexist", "whatever");
        await AssertRefusedAndNothingStoredAsync(await client.PostAsync("/api/v1/payments", Body.Replace("AUTH-1", "AUTH-U", StringComparison.Ordinal)), "AUTH-U");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer abc")]
    [InlineData("PAY1-HMAC-SHA256 app=x")]
    [InlineData("PAY1-HMAC-SHA256 app=x,ts=1,nonce=short,sig=x")]
    [InlineData("PAY1-HMAC-SHA256 app=x,app=y,ts=1,nonce=abcdefghijklmnop,sig=x")]
    public async Task MalformedCredentialsAreRefused(string? header)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/payments?merchantOrderNo=x");
        if (header is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", header);
        }

        var response = await api.CreateClient().SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task TheSignatureCoversTheQueryString()
    {
        var client = await api.NewAppAsync();
        var request = client.Request(HttpMethod.Get, "/api/v1/payments?merchantOrderNo=a");
        request.RequestUri = new Uri("/api/v1/payments?merchantOrderNo=b", UriKind.Relative);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.Http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task HealthNeedsNoCredentials()
    {
        var response = await api.CreateClient().GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"status\":\"ok\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
