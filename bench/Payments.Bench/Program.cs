using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;
using Payments.Functions;
using Payments.Functions.Api;
using Payments.Infrastructure.Keys;
using Payments.Infrastructure.Messaging;
using Payments.Infrastructure.Storage;

// bench/run.sh recon [lines]: the reconciliation matcher on a generated bill; no storage involved.
if (args is ["recon", .. var reconArgs])
{
    Environment.ExitCode = await ReconciliationBench.RunAsync(reconArgs);
    return;
}

// bench/run.sh sign [iterations]: callback verification cost per channel; no storage involved.
if (args is ["sign", .. var signArgs])
{
    Environment.ExitCode = SignatureBench.Run(signArgs);
    return;
}

// bench/run.sh index [records]: reading one business day of the reconciliation index from Azurite.
if (args is ["index", .. var indexArgs])
{
    Environment.ExitCode = await IndexReadBench.RunAsync(indexArgs, Environment.GetEnvironmentVariable("Storage__ConnectionString") ?? "UseDevelopmentStorage=true");
    return;
}

// Create-payment throughput and latency through the real HTTP stack, side by side with raw
// entity-group inserts of the same entities, on the same Azurite, in one run.
// Usage: dotnet run -c Release --project bench/Payments.Bench -- [requests=3000] [concurrency=32]
int total = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3000;
int concurrency = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 32;
string connection = Environment.GetEnvironmentVariable("Storage__ConnectionString") ?? "UseDevelopmentStorage=true";
// Azurite keeps tables in memory and slows as they grow, so every measurement (warm-ups included)
// gets tables of its own, created empty; otherwise whichever ran later would look slower.
const string AppId = "app_bench";
const string Secret = "sk_bench_secret";
// The app is stored with its secret sealed by a local key ring that the app under test opens too.
string keyDirectory = Directory.CreateTempSubdirectory("bench-keys-").FullName;
var secrets = new SecretProtector(new LocalKeyRing(keyDirectory), KeysOptions.DefaultKeyName, TimeProvider.System);

async Task<StorageClients> FreshStorageAsync(string tag)
{
    var clients = new StorageClients(new StorageOptions { ConnectionString = connection, TablePrefix = tag, QueuePrefix = tag + "-" });
    await clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);
    await new TableDirectories(clients, secrets, TimeProvider.System).SaveAppAsync(new AppRecord(AppId, "mch_bench", "Bench", new Dictionary<string, string> { ["wechatpay"] = "ca_bench" },
        "http://127.0.0.1:9/hook", [Secret], ["whsec_bench"], true), CancellationToken.None);
    return clients;
}

// Creates over HTTP against the real function app (relay on, queue consumers off: in Azure they are other functions).
async Task<Result> MeasureHttpAsync(int count)
{
    string tag = "b" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 8);
    var clients = await FreshStorageAsync(tag);
    var app = PaymentsApp.Build(["--urls", "http://127.0.0.1:0", "--Storage:ConnectionString", connection, "--Storage:TablePrefix", tag,
        "--Storage:QueuePrefix", tag + "-", "--Keys:LocalDirectory", keyDirectory, "--LocalRuntime:Enabled", "false", "--Logging:LogLevel:Default", "Warning"]);
    await app.StartAsync();
    string baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency * 2 }) { BaseAddress = new Uri(baseUrl) };
    try
    {
        return await MeasureAsync("http", count, async (i, run) =>
        {
            string body = $$$"""{"merchantOrderNo":"{{{run}}}-{{{i}}}","amount":1999,"currency":"CNY","channel":"wechatpay","method":"qr","subject":"Bench order {{{i}}}","metadata":{"cart":"c-{{{i}}}"}}""";
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/payments") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.TryAddWithoutValidation("Authorization", HmacAuthentication.AuthorizationHeader(
                AppId, Secret, "POST", "/api/v1/payments", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 24), bytes));
            using var response = await http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"create {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        });
    }
    finally
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await clients.DeleteAllAsync(Queues.All, CancellationToken.None);
    }
}

// The baseline: the same payment entity and outbox row, inserted as one entity-group transaction
// through the same adapter, with a relay that never publishes.
async Task<Result> MeasureRawAsync(int count)
{
    var clients = await FreshStorageAsync("b" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 8));
    var store = new TablePaymentStore(clients, new OutboxRelay(new NeverPublisher(), clients, NullLogger<OutboxRelay>.Instance), TimeProvider.System);
    try
    {
        return await MeasureAsync("raw", count, async (i, run) =>
        {
            var now = TimeProvider.System.GetUtcNow();
            string orderNo = $"{run}-{i}";
            string id = Ids.PaymentId(AppId, orderNo);
            var payment = new Payment
            {
                Id = id, AppId = AppId, MerchantId = "mch_bench", MerchantOrderNo = orderNo, Amount = new Money(1999, Currency.CNY),
                Channel = "wechatpay", Method = "qr", Subject = $"Bench order {i}", NotifyUrl = "http://127.0.0.1:9/hook",
                Metadata = new Dictionary<string, string> { ["cart"] = $"c-{i}" }, ChannelAccountId = "ca_bench", RequestHash = "h",
                ExpiresAt = now.AddMinutes(30), CreatedAt = now, UpdatedAt = now,
            };
            var (outcome, _) = await store.CreateAsync(payment, [ChannelRequests.Message(id, ChannelRequestKind.Create, 0)], CancellationToken.None);
            if (outcome != CreateOutcome.Created)
            {
                throw new InvalidOperationException("raw insert collided");
            }
        });
    }
    finally
    {
        await clients.DeleteAllAsync(Queues.All, CancellationToken.None);
    }
}

async Task<Result> MeasureAsync(string name, int count, Func<int, string, Task> operation)
{
    string run = name + "-" + Guid.NewGuid().ToString("N")[..8];
    var latencies = new double[count];
    int next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            long start = Stopwatch.GetTimestamp();
            await operation(i, run);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    }));
    clock.Stop();
    Array.Sort(latencies);
    return new Result(name, count / clock.Elapsed.TotalSeconds, latencies[count / 2], latencies[(int)(count * 0.99)], latencies[^1]);
}

Console.WriteLine($"Warming up ({Math.Min(300, total)} of each)...");
await MeasureRawAsync(Math.Min(300, total));
await MeasureHttpAsync(Math.Min(300, total));

// Alternate the two, twice, so drift of a shared machine hits both alike.
var raws = new List<Result>();
var creates = new List<Result>();
for (int round = 0; round < 2; round++)
{
    raws.Add(await MeasureRawAsync(total));
    creates.Add(await MeasureHttpAsync(total));
}

Console.WriteLine();
Console.WriteLine($"{total} operations per round, {concurrency} concurrent clients, 2 rounds, fresh tables for each, Azurite at {connection}");
Console.WriteLine($"{"",-44}{"ops/s",10}{"p50 ms",10}{"p99 ms",10}{"max ms",10}");
foreach (var r in raws.Concat(creates))
{
    string label = r.Name == "raw" ? "raw entity-group insert (payment + outbox)" : "POST /api/v1/payments over HTTP";
    Console.WriteLine($"{label,-44}{r.PerSecond,10:0}{r.P50,10:0.0}{r.P99,10:0.0}{r.Max,10:0.0}");
}

double ratio = creates.Average(c => c.PerSecond) / raws.Average(r => r.PerSecond);
Console.WriteLine();
Console.WriteLine($"throughput ratio HTTP create / raw insert: {ratio:0.00} (target >= 0.70)");
Console.WriteLine($"HTTP create p99: {creates.Max(c => c.P99):0.0} ms (target < 50 ms)");

internal sealed record Result(string Name, double PerSecond, double P50, double P99, double Max);

internal sealed class NeverPublisher : IMessagePublisher
{
    public Task PublishAsync(OutboxMessage message, CancellationToken cancellationToken) => Task.CompletedTask;
}
