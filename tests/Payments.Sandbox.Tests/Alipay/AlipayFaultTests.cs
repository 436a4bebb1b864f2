using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Alipay;

internal static class AlipayFaults
{
    public static async Task AddAlipayFaultAsync(this SandboxHost sandbox, string operation, string mode, int count = 1, int delayMs = 0)
    {
        using var response = await sandbox.Http.PostAsJsonAsync("/sandbox/faults", new JsonObject
        {
            ["channel"] = "alipay",
            ["operation"] = operation,
            ["mode"] = mode,
            ["count"] = count,
            ["delayMs"] = delayMs,
        });
        Assert.Equal(200, (int)response.StatusCode);
    }
}

/// <summary>/sandbox/faults for channel alipay: each test has its own sandbox, so faults never leak.</summary>
public sealed class AlipayFaultTests
{
    [Fact]
    public async Task An_error_fault_answers_service_unavailable_signed_and_does_nothing()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        await sandbox.AddAlipayFaultAsync("create", "error");
        var outTradeNo = AlipayTestApp.NewOutTradeNo();

        var reply = await app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo));

        Assert.Equal(("20000", "isp.unknow-error"), (reply.Code, reply.SubCode));
        Assert.True(reply.Signed);
        Assert.Null(await AlipayPayer.InspectAsync(sandbox, outTradeNo));
        Assert.Equal("10000", (await app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo))).Code);
    }

    [Fact]
    public async Task A_timeout_fault_acts_but_withholds_the_answer()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        await sandbox.AddAlipayFaultAsync("create", "timeout", delayMs: 30_000);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        using var impatience = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            app.CallAsync("alipay.trade.precreate", AlipayTestApp.Precreate(outTradeNo), cancellationToken: impatience.Token));

        var trade = await Eventually.MatchAsync(() => AlipayPayer.InspectAsync(sandbox, outTradeNo), t => t is not null);
        Assert.Equal("NOT_CREATED", trade!.Value.GetProperty("tradeStatus").GetString());
    }

    [Fact]
    public async Task Faults_for_one_channel_leave_the_other_alone()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        await sandbox.AddFaultAsync("query", "error");

        Assert.Equal("ACQ.TRADE_NOT_EXIST", (await app.QueryAsync(AlipayTestApp.NewOutTradeNo())).SubCode);
    }
}
