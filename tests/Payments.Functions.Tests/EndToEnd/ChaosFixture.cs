using System.Net.Http.Json;
using System.Text.Json;
using Payments.Core.Messaging;
using Payments.Functions.Demo;
using Payments.Functions.Tests.Support;
using Payments.Infrastructure.Keys;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>The sandbox and the function app as real processes, like <see cref="EndToEndFixture"/>, but with
/// the timers on and firing every few seconds, and a short queue visibility timeout, so that what a killed
/// process left behind (outbox rows, invisible messages, unanswered callbacks) is recovered within the test.
/// The function app can be killed and started again on the same port and storage.</summary>
public sealed class ChaosFixture : IAsyncLifetime
{
    private readonly string _keyDirectory = Directory.CreateTempSubdirectory("payments-keys-").FullName;
    private readonly List<ProcessHost> _killed = [];
    private ProcessHost? _sandbox;
    private ProcessHost? _functions;
    private Dictionary<string, string> _functionsEnvironment = [];

    public StorageOptions Storage { get; } = Azurite.IsolatedOptions();
    public StorageClients Clients { get; private set; } = null!;
    public WebhookReceiver Receiver { get; private set; } = null!;
    public Uri SandboxUrl { get; private set; } = null!;
    public Uri ApiUrl { get; private set; } = null!;
    public SeededApp App { get; private set; } = null!;
    public SignedClient Client { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
    public ProcessHost Functions => _functions!;

    /// <summary>The function app's output over every process it has run as, killed ones first.</summary>
    public IEnumerable<string> FunctionsOutput => _killed.SelectMany(p => p.Output).Concat(_functions?.Output ?? []);

    public async Task InitializeAsync()
    {
        Clients = new StorageClients(Storage);
        await Clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);
        Receiver = await WebhookReceiver.StartAsync();

        SandboxUrl = new Uri($"http://127.0.0.1:{ProcessHost.FreePort()}/");
        _sandbox = new ProcessHost(ProcessHost.BuiltDll("Payments.Sandbox"), $"--urls {SandboxUrl}", new Dictionary<string, string>
        {
            // Retried for longer than the function app's restart takes, as the real channel retries for a day.
            ["Sandbox__NotifyRetrySeconds"] = "1,1,2,2,3,5,8",
            ["Sandbox__RefundSettleSeconds"] = "-1",
        });
        await _sandbox!.WaitHealthyAsync(Http, new Uri(SandboxUrl, "health"));

        var secrets = new SecretProtector(new LocalKeyRing(_keyDirectory), KeysOptions.DefaultKeyName, TimeProvider.System);
        App = await DemoSeeder.SeedAsync(Clients, secrets, Http, SandboxUrl, "mch_chaos", "app_chaos", "ca_chaos_wechatpay", Receiver.Url, null, null, CancellationToken.None);

        ApiUrl = new Uri($"http://127.0.0.1:{ProcessHost.FreePort()}/");
        _functionsEnvironment = new Dictionary<string, string>
        {
            ["Storage__ConnectionString"] = Storage.ConnectionString,
            ["Storage__TablePrefix"] = Storage.TablePrefix,
            ["Storage__QueuePrefix"] = Storage.QueuePrefix,
            ["Keys__LocalDirectory"] = _keyDirectory,
            ["LocalRuntime__Enabled"] = "true",
            ["LocalRuntime__TimersEnabled"] = "true",
            ["LocalRuntime__Schedules__OutboxSweep"] = "*/3 * * * * *",
            ["LocalRuntime__Schedules__Janitor"] = "*/4 * * * * *",
            // A message in flight when the process dies reappears this soon (5 minutes by default).
            ["LocalRuntime__VisibilityTimeout"] = "00:00:10",
            ["LocalRuntime__RetryBackoff"] = "00:00:00.050",
            ["LocalRuntime__MaxIdleDelay"] = "00:00:00.100",
            ["Payments__PublicBaseUrl"] = ApiUrl.ToString(),
            ["Channels__TimeoutSeconds"] = "2",
            ["Schedules__FollowUpQuerySeconds"] = "1,1,2,3",
            ["Schedules__RefundQuerySeconds"] = "1,1,2",
            // Long enough that a merchant endpoint slowed down by a busy machine is not given up on.
            ["Schedules__WebhookRetrySeconds"] = "0.5,1,2,4,8,15",
            ["Schedules__ChannelRetrySeconds"] = "1",
            ["Schedules__StuckAfterSeconds"] = "3",
            ["Schedules__MinExpiresInSeconds"] = "3",
        };
        await StartFunctionsAsync();
        Client = new SignedClient(new HttpClient { BaseAddress = ApiUrl, Timeout = TimeSpan.FromSeconds(30) }, App.AppId, App.AppSecret);
    }

    /// <summary>Kills the function app without warning (no graceful shutdown: in-flight handlers, relay
    /// dispatches and timers die mid-line) and starts it again on the same port and storage.</summary>
    public async Task RestartFunctionsAsync()
    {
        var dying = _functions!;
        dying.Dispose();
        _killed.Add(dying);
        await StartFunctionsAsync();
    }

    private async Task StartFunctionsAsync()
    {
        _functions = new ProcessHost(ProcessHost.BuiltDll("Payments.Functions"), $"--urls {ApiUrl}", _functionsEnvironment);
        await _functions!.WaitHealthyAsync(Http, new Uri(ApiUrl, "api/health"));
    }

    public async Task FaultAsync(string operation, string mode, int count, int delayMs)
    {
        var response = await Http.PostAsJsonAsync(new Uri(SandboxUrl, "sandbox/faults"), new { channel = "wechatpay", operation, mode, count, delayMs });
        response.EnsureSuccessStatusCode();
    }

    public async Task ClearFaultsAsync() => (await Http.DeleteAsync(new Uri(SandboxUrl, "sandbox/faults"))).EnsureSuccessStatusCode();

    public async Task<JsonElement?> SandboxOrderAsync(string paymentId)
    {
        var response = await Http.GetAsync(new Uri(SandboxUrl, $"sandbox/wechatpay/orders/{paymentId}"));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    public async Task<JsonElement?> SandboxRefundAsync(string refundId)
    {
        var response = await Http.GetAsync(new Uri(SandboxUrl, $"sandbox/wechatpay/refunds/{refundId}"));
        return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement : null;
    }

    /// <summary>Settles a refund the channel is processing; false when it is not (yet, or any more) processing.</summary>
    public async Task<bool> TrySettleRefundAsync(string refundId, string status) =>
        (await Http.PostAsJsonAsync(new Uri(SandboxUrl, $"sandbox/wechatpay/refunds/{refundId}/settle"), new { status })).IsSuccessStatusCode;

    public async Task<HttpResponseMessage> DecideAsync(string payerPageUrl, string decision, bool force = false) =>
        await Http.PostAsJsonAsync(payerPageUrl, new { decision, force });

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
