using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Reconciliation;
using Payments.Functions.Demo;
using Payments.Functions.Tests.Support;
using Payments.Infrastructure.Keys;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>The whole system as real processes on loopback: the sandbox channel, the function app in
/// local mode (queue pumps on), Azurite, and a merchant webhook endpoint. Schedules are shortened so
/// follow-ups and retries happen in seconds.</summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    private ProcessHost? _sandbox;
    private ProcessHost? _functions;
    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("payments-keys-").FullName;

    public StorageOptions Storage { get; } = Azurite.IsolatedOptions();
    public StorageClients Clients { get; private set; } = null!;
    public WebhookReceiver Receiver { get; private set; } = null!;
    public Uri SandboxUrl { get; private set; } = null!;
    public Uri ApiUrl { get; private set; } = null!;
    public SeededApp App { get; private set; } = null!;
    public SignedClient Client { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };
    public ProcessHost Functions => _functions!;
    public ProcessHost Sandbox => _sandbox!;

    /// <summary>Operator keys the function app starts with (Operators:Keys), one per role the tests act as.</summary>
    public const string OperatorName = "e2e-operator";
    public const string AuditorName = "e2e-auditor";
    public string OperatorKey { get; } = "opk_" + RandomNumberGenerator.GetHexString(40, lowercase: true);
    public string AuditorKey { get; } = "opk_" + RandomNumberGenerator.GetHexString(40, lowercase: true);

    public async Task InitializeAsync()
    {
        Clients = new StorageClients(Storage);
        await Clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);
        Receiver = await WebhookReceiver.StartAsync();

        int sandboxPort = ProcessHost.FreePort();
        SandboxUrl = new Uri($"http://127.0.0.1:{sandboxPort}/");
        _sandbox = new ProcessHost(ProcessHost.BuiltDll("Payments.Sandbox"), $"--urls {SandboxUrl}", new Dictionary<string, string>
        {
            ["Sandbox__NotifyRetrySeconds"] = "1,1,2,2",
            ["Sandbox__Alipay__NotifyRetrySeconds"] = "1,1,2,2",
            ["Sandbox__Card__NotifyRetrySeconds"] = "1,1,2,2",
            ["Sandbox__Ecny__NotifyRetrySeconds"] = "1,1,2,2",
            ["Sandbox__Transfer__NotifyRetrySeconds"] = "1,1,2,2",
            ["Sandbox__UnionPay__NotifyRetrySeconds"] = "1,1,2,2",
            // Refunds stay processing until a test settles them, so every refund outcome is chosen, not raced.
            ["Sandbox__RefundSettleSeconds"] = "-1",
        });
        await _sandbox!.WaitHealthyAsync(Http, new Uri(SandboxUrl, "health"));

        var secrets = new SecretProtector(new LocalKeyRing(_keyDirectory), KeysOptions.DefaultKeyName, TimeProvider.System);
        App = await DemoSeeder.SeedAsync(Clients, secrets, Http, SandboxUrl, "mch_e2e", "app_e2e", "ca_e2e_wechatpay", Receiver.Url, null, null, CancellationToken.None);

        int apiPort = ProcessHost.FreePort();
        ApiUrl = new Uri($"http://127.0.0.1:{apiPort}/");
        _functions = new ProcessHost(ProcessHost.BuiltDll("Payments.Functions"), $"--urls {ApiUrl}", new Dictionary<string, string>
        {
            ["Storage__ConnectionString"] = Storage.ConnectionString,
            ["Storage__TablePrefix"] = Storage.TablePrefix,
            ["Storage__QueuePrefix"] = Storage.QueuePrefix,
            ["Keys__LocalDirectory"] = _keyDirectory,
            ["LocalRuntime__Enabled"] = "true",
            ["LocalRuntime__TimersEnabled"] = "false",
            ["LocalRuntime__RetryBackoff"] = "00:00:00.010",
            ["LocalRuntime__MaxIdleDelay"] = "00:00:00.100",
            ["Payments__PublicBaseUrl"] = ApiUrl.ToString(),
            ["Channels__TimeoutSeconds"] = "2",
            ["Schedules__FollowUpQuerySeconds"] = "1,1,2,3",
            ["Schedules__RefundQuerySeconds"] = "1,1,2",
            ["Schedules__WebhookRetrySeconds"] = "0.5,1,1,2",
            ["Schedules__ChannelRetrySeconds"] = "1",
            ["Schedules__StuckAfterSeconds"] = "1",
            ["Schedules__MinExpiresInSeconds"] = "3",
            ["Operators__Keys__0__Name"] = OperatorName,
            ["Operators__Keys__0__Key"] = OperatorKey,
            ["Operators__Keys__0__Role"] = "Operator",
            ["Operators__Keys__1__Name"] = AuditorName,
            ["Operators__Keys__1__Key"] = AuditorKey,
            ["Operators__Keys__1__Role"] = "Auditor",
        });
        await _functions!.WaitHealthyAsync(Http, new Uri(ApiUrl, "api/health"));
        Client = new SignedClient(new HttpClient { BaseAddress = ApiUrl, Timeout = TimeSpan.FromSeconds(60) }, App.AppId, App.AppSecret);
    }

    public async Task FaultAsync(string operation, string mode, int count = 1, int delayMs = 0, string channel = "wechatpay")
    {
        var response = await Http.PostAsJsonAsync(new Uri(SandboxUrl, "sandbox/faults"), new { channel, operation, mode, count, delayMs });
        response.EnsureSuccessStatusCode();
    }

    public async Task ClearFaultsAsync() => (await Http.DeleteAsync(new Uri(SandboxUrl, "sandbox/faults"))).EnsureSuccessStatusCode();

    public Task<JsonElement?> SandboxOrderAsync(string paymentId) => SandboxStateAsync($"sandbox/wechatpay/orders/{paymentId}");

    /// <summary>What a channel's sandbox holds at one of its inspection paths, or null when it holds nothing there.</summary>
    public async Task<JsonElement?> SandboxStateAsync(string path)
    {
        var response = await Http.GetAsync(new Uri(SandboxUrl, path));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    public Storefront StorefrontWithin(TimeSpan within) => new(Client, Receiver, Functions, within);

    /// <summary>The payment's partition in the payments table: the payment, its inbox, events and refunds.</summary>
    public Task<List<TableEntity>> RowsAsync(string paymentId) =>
        Clients.Payments.QueryAsync<TableEntity>(e => e.PartitionKey == paymentId).ToListAsync().AsTask();

    /// <summary>A callback the function app refused left the payment as it was: still pending, not updated, nothing in its inbox.</summary>
    public async Task AssertUntouchedAsync(Storefront shop, JsonElement before)
    {
        string id = before.GetProperty("id").GetString()!;
        var after = await shop.PaymentAsync(id);
        Assert.Equal(before.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.Equal("pending", after.GetProperty("status").GetString());
        Assert.DoesNotContain(await RowsAsync(id), r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
    }

    /// <summary>However often the channel notified the payment's success, one inbox row and one payment.succeeded event were stored.</summary>
    public async Task AssertSuccessStoredOnceAsync(string paymentId)
    {
        var rows = await RowsAsync(paymentId);
        Assert.Single(rows, r => r.RowKey.StartsWith("inbox|", StringComparison.Ordinal));
        Assert.Single(rows, r => r.RowKey.StartsWith("event|", StringComparison.Ordinal) && r.RowKey.Contains(Core.Ids.EventId(paymentId, "payment.succeeded"), StringComparison.Ordinal));
    }

    /// <summary>The statement lines a channel's adapter reads from the sandbox for the Beijing days of <paramref name="times"/>.</summary>
    public async Task<List<StatementLine>> StatementLinesAsync(IStatementChannel channel, string? channelAccountId, params DateTimeOffset[] times)
    {
        var account = await ChannelAccountAsync(channelAccountId);
        var lines = new List<StatementLine>();
        foreach (var day in times.Select(at => DateOnly.FromDateTime(at.ToOffset(TimeSpan.FromHours(8)).DateTime)).Distinct())
        {
            var download = Assert.IsType<ChannelResult<Stream>.Ok>(await channel.DownloadStatementAsync(account, day, CancellationToken.None));
            await using var statement = download.Value;
            await foreach (var line in channel.ParseStatementAsync(statement, CancellationToken.None))
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    public async Task SettleRefundAsync(string refundId, string status) =>
        (await Http.PostAsJsonAsync(new Uri(SandboxUrl, $"sandbox/wechatpay/refunds/{refundId}/settle"), new { status })).EnsureSuccessStatusCode();

    public async Task<HttpResponseMessage> DecideAsync(string payerPageUrl, string decision, int? notifyTotal = null) =>
        await Http.PostAsJsonAsync(payerPageUrl, notifyTotal is null ? (object)new { decision } : new { decision, notifyTotal });

    /// <summary>An admin route called with an operator key (Authorization: Bearer).</summary>
    public async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string pathAndQuery, string key, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(ApiUrl, pathAndQuery.TrimStart('/')));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await Http.SendAsync(request);
    }

    /// <summary>The seeded channel account as the function app reads it, credentials opened: what a test
    /// needs to talk to the sandbox as the merchant does.</summary>
    public async Task<ChannelAccount> ChannelAccountAsync(string? channelAccountId = null)
    {
        channelAccountId ??= App.ChannelAccountId;
        var secrets = new SecretProtector(new LocalKeyRing(_keyDirectory), KeysOptions.DefaultKeyName, TimeProvider.System);
        return await new TableDirectories(Clients, secrets, TimeProvider.System).GetChannelAccountAsync(channelAccountId, CancellationToken.None)
            ?? throw new InvalidOperationException($"{channelAccountId} was not seeded.");
    }

    public async Task DisposeAsync()
    {
        _functions?.Dispose();
        _sandbox?.Dispose();
        await Receiver.DisposeAsync();
        await Clients.DeleteAllAsync(Queues.All, CancellationToken.None);
        Directory.Delete(_keyDirectory, recursive: true);

        Http.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<EndToEndFixture>
{
    public const string Name = "end-to-end";
}
