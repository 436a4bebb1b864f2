using Payments.Infrastructure.Storage;
using Payments.Tests.Shared;

namespace Payments.Infrastructure.Tests.Risk;

/// <summary>Risk tables under their own prefix. <see cref="NewInstance"/> gives clients of their own, as
/// another function instance would have.</summary>
public sealed class RiskTablesFixture : IAsyncLifetime
{
    public StorageOptions Options { get; } = Azurite.IsolatedOptions();

    public StorageClients Clients => _clients ??= NewInstance();

    private StorageClients? _clients;

    public StorageClients NewInstance() => new(Options);

    public Task InitializeAsync() => Clients.EnsureCreatedAsync([], CancellationToken.None);

    public Task DisposeAsync() => Clients.DeleteAllAsync([], CancellationToken.None);
}
