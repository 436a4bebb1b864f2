using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Payments.Core;
using Payments.Core.Payments;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Api;

public class RateLimitingTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private const string Lookup = "/api/v1/payments?merchantOrderNo=none";

    /// <summary>A burst of two, then one request per ten seconds: a third request in a row is surely refused.</summary>
    private WebApplicationFactory<Program> Limited() => api.WithWebHostBuilder(b =>
    {
        b.UseSetting("RateLimiting:PermitsPerSecond", "0.1");
        b.UseSetting("RateLimiting:Burst", "2");
    });

    [Fact]
    public async Task RequestsBeyondAnAppsBurstAnswer429WithRetryAfterAndDoNothing()
    {
        using var host = Limited();
        var client = (await api.NewAppAsync()).With(host.CreateClient());

        var first = await client.GetAsync(Lookup);
        var second = await client.GetAsync(Lookup);
        var third = await client.PostAsync("/api/v1/payments",
            """{"merchantOrderNo":"RL-1","amount":1999,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Order RL-1"}""");

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
        Assert.Equal("rate_limited", JsonDocument.Parse(await third.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        var retryAfter = third.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, 10);
        Assert.Null(await api.Services.GetRequiredService<IPaymentStore>().GetAsync(Ids.PaymentId(client.AppId, "RL-1"), default));
    }

    [Fact]
    public async Task OneAppUsingUpItsBudgetLeavesAnotherAppAlone()
    {
        using var host = Limited();
        var busy = (await api.NewAppAsync()).With(host.CreateClient());
        var quiet = (await api.NewAppAsync()).With(host.CreateClient());

        var busyAnswers = new List<HttpStatusCode>();
        for (int i = 0; i < 3; i++)
        {
            busyAnswers.Add((await busy.GetAsync(Lookup)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, busyAnswers[^1]);
        Assert.Equal(HttpStatusCode.NotFound, (await quiet.GetAsync(Lookup)).StatusCode);
    }

    [Fact]
    public async Task RequestsThatFailAuthenticationDoNotSpendTheAppsBudget()
    {
        using var host = Limited();
        var client = (await api.NewAppAsync()).With(host.CreateClient());

        // Anyone can put a merchant's app id in a header; only signed requests count against it.
        for (int i = 0; i < 5; i++)
        {
            var forged = await client.Http.SendAsync(client.Request(HttpMethod.Get, Lookup, secretOverride: "not-the-secret"));
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(Lookup)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(Lookup)).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync(Lookup)).StatusCode);
    }

    [Fact]
    public async Task WithoutSettingsThereIsNoLimit()
    {
        var client = await api.NewAppAsync();

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => client.GetAsync(Lookup)));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.NotFound, a.StatusCode));
    }
}
