using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Functions.Tests.Support;
using Xunit.Abstractions;

namespace Payments.Functions.Tests.Api;

/// <summary>Hostile input at every endpoint: each answer is a problem+json 4xx, never a 500, and no
/// business table changes (request nonces aside: spending one is what a signed request does).</summary>
public class SecurityFuzzTests(ApiFactory api, ITestOutputHelper output) : IClassFixture<ApiFactory>
{
    private static readonly string[] Untouchable = ["payments", "apps", "channelaccounts", "merchants", "exceptions", "audit", "openpayments", "riskrules", "riskcounters"];

    /// <summary>Bodies nobody should be able to hurt us with. Each is tried at every endpoint that takes a body.</summary>
    private static IEnumerable<(string Name, byte[] Body)> NastyBodies(Random random)
    {
        static byte[] U(string s) => Encoding.UTF8.GetBytes(s);
        yield return ("empty", []);
        yield return ("truncated", U("{\"amount\":"));
        yield return ("array", U("[]"));
        yield return ("null", U("null"));
        yield return ("string", U("\"hello\""));
        yield return ("number", U("42"));
        yield return ("trailing garbage", U("{}x"));
        yield return ("huge number", U("{\"merchantOrderNo\":\"o-1\",\"amount\":123456789012345678901234567890,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\"}"));
        yield return ("exponent", U("{\"merchantOrderNo\":\"o-1\",\"amount\":1e400,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\"}"));
        yield return ("fraction", U("{\"merchantOrderNo\":\"o-1\",\"amount\":10.5,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\"}"));
        yield return ("negative", U("{\"merchantOrderNo\":\"o-1\",\"amount\":-100,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\",\"merchantRefundNo\":\"r-1\"}"));
        yield return ("zero", U("{\"merchantOrderNo\":\"o-1\",\"amount\":0,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\",\"merchantRefundNo\":\"r-1\"}"));
        yield return ("amount as string", U("{\"merchantOrderNo\":\"o-1\",\"amount\":\"100\",\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\"}"));
        yield return ("unknown currency", U("{\"merchantOrderNo\":\"o-1\",\"amount\":100,\"currency\":\"XXQ\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\"}"));
        yield return ("lower-case currency", U("{\"merchantOrderNo\":\"o-1\",\"amount\":100,\"currency\":\"cny\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"s\"}"));
        yield return ("overlong strings", U("{\"merchantOrderNo\":\"" + new string('o', 5000) + "\",\"amount\":100,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"" + new string('s', 20000) + "\",\"name\":\"" + new string('n', 5000) + "\",\"note\":\"" + new string('x', 5000) + "\"}"));
        yield return ("control characters", U("{\"merchantOrderNo\":\"o\\u0000-1\",\"amount\":100,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"a\\u0007b\",\"name\":\"x\\u001b\",\"note\":\"\\u0000\",\"merchantRefundNo\":\"r\\u0001\"}"));
        yield return ("lone surrogate", U("{\"merchantOrderNo\":\"\\ud800\",\"amount\":100,\"currency\":\"CNY\",\"channel\":\"wechatpay\",\"method\":\"qr\",\"subject\":\"\\udc00\",\"name\":\"\\ud800\",\"note\":\"\\udfff\"}"));
        yield return ("invalid UTF-8", [(byte)'{', (byte)'"', (byte)'n', (byte)'a', (byte)'m', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, 0xFF, (byte)'"', (byte)'}']);
        yield return ("deep nesting", U(new string('[', 5000) + new string(']', 5000)));
        yield return ("duplicate keys", U("{\"amount\":100,\"amount\":-1}"));
        yield return ("unknown field", U("{\"isAdmin\":true}"));
        yield return ("wrong types", U("{\"merchantOrderNo\":1,\"amount\":true,\"currency\":[],\"channel\":{},\"method\":null,\"subject\":2,\"channels\":\"wechatpay\",\"credentials\":[1],\"note\":5}"));
        yield return ("too large", U("{\"subject\":\"" + new string('a', 70 * 1024) + "\"}"));

        // And random bytes and random JSON-ish text from the seed.
        for (int i = 0; i < 6; i++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            yield return ($"random bytes {i}", bytes);
            const string alphabet = "{}[]\":,0123456789-.eE truefalsnul\\u\"amount\"currency";
            yield return ($"random json-ish {i}", U(new string(Enumerable.Range(0, random.Next(1, 200)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray())));
        }
    }

    private async Task<Dictionary<string, int>> CountRowsAsync()
    {
        var counts = new Dictionary<string, int>();
        foreach (string table in Untouchable)
        {
            var client = api.Clients.TableService.GetTableClient(api.Storage.Table(table));
            int n = 0;
            try
            {
                await foreach (var e in client.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
                {
                    // Outbox rows come and go on their own (the relay deletes them once published).
                    n += e.RowKey.StartsWith("outbox|", StringComparison.Ordinal) ? 0 : 1;
                }
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
            }

            counts[table] = n;
        }

        return counts;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string what)
    {
        string text = await response.Content.ReadAsStringAsync();
        int status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{what}: {status} {text[..Math.Min(text.Length, 300)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(text);
        Assert.True(doc.RootElement.TryGetProperty("code", out var code) && code.GetString() is { Length: > 0 }, $"{what}: no stable code in {text}");
    }

    [Fact]
    public async Task HostileBodiesAtEveryEndpointGetProblem4xxAndChangeNothing()
    {
        int seed = Environment.GetEnvironmentVariable("PAYMENTS_FUZZ_SEED") is { } s ? int.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (set PAYMENTS_FUZZ_SEED to replay)");
        var random = new Random(seed);

        var merchant = await api.NewAppAsync();
        var created = await merchant.PostAsync("/api/v1/payments",
            """{"merchantOrderNo":"fuzz-base","amount":1000,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Base"}""");
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        string paymentId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        var admin = api.OperatorClient("Admin");
        var before = await CountRowsAsync();

        string[] merchantPosts = ["/api/v1/payments", $"/api/v1/payments/{paymentId}/refunds", $"/api/v1/payments/{paymentId}/close"];
        string[] adminPosts =
        [
            "/api/v1/admin/merchants", "/api/v1/admin/merchants/mch_x/apps", "/api/v1/admin/channel-accounts",
            "/api/v1/admin/exceptions/exc_000000000000000000000000/resolve", "/api/v1/admin/reconciliations",
        ];
        int tried = 0;
        foreach (var (name, body) in NastyBodies(random).ToList())
        {
            foreach (string path in merchantPosts)
            {
                // The close endpoint takes no body: hostile bytes there must not matter either.
                var response = await merchant.Http.SendAsync(merchant.Request(HttpMethod.Post, path, body));
                if (path.EndsWith("/close", StringComparison.Ordinal) && response.IsSuccessStatusCode)
                {
                    continue;
                }

                await AssertProblemAsync(response, $"seed {seed}, {name} at POST {path}");
                tried++;
            }

            foreach (string path in adminPosts)
            {
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new("application/json");
                await AssertProblemAsync(await admin.PostAsync(path, content), $"seed {seed}, {name} at POST {path}");
                tried++;
            }

            var put = new ByteArrayContent(body);
            put.Headers.ContentType = new("application/json");
            await AssertProblemAsync(await admin.PutAsync("/api/v1/admin/merchants/mch_x/risk-rules", put), $"seed {seed}, {name} at PUT risk-rules");

            var callback = new ByteArrayContent(body);
            callback.Headers.ContentType = new("application/json");
            await AssertProblemAsync(await api.CreateClient().PostAsync("/api/v1/callbacks/wechatpay/ca_test", callback), $"seed {seed}, {name} at a callback");
            tried += 2;
        }

        // Hostile path and query values at the GET endpoints.
        // (A NUL in the path never reaches the app: the server refuses the request line.)
        foreach (string value in new[] { "%01", "..%2F..%2Fetc", new string('9', 3000), "%C3%28", "pay_' or '1'='1", "%F0%9F%92%A9", "-1" })
        {
            foreach (string path in new[] { $"/api/v1/payments/{value}", $"/api/v1/refunds/{value}", $"/api/v1/payments/{value}/refunds", $"/api/v1/payments?merchantOrderNo={value}", $"/api/v1/payments/{paymentId}?waitForSeconds={value}" })
            {
                await AssertProblemAsync(await merchant.GetAsync(path), $"GET {path}");
                tried++;
            }

            foreach (string path in new[] { $"/api/v1/admin/merchants/{value}", $"/api/v1/admin/apps/{value}", $"/api/v1/admin/exceptions/{value}", $"/api/v1/admin/audit?limit={value}", $"/api/v1/admin/reconciliations/{value}" })
            {
                await AssertProblemAsync(await admin.GetAsync(path), $"GET {path}");
                tried++;
            }
        }

        output.WriteLine($"{tried} hostile requests, all refused with problem+json 4xx");
        Assert.Equal(before, await CountRowsAsync());
    }

    [Fact]
    public async Task EveryMerchantEndpointRefusesAnotherMerchantsIds()
    {
        var owner = await api.NewAppAsync();
        var stranger = await api.NewAppAsync();
        var created = await owner.PostAsync("/api/v1/payments",
            """{"merchantOrderNo":"mine-1","amount":1000,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Mine"}""");
        string paymentId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        string refundId = Core.Ids.RefundId(paymentId, "r-1");
        var before = await CountRowsAsync();

        var attempts = new (HttpMethod Method, string Path, string? Body)[]
        {
            (HttpMethod.Get, $"/api/v1/payments/{paymentId}", null),
            (HttpMethod.Get, "/api/v1/payments?merchantOrderNo=mine-1", null),
            (HttpMethod.Post, $"/api/v1/payments/{paymentId}/close", null),
            (HttpMethod.Post, $"/api/v1/payments/{paymentId}/refunds", """{"merchantRefundNo":"r-1","amount":100}"""),
            (HttpMethod.Get, $"/api/v1/payments/{paymentId}/refunds", null),
            (HttpMethod.Get, $"/api/v1/refunds/{refundId}", null),
        };
        foreach (var (method, path, body) in attempts)
        {
            var response = await stranger.SendAsync(method, path, body);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode}");
            await AssertProblemAsync(response, $"{method} {path}");
        }

        Assert.Equal(before, await CountRowsAsync());
    }
}
