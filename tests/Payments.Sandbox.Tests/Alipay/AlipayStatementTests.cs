using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Alipay;

/// <summary>alipay.data.dataservice.bill.downloadurl.query and the GBK zip behind its link, built from the trades.</summary>
public sealed class AlipayStatementTests
{
    private static readonly Encoding Gbk = CreateGbk();

    private static string Today => DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static JsonObject BillQuery(string date) => new() { ["bill_type"] = "trade", ["bill_date"] = date };

    private static Encoding CreateGbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936);
    }

    private static async Task<Dictionary<string, string>> DownloadAsync(SandboxHost sandbox, string url)
    {
        using var response = await sandbox.Http.GetAsync(new Uri(url).PathAndQuery);
        Assert.Equal(200, (int)response.StatusCode);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read, leaveOpen: false, entryNameEncoding: Gbk);
        var files = new Dictionary<string, string>();
        foreach (var entry in zip.Entries)
        {
            using var reader = new StreamReader(entry.Open(), Gbk);
            files[entry.Name] = await reader.ReadToEndAsync();
        }

        return files;
    }

    private static string[] Fields(string row) => row.Split(',').Select(f => f.Trim()).ToArray();

    [Fact]
    public async Task The_days_bill_lists_the_payment_and_its_refund_in_gbk_with_totals()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        var outTradeNo = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(outTradeNo, totalAmount: "10.00"), "approve");
        await app.CallAsync("alipay.trade.refund", new JsonObject { ["out_trade_no"] = outTradeNo, ["refund_amount"] = "3.00", ["out_request_no"] = "ref_1" });
        var tradeNo = (await app.QueryAsync(outTradeNo))["trade_no"];

        var reply = await app.CallAsync("alipay.data.dataservice.bill.downloadurl.query", BillQuery(Today));
        var files = await DownloadAsync(sandbox, reply["bill_download_url"]!);

        Assert.Equal("10000", reply.Code);
        Assert.Equal(2, files.Count);
        var detail = Assert.Single(files, f => f.Key.EndsWith("_业务明细.csv", StringComparison.Ordinal)).Value;
        Assert.Contains(files.Keys, name => name.EndsWith("_业务明细(汇总).csv", StringComparison.Ordinal));
        var lines = detail.Split("\r\n");
        int header = Array.IndexOf(lines, "#-----------------------------------------业务明细列表----------------------------------------") + 1;
        Assert.StartsWith("支付宝交易号,商户订单号,业务类型", lines[header], StringComparison.Ordinal);
        var payment = Fields(lines[header + 1]);
        var refund = Fields(lines[header + 2]);
        Assert.Equal([tradeNo!, outTradeNo, "交易"], payment[..3]);
        Assert.Equal(("10.00", "-0.06", ""), (payment[11], payment[22], payment[21]));
        Assert.Equal([tradeNo!, outTradeNo, "退款"], refund[..3]);
        Assert.Equal(("-3.00", "0.02", "ref_1"), (refund[11], refund[22], refund[21]));
        Assert.Contains("#交易合计：1笔，商家实收共10.00元", detail, StringComparison.Ordinal);
        Assert.Contains("#退款合计：1笔，商家实收退款共-3.00元", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_day_without_a_row_has_no_bill()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);

        var reply = await app.CallAsync("alipay.data.dataservice.bill.downloadurl.query", BillQuery("2020-01-01"));

        Assert.Equal(("40004", "isp.bill_not_exist"), (reply.Code, reply.SubCode));
    }

    [Fact]
    public async Task Mutations_named_by_channel_account_change_the_bill_the_gateway_serves()
    {
        await using var sandbox = new SandboxHost();
        using var key = System.Security.Cryptography.RSA.Create(2048);
        using var onboarding = await sandbox.Http.PostAsJsonAsync("/sandbox/alipay/apps", new JsonObject
        {
            ["appPublicKeyPem"] = key.ExportSubjectPublicKeyInfoPem(),
            ["channelAccountId"] = "ca_recon_alipay",
        });
        var registered = System.Text.Json.JsonDocument.Parse(await onboarding.Content.ReadAsStringAsync()).RootElement;
        var alipayKey = System.Security.Cryptography.RSA.Create();
        alipayKey.ImportFromPem(registered.GetProperty("alipayPublicKeyPem").GetString());
        using var app = new AlipayTestApp(sandbox.Http, registered.GetProperty("appId").GetString()!, System.Security.Cryptography.RSA.Create(key.ExportParameters(true)), alipayKey);
        var kept = AlipayTestApp.NewOutTradeNo();
        var dropped = AlipayTestApp.NewOutTradeNo();
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(kept, totalAmount: "1.00"), "approve");
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(dropped, totalAmount: "2.00"), "approve");

        foreach (var mutation in new[]
        {
            new JsonObject { ["kind"] = "drop", ["transactionId"] = dropped },
            new JsonObject { ["kind"] = "amount", ["transactionId"] = kept, ["value"] = 150 },
            new JsonObject { ["kind"] = "add", ["transactionId"] = "pay_invented", ["value"] = 999 },
        })
        {
            using var response = await sandbox.Http.PostAsJsonAsync($"/sandbox/statements/alipay/ca_recon_alipay/{Today}/mutations", mutation);
            Assert.Equal(200, (int)response.StatusCode);
        }

        var reply = await app.CallAsync("alipay.data.dataservice.bill.downloadurl.query", BillQuery(Today));
        var detail = (await DownloadAsync(sandbox, reply["bill_download_url"]!)).Single(f => !f.Key.Contains("汇总", StringComparison.Ordinal)).Value;
        using var direct = await sandbox.Http.GetAsync($"/sandbox/statements/alipay/ca_recon_alipay/{Today}");

        Assert.DoesNotContain(dropped, detail, StringComparison.Ordinal);
        Assert.Contains(Fields(detail.Split("\r\n").Single(l => l.Contains(kept, StringComparison.Ordinal))), f => f == "1.50");
        Assert.Contains("pay_invented", detail, StringComparison.Ordinal);
        Assert.Contains("#交易合计：2笔，商家实收共11.49元", detail, StringComparison.Ordinal);
        Assert.Equal(200, (int)direct.StatusCode);
        Assert.Contains("pay_invented", Gbk.GetString(await direct.Content.ReadAsByteArrayAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bill_link_needs_no_credentials_and_an_unknown_file_id_finds_nothing()
    {
        await using var sandbox = new SandboxHost();
        using var app = await AlipayTestApp.OnboardAsync(sandbox);
        await AlipayPayer.DecideAsync(sandbox, await app.PrecreateAsync(AlipayTestApp.NewOutTradeNo()), "approve");
        var url = (await app.CallAsync("alipay.data.dataservice.bill.downloadurl.query", BillQuery(Today)))["bill_download_url"]!;

        using var fresh = await sandbox.Http.GetAsync(new Uri(url).PathAndQuery);
        using var forged = await sandbox.Http.GetAsync(new Uri(url).PathAndQuery.Replace("fileId=", "fileId=0", StringComparison.Ordinal));

        Assert.Equal(200, (int)fresh.StatusCode);
        Assert.Equal(404, (int)forged.StatusCode);
    }
}
