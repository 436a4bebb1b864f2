using Microsoft.Extensions.Time.Testing;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Tests.Storage;

public class TableNonceStoreTests(StoreFixture fx) : IClassFixture<StoreFixture>
{
    [Fact]
    public async Task ANonceIsAcceptedOnceEvenUnderConcurrency()
    {
        var store = new TableNonceStore(fx.Clients, TimeProvider.System);
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => store.TryUseAsync("app_n", "nonce-concurrent-0001", DateTimeOffset.UtcNow, default)));
        Assert.Equal(1, results.Count(r => r));
    }

    [Fact]
    public async Task NoncesArePerApp()
    {
        var store = new TableNonceStore(fx.Clients, TimeProvider.System);
        Assert.True(await store.TryUseAsync("app_a", "nonce-shared-000001", DateTimeOffset.UtcNow, default));
        Assert.True(await store.TryUseAsync("app_b", "nonce-shared-000001", DateTimeOffset.UtcNow, default));
        Assert.False(await store.TryUseAsync("app_a", "nonce-shared-000001", DateTimeOffset.UtcNow, default));
    }

    [Fact]
    public async Task ANonceMayBeReusedOnlyAfterItsFirstUseLeftTheWindow()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var store = new TableNonceStore(fx.Clients, clock);
        Assert.True(await store.TryUseAsync("app_r", "nonce-reuse-0000001", clock.GetUtcNow(), default));
        clock.Advance(TimeSpan.FromSeconds(599));
        Assert.False(await store.TryUseAsync("app_r", "nonce-reuse-0000001", clock.GetUtcNow(), default));
        clock.Advance(TableNonceStore.Retention);
        Assert.True(await store.TryUseAsync("app_r", "nonce-reuse-0000001", clock.GetUtcNow(), default));
    }

    [Fact]
    public async Task GroupCommittedNoncesAreDecidedOneByOneWhenAReplayIsAmongThem()
    {
        var store = new TableNonceStore(fx.Clients, TimeProvider.System);
        Assert.True(await store.TryUseAsync("app_g", "nonce-replayed-00001", DateTimeOffset.UtcNow, default));

        // Fresh nonces and replays of a used one arrive together and share batches.
        var fresh = Enumerable.Range(0, 60).Select(i => store.TryUseAsync("app_g", $"nonce-fresh-{i:D6}", DateTimeOffset.UtcNow, default)).ToList();
        var replays = Enumerable.Range(0, 10).Select(_ => store.TryUseAsync("app_g", "nonce-replayed-00001", DateTimeOffset.UtcNow, default)).ToList();

        Assert.All(await Task.WhenAll(fresh), Assert.True);
        Assert.All(await Task.WhenAll(replays), Assert.False);
        var again = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => store.TryUseAsync("app_g", $"nonce-fresh-{i:D6}", DateTimeOffset.UtcNow, default)));
        Assert.All(again, Assert.False);
    }
}
