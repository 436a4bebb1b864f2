using System.Diagnostics;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

public sealed class FaultTests : IAsyncLifetime
{
    private readonly SandboxHost _sandbox = new();
    private TestMerchant _merchant = null!;

    public async Task InitializeAsync() => _merchant = await _sandbox.OnboardAsync();

    public async Task DisposeAsync()
    {
        _merchant.Dispose();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task An_error_fault_answers_500_without_creating_the_order_and_is_used_up()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        await _sandbox.AddFaultAsync("create", "error");

        var failed = await _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo));

        Assert.Equal(500, failed.Status);
        Assert.Equal("SYSTEM_ERROR", failed.Code);
        Assert.Null(await _sandbox.InspectAsync(outTradeNo));
        Assert.Equal(404, (await _merchant.QueryAsync(outTradeNo)).Status);
        Assert.Equal(200, (await _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo))).Status);
    }

    [Fact]
    public async Task A_timeout_fault_creates_the_order_though_the_client_gave_up()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        await _sandbox.AddFaultAsync("create", "timeout", delayMs: 20_000);
        using var clientTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo), clientTimeout.Token));

        var inspected = await Eventually.MatchAsync(() => _sandbox.InspectAsync(outTradeNo), o => o is not null);
        Assert.Equal(1, inspected!.Value.GetProperty("createCalls").GetInt32());
        Assert.Equal("NOTPAY", (await _merchant.QueryAsync(outTradeNo)).Json.GetProperty("trade_state").GetString());
    }

    [Fact]
    public async Task A_timeout_fault_on_close_still_closes()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        Assert.Equal(200, (await _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo))).Status);
        await _sandbox.AddFaultAsync("close", "timeout", delayMs: 20_000);
        using var clientTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _merchant.CloseAsync(outTradeNo).WaitAsync(clientTimeout.Token));

        await Eventually.MatchAsync(
            () => _sandbox.InspectAsync(outTradeNo),
            o => o!.Value.GetProperty("tradeState").GetString() == "CLOSED");
    }

    [Fact]
    public async Task A_delay_fault_answers_normally_after_the_delay()
    {
        var outTradeNo = TestMerchant.NewOutTradeNo();
        Assert.Equal(200, (await _merchant.CreateNativeAsync(_merchant.NativeOrder(outTradeNo))).Status);
        await _sandbox.AddFaultAsync("query", "delay", delayMs: 300);

        var started = Stopwatch.StartNew();
        var query = await _merchant.QueryAsync(outTradeNo);

        Assert.Equal(200, query.Status);
        // Timers may fire a tick early against the stopwatch; the margin is far below the delay.
        Assert.True(started.ElapsedMilliseconds >= 250, $"answered after {started.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_fault_with_a_count_hits_that_many_calls_and_DELETE_clears_the_rest()
    {
        await _sandbox.AddFaultAsync("query", "error", count: 2);
        await _sandbox.AddFaultAsync("create", "error", count: 5);

        Assert.Equal(500, (await _merchant.QueryAsync("pay_whatever01")).Status);
        Assert.Equal(500, (await _merchant.QueryAsync("pay_whatever01")).Status);
        Assert.Equal(404, (await _merchant.QueryAsync("pay_whatever01")).Status);
        using var cleared = await _sandbox.Http.DeleteAsync("/sandbox/faults");
        Assert.True(cleared.IsSuccessStatusCode);
        Assert.Equal(200, (await _merchant.CreateNativeAsync(_merchant.NativeOrder(TestMerchant.NewOutTradeNo()))).Status);
    }
}
