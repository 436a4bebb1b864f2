using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Core.Messaging;
using Payments.Functions.Demo;
using Payments.Functions.Tests.Support;
using Payments.Infrastructure.Keys;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// The sandbox and the function app as real processes, like <see cref="EndToEndFixture"/>, but with channel accounts
/// of their own (a statement carries every transaction of its account's day, so no other test may add to it), the
/// sandbox's 0.6% fee configured for comparison, and follow-up queries ten minutes apart, so that a payment whose
/// notification was dropped stays pending until reconciliation finds it.
/// </summary>
public sealed class ReconciliationFixture : IAsyncLifetime
{
    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("payments-keys-").FullName;
    private ProcessHost? _sandbox;
    private ProcessHost? _functions;

    public StorageOptions Storage { get; } = Azurite.IsolatedOptions();
    public StorageClients Clients { get; private set; } = null!;
    public WebhookReceiver Receiver { get; private set; } = null!;
    public Uri SandboxUrl { get; private set; } = null!;
    public Uri ApiUrl { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };
    public ProcessHost Functions => _functions!;
    public string OperatorKey { get; } = "opk_" + RandomNumberGenerator.GetHexString(40, lowercase: true);

    /// <summary>An app whose two channel accounts carry the statements of the discrepancy tests.</summary>
    public SeededApp Statements { get; private set; } = null!;

    /// <summary>An app whose accounts carry only payments left pending on purpose.</summary>
    public SeededApp Pending { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Clients = new StorageClients(Storage);
        await Clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);
        Receiver = await WebhookReceiver.StartAsync();

        SandboxUrl = new Uri($"http://127.0.0.1:{ProcessHost.FreePort()}/");
        _sandbox = new ProcessHost(ProcessHost.BuiltDll("Payments.Sandbox"), $"--urls {SandboxUrl}", new Dictionary<string, string>
        {
            ["Sandbox__NotifyRetrySeconds"] = "1,1,2,2",
            ["Sandbox__Alipay__NotifyRetrySeconds"] = "1,1,2,2",
            ["Sandbox__RefundSettleSeconds"] = "-1",
            ["Sandbox__Card__FeeRatePpm"] = "6000",
            ["Sandbox__Ecny__FeeRatePpm"] = "6000",
            ["Sandbox__Transfer__FeeRatePpm"] = "6000",
            ["Sandbox__UnionPay__FeeRatePpm"] = "6000",
        });
        await _sandbox!.WaitHealthyAsync(Http, new Uri(SandboxUrl, "health"));

        var secrets = new SecretProtector(new LocalKeyRing(_keyDirectory), KeysOptions.DefaultKeyName, TimeProvider.System);
        Statements = await DemoSeeder.SeedAsync(Clients, secrets, Http, SandboxUrl, "mch_rec", "app_rec", "ca_rec_wechatpay", Receiver.Url, null, null, CancellationToken.None);
        Pending = await DemoSeeder.SeedAsync(Clients, secrets, Http, SandboxUrl, "mch_rec", "app_rec_pending", "ca_recp_wechatpay", Receiver.Url, null, null, CancellationToken.None);

        ApiUrl = new Uri($"http://127.0.0.1:{ProcessHost.FreePort()}/");
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
            ["Channels__TimeoutSeconds"] = "5",
            ["Schedules__FollowUpQuerySeconds"] = "600",
            ["Schedules__RefundQuerySeconds"] = "1,1,2",
            ["Schedules__WebhookRetrySeconds"] = "0.5,1,1,2",
            ["Schedules__ChannelRetrySeconds"] = "1",
            ["Reconciliation__FeeRatePpm"] = "6000",
            ["Operators__Keys__0__Name"] = "reconciliation-e2e",
            ["Operators__Keys__0__Key"] = OperatorKey,
            ["Operators__Keys__0__Role"] = "Operator",
        });
        await _functions!.WaitHealthyAsync(Http, new Uri(ApiUrl, "api/health"));
    }

    public SignedClient ClientFor(SeededApp app) =>
        new(new HttpClient { BaseAddress = ApiUrl, Timeout = TimeSpan.FromSeconds(60) }, app.AppId, app.AppSecret);

    public Storefront StorefrontOf(SeededApp app, TimeSpan within) => new(ClientFor(app), Receiver, Functions, within);

    public async Task FaultAsync(string channel, string operation, string mode, int count = 1) =>
        (await Http.PostAsJsonAsync(new Uri(SandboxUrl, "sandbox/faults"), new { channel, operation, mode, count, delayMs = 0 })).EnsureSuccessStatusCode();

    public async Task ClearFaultsAsync() => (await Http.DeleteAsync(new Uri(SandboxUrl, "sandbox/faults"))).EnsureSuccessStatusCode();

    public async Task<HttpResponseMessage> SandboxAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(SandboxUrl, path)) { Content = body is null ? null : JsonContent.Create(body) };
        return await Http.SendAsync(request);
    }

    /// <summary>An admin route called with the operator key.</summary>
    public async Task<HttpResponseMessage> AdminAsync(HttpMethod method, string pathAndQuery, string? json = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(ApiUrl, pathAndQuery.TrimStart('/')));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", OperatorKey);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await Http.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

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
