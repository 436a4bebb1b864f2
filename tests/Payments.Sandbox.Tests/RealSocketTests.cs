using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

/// <summary>What only shows over a real connection: the port the sandbox was reached on, and a client hanging up.</summary>
public sealed class RealSocketTests
{
    [Fact]
    public async Task The_code_url_names_the_host_and_port_the_create_was_sent_to()
    {
        await using var sandbox = new SandboxHost(realSockets: true);
        using var merchant = await sandbox.OnboardAsync();
        var baseAddress = sandbox.Http.BaseAddress!;
        Assert.NotEqual(0, baseAddress.Port);

        var created = await merchant.CreateNativeAsync(merchant.NativeOrder(TestMerchant.NewOutTradeNo()));
        var codeUrl = new Uri(created.Json.GetProperty("code_url").GetString()!);
        using var browser = new HttpClient();
        using var page = await browser.GetAsync(codeUrl);

        Assert.Equal(baseAddress.GetLeftPart(UriPartial.Authority), codeUrl.GetLeftPart(UriPartial.Authority));
        Assert.Equal(200, (int)page.StatusCode);
    }

    [Fact]
    public async Task A_timed_out_create_happened_though_the_client_hung_up()
    {
        await using var sandbox = new SandboxHost(realSockets: true);
        using var merchant = await sandbox.OnboardAsync();
        var outTradeNo = TestMerchant.NewOutTradeNo();
        await sandbox.AddFaultAsync("create", "timeout");
        using var clientTimeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => merchant.CreateNativeAsync(merchant.NativeOrder(outTradeNo), clientTimeout.Token));

        Assert.Equal("NOTPAY", (await merchant.QueryAsync(outTradeNo)).Json.GetProperty("trade_state").GetString());
    }
}
