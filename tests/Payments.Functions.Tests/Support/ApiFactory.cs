using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Payments.Core.Messaging;
using Payments.Infrastructure.Keys;
using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.Support;

/// <summary>The real function app in-process (no queue pumps, no timers) on its own Azurite tables.</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public ApiFactory()
    {
        Storage = Azurite.IsolatedOptions();
        Clients = new StorageClients(Storage);
        KeyDirectory = Directory.CreateTempSubdirectory("payments-keys-").FullName;
        Secrets = new SecretProtector(new LocalKeyRing(KeyDirectory), KeysOptions.DefaultKeyName, TimeProvider.System);
    }

    public StorageOptions Storage { get; }

    public StorageClients Clients { get; }

    /// <summary>The app's local key ring: what the tests seal here, the app opens.</summary>
    public string KeyDirectory { get; }

    public SecretProtector Secrets { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:ConnectionString", Storage.ConnectionString);
        builder.UseSetting("Storage:TablePrefix", Storage.TablePrefix);
        builder.UseSetting("Storage:QueuePrefix", Storage.QueuePrefix);
        builder.UseSetting("LocalRuntime:Enabled", "false");
        foreach (var (role, i) in new[] { ("Admin", 0), ("Operator", 1), ("Auditor", 2) })
        {
            builder.UseSetting($"Operators:Keys:{i}:Name", role.ToLowerInvariant());
            builder.UseSetting($"Operators:Keys:{i}:Role", role);
            builder.UseSetting($"Operators:Keys:{i}:Key", OperatorKey(role));
        }
        builder.UseSetting("Keys:LocalDirectory", KeyDirectory);
    }

    /// <summary>The operator key the app is configured with for a role (Admin, Operator, Auditor).</summary>
    public static string OperatorKey(string role) => $"test-operator-key-{role.ToLowerInvariant()}-0123456789abcdef";

    public HttpClient OperatorClient(string role)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", OperatorKey(role));
        return client;
    }

    public async Task<SignedClient> NewAppAsync(string channel = "wechatpay", string? notifyUrl = "http://127.0.0.1:9/hook")
    {
        string appId = "app_" + Guid.NewGuid().ToString("N")[..12];
        string secret = "sk_" + Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        await new TableMerchantDirectory(Clients, TimeProvider.System).TryAddMerchantAsync(
            new Core.Apps.Merchant("mch_" + appId[4..], "Test merchant", "test@example.com", Core.Apps.MerchantStatus.Active, now, now), CancellationToken.None);
        await new TableDirectories(Clients, Secrets, TimeProvider.System).SaveAppAsync(new AppRecord(
            appId, "mch_" + appId[4..], "Test app", new Dictionary<string, string> { [channel] = "ca_test" }, notifyUrl,
            [secret], ["whsec_test"], Active: true), CancellationToken.None);
        return new SignedClient(CreateClient(), appId, secret);
    }

    public Task InitializeAsync() => Clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await Clients.DeleteAllAsync(Queues.All, CancellationToken.None);
        Directory.Delete(KeyDirectory, recursive: true);

        await base.DisposeAsync();
    }
}
