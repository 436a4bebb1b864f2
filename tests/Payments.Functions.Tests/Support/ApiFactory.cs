using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Payments.Core.Messaging;
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
    }

    public StorageOptions Storage { get; }

    public StorageClients Clients { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Storage:ConnectionString", Storage.ConnectionString);
        builder.UseSetting("Storage:TablePrefix", Storage.TablePrefix);
        builder.UseSetting("Storage:QueuePrefix", Storage.QueuePrefix);
        builder.UseSetting("LocalRuntime:Enabled", "false");
    }

    public async Task<SignedClient> NewAppAsync(string channel = "wechatpay", string? notifyUrl = "http://127.0.0.1:9/hook")
    {
        string appId = "app_" + Guid.NewGuid().ToString("N")[..12];
        string secret = "sk_" + Guid.NewGuid().ToString("N");
        await new TableDirectories(Clients, TimeProvider.System).SaveAppAsync(new AppRecord(
            appId, "mch_" + appId[4..], "Test app", new Dictionary<string, string> { [channel] = "ca_test" }, notifyUrl,
            [secret], ["whsec_test"], Active: true), CancellationToken.None);
        return new SignedClient(CreateClient(), appId, secret);
    }

    public Task InitializeAsync() => Clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await Clients.DeleteAllAsync(Queues.All, CancellationToken.None);

        await base.DisposeAsync();
    }
}
