using System.IO.Compression;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests;

public sealed class StatementTests
{
    private const string Header =
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    private const string SummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

    // Only the settle hook settles, so the refund's state is the test's to choose.
    private static readonly Dictionary<string, string?> NeverSettle = new() { ["Sandbox:RefundSettleSeconds"] = "-1" };

    [Fact]
    public async Task TheTradeBillListsTheDaysPaymentsAndRefundsInWeChatsShapeWithFees()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var day = await PaidDayAsync(sandbox, merchant, 1999, 10000, out var paid);
        var (first, second) = (paid[0], paid[1]);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(first, outRefundNo, 500, 1999))).Status);
        Assert.Equal(200, (await sandbox.SettleRefundAsync(outRefundNo, "SUCCESS")).Status);

        var bill = await DownloadAsync(merchant, day);

        var lines = bill.Split("\r\n");
        Assert.Equal(Header, lines[0]);
        var rows = lines[1..4].Select(Fields).ToList();
        Assert.All(lines[1..4], line => Assert.StartsWith("`", line, StringComparison.Ordinal));
        var paymentOne = rows.Single(r => r[6] == first && r[9] == "SUCCESS");
        Assert.Equal([merchant.MchId, "CNY", "19.99", "0.12000", "0.60%", "19.99", "0.00"], Pick(paymentOne, 2, 11, 12, 22, 23, 24, 25));
        var paymentTwo = rows.Single(r => r[6] == second);
        Assert.Equal(["100.00", "0.60000", "100.00"], Pick(paymentTwo, 12, 22, 24));
        var refund = rows.Single(r => r[9] == "REFUND");
        Assert.Equal(
            [first, "0.00", outRefundNo, "5.00", "ORIGINAL", "SUCCESS", "-0.03000", "0.00", "5.00"],
            Pick(refund, 6, 12, 15, 16, 18, 19, 22, 24, 25));
        Assert.Equal(paymentOne[5], refund[5]);
        Assert.Matches("^50[0-9]{27}$", refund[14]);
        Assert.Equal(SummaryHeader, lines[4]);
        Assert.Equal("`3,`119.99,`5.00,`0.00,`0.69000,`119.99,`5.00", lines[5]);
        Assert.Equal("", lines[6]);
    }

    [Fact]
    public async Task TheStatementRouteServesTheSameFileAsTheBillDownloadUncompressed()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var day = await PaidDayAsync(sandbox, merchant, 42, 4200, out _);

        using var response = await sandbox.Http.GetAsync($"/sandbox/statements/wechatpay/{merchant.MchId}/{day}");

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(await DownloadAsync(merchant, day), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MutationsChangeTheStatementAndItsSummaryButNotTheRecords()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var day = await PaidDayAsync(sandbox, merchant, 100, 200, 300, 400, out var paid);

        await MutateOkAsync(sandbox, merchant.MchId, day, "drop", paid[0], null);
        await MutateOkAsync(sandbox, merchant.MchId, day, "amount", paid[1], 201);
        await MutateOkAsync(sandbox, merchant.MchId, day, "status", paid[2], "CLOSED");
        await MutateOkAsync(sandbox, merchant.MchId, day, "fee", paid[3], 7);
        var all = await MutateOkAsync(sandbox, merchant.MchId, day, "add", "pay_invented_by_test", 5000);

        Assert.Equal(5, all.GetProperty("mutations").GetArrayLength());
        Assert.Equal(201, all.GetProperty("mutations")[1].GetProperty("value").GetInt64());
        var rows = (await StatementAsync(sandbox, merchant.MchId, day)).Split("\r\n")[1..^3].Select(Fields).ToList();
        Assert.DoesNotContain(rows, r => r[6] == paid[0]);
        Assert.Equal(["2.01", "2.01"], Pick(rows.Single(r => r[6] == paid[1]), 12, 24));
        Assert.Equal("CLOSED", rows.Single(r => r[6] == paid[2])[9]);
        Assert.Equal("0.07000", rows.Single(r => r[6] == paid[3])[22]);
        Assert.Equal(["SUCCESS", "50.00", "0.30000"], Pick(rows.Single(r => r[6] == "pay_invented_by_test"), 9, 24, 22));
        var summary = (await StatementAsync(sandbox, merchant.MchId, day)).Split("\r\n")[^2];
        Assert.Equal("`4,`59.01,`0.00,`0.00,`0.40000,`59.01,`0.00", summary);
        Assert.Equal("SUCCESS", (await merchant.QueryAsync(paid[2])).Json.GetProperty("trade_state").GetString());
    }

    [Fact]
    public async Task ARefundStatusMutationChangesTheRefundsOwnStatus()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var day = await PaidDayAsync(sandbox, merchant, 1000, out var paid);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(paid[0], outRefundNo, 1000, 1000))).Status);

        var processing = Fields((await StatementAsync(sandbox, merchant.MchId, day)).Split("\r\n")[2]);
        Assert.Equal(["REFUND", outRefundNo, "PROCESSING"], Pick(processing, 9, 15, 19));

        await MutateOkAsync(sandbox, merchant.MchId, day, "status", outRefundNo, "ABNORMAL");

        var mutated = Fields((await StatementAsync(sandbox, merchant.MchId, day)).Split("\r\n")[2]);
        Assert.Equal(["REFUND", outRefundNo, "ABNORMAL"], Pick(mutated, 9, 15, 19));
    }

    [Fact]
    public async Task AClosedRefundMovedNoMoneyAndIsNotListed()
    {
        await using var sandbox = new SandboxHost(NeverSettle);
        using var merchant = await sandbox.OnboardAsync();
        var day = await PaidDayAsync(sandbox, merchant, 1000, out var paid);
        var outRefundNo = TestMerchant.NewOutRefundNo();
        Assert.Equal(200, (await merchant.RefundAsync(TestMerchant.RefundRequest(paid[0], outRefundNo, 300, 1000))).Status);
        Assert.Equal(200, (await sandbox.SettleRefundAsync(outRefundNo, "CLOSED")).Status);

        var bill = await StatementAsync(sandbox, merchant.MchId, day);

        Assert.DoesNotContain(outRefundNo, bill, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMerchantOnboardedWithOurChannelAccountIdCanBeNamedByEitherId()
    {
        await using var sandbox = new SandboxHost();
        string mchId = "19" + RandomNumberGenerator.GetString("0123456789", 8);
        using var key = RSA.Create(2048);
        using var onboarding = await sandbox.Http.PostAsJsonAsync("/sandbox/wechatpay/merchants", new JsonObject
        {
            ["mchId"] = mchId,
            ["merchantSerialNo"] = RandomNumberGenerator.GetHexString(40),
            ["merchantPublicKeyPem"] = key.ExportSubjectPublicKeyInfoPem(),
            ["apiV3Key"] = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz", 32),
            ["channelAccountId"] = "ca_statement_test",
        });
        Assert.Equal(200, (int)onboarding.StatusCode);

        await MutateOkAsync(sandbox, "ca_statement_test", "2026-11-22", "add", "pay_by_account_id", 1999);

        Assert.Contains("`pay_by_account_id,", await StatementAsync(sandbox, mchId, "2026-11-22"), StringComparison.Ordinal);
        Assert.Contains("`pay_by_account_id,", await StatementAsync(sandbox, "ca_statement_test", "2026-11-22"), StringComparison.Ordinal);
        using var unknown = await sandbox.Http.GetAsync("/sandbox/statements/wechatpay/ca_nobody/2026-11-22");
        Assert.Equal(404, (int)unknown.StatusCode);
    }

    [Theory]
    [InlineData("""{"kind":"explode","transactionId":"pay_1"}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"drop"}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"drop","transactionId":"pay_1","value":1}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"amount","transactionId":"pay_1","value":"12"}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"amount","transactionId":"pay_1","value":0}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"add","transactionId":"pay_1","value":1.5}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"status","transactionId":"pay_1"}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"status","transactionId":"pay_1","value":"closed"}""", 400, "PARAM_ERROR")]
    [InlineData("""{"kind":"drop","transactionId":"pay_not_on_the_statement"}""", 404, "LINE_NOT_FOUND")]
    [InlineData("""{"kind":"fee","transactionId":"pay_not_on_the_statement","value":-3}""", 404, "LINE_NOT_FOUND")]
    [InlineData("""{"kind":"add","transactionId":"pay_existing","value":100}""", 409, "LINE_EXISTS")]
    [InlineData("""{"kind":"drop",""", 400, "PARAM_ERROR")]
    public async Task AMutationThatCannotApplyIsRefusedAndChangesNothing(string body, int status, string code)
    {
        await using var sandbox = new SandboxHost();
        using var merchant = await sandbox.OnboardAsync();
        await MutateOkAsync(sandbox, merchant.MchId, "2026-11-22", "add", "pay_existing", 100);

        using var response = await sandbox.Http.PostAsync(
            $"/sandbox/statements/wechatpay/{merchant.MchId}/2026-11-22/mutations", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
        using var mutations = await sandbox.Http.GetAsync($"/sandbox/statements/wechatpay/{merchant.MchId}/2026-11-22/mutations");
        Assert.Equal(1, JsonDocument.Parse(await mutations.Content.ReadAsStringAsync()).RootElement.GetProperty("mutations").GetArrayLength());
    }

    [Theory]
    [InlineData("/sandbox/statements/alipay-or-other/19000000/2026-11-22", 404)]
    [InlineData("/sandbox/statements/wechatpay/{mchid}/22-11-2026", 400)]
    [InlineData("/sandbox/statements/wechatpay/{mchid}/2026-02-30", 400)]
    [InlineData("/sandbox/statements/wechatpay/{mchid}/2001-01-01", 404)]
    public async Task AStatementRouteNamingNothingAnswersAnError(string path, int status)
    {
        await using var sandbox = new SandboxHost();
        using var merchant = await sandbox.OnboardAsync();

        using var response = await sandbox.Http.GetAsync(path.Replace("{mchid}", merchant.MchId, StringComparison.Ordinal));

        Assert.Equal(status, (int)response.StatusCode);
    }

    [Fact]
    public async Task ADayWithoutTransactionsHasNoBill()
    {
        await using var sandbox = new SandboxHost();
        using var merchant = await sandbox.OnboardAsync();

        var answer = await merchant.SendAsync(HttpMethod.Get, "/v3/bill/tradebill?bill_date=2001-01-01&bill_type=ALL&tar_type=GZIP", null);

        Assert.Equal(400, answer.Status);
        Assert.Equal("NO_STATEMENT_EXIST", answer.Code);
    }

    [Theory]
    [InlineData("bill_date=2026-1-2")]
    [InlineData("bill_date=2026-11-22&bill_type=SUCCESS")]
    [InlineData("bill_date=2026-11-22&tar_type=ZIP")]
    public async Task ABillRequestTheSandboxCannotServeIsAParamError(string query)
    {
        await using var sandbox = new SandboxHost();
        using var merchant = await sandbox.OnboardAsync();

        var answer = await merchant.SendAsync(HttpMethod.Get, "/v3/bill/tradebill?" + query, null);

        Assert.Equal(400, answer.Status);
        Assert.Equal("PARAM_ERROR", answer.Code);
    }

    [Fact]
    public async Task AStatementErrorFaultFailsTheNextBillApplicationOnly()
    {
        await using var sandbox = new SandboxHost();
        using var merchant = await sandbox.OnboardAsync();
        await MutateOkAsync(sandbox, merchant.MchId, "2026-11-22", "add", "pay_1", 100);
        await sandbox.AddFaultAsync("statement", "error");

        var failed = await merchant.SendAsync(HttpMethod.Get, "/v3/bill/tradebill?bill_date=2026-11-22", null);
        var next = await merchant.SendAsync(HttpMethod.Get, "/v3/bill/tradebill?bill_date=2026-11-22", null);

        Assert.Equal((500, "SYSTEM_ERROR"), (failed.Status, failed.Code));
        Assert.Equal(200, next.Status);
    }

    [Fact]
    public async Task ABillCanOnlyBeDownloadedByTheMerchantWhoAppliedForIt()
    {
        await using var sandbox = new SandboxHost();
        using var merchant = await sandbox.OnboardAsync();
        using var other = await sandbox.OnboardAsync();
        await MutateOkAsync(sandbox, merchant.MchId, "2026-11-22", "add", "pay_1", 100);
        var answer = await merchant.SendAsync(HttpMethod.Get, "/v3/bill/tradebill?bill_date=2026-11-22", null);

        var (status, _) = await other.GetUnsignedAnswerAsync(answer.Json.GetProperty("download_url").GetString()!);

        Assert.Equal(400, status);
    }

    /// <summary>Pays orders of the given amounts now and returns the China-time day they were paid on.</summary>
    private static Task<string> PaidDayAsync(SandboxHost sandbox, TestMerchant merchant, int amount, out List<string> paid) =>
        PaidDayAsync(sandbox, merchant, [amount], out paid);

    private static Task<string> PaidDayAsync(SandboxHost sandbox, TestMerchant merchant, int a, int b, out List<string> paid) =>
        PaidDayAsync(sandbox, merchant, [a, b], out paid);

    private static Task<string> PaidDayAsync(SandboxHost sandbox, TestMerchant merchant, int a, int b, int c, int d, out List<string> paid) =>
        PaidDayAsync(sandbox, merchant, [a, b, c, d], out paid);

    private static Task<string> PaidDayAsync(SandboxHost sandbox, TestMerchant merchant, int[] amounts, out List<string> paid)
    {
        var ids = amounts.Select(_ => TestMerchant.NewOutTradeNo()).ToList();
        paid = ids;
        return PayAsync(sandbox, merchant, ids, amounts);
    }

    private static async Task<string> PayAsync(SandboxHost sandbox, TestMerchant merchant, List<string> ids, int[] amounts)
    {
        string? day = null;
        for (int i = 0; i < ids.Count; i++)
        {
            var created = await merchant.CreateNativeAsync(merchant.NativeOrder(ids[i], total: amounts[i]));
            Assert.Equal(200, created.Status);
            Assert.Equal(200, (await sandbox.DecideAsync(created.Json.GetProperty("code_url").GetString()!, "approve")).Status);
            string successTime = (await merchant.QueryAsync(ids[i])).Json.GetProperty("success_time").GetString()!;
            string paidOn = successTime[..10];
            Assert.True(day is null || day == paidOn, "the test's payments straddle midnight in China; run it again");
            day = paidOn;
        }

        return day!;
    }

    private static async Task<string> DownloadAsync(TestMerchant merchant, string day)
    {
        var answer = await merchant.SendAsync(HttpMethod.Get, $"/v3/bill/tradebill?bill_date={day}&bill_type=ALL&tar_type=GZIP", null);
        Assert.Equal(200, answer.Status);
        Assert.Equal("SHA1", answer.Json.GetProperty("hash_type").GetString());
        string url = answer.Json.GetProperty("download_url").GetString()!;
        Assert.StartsWith("http://localhost/v3/billdownload/file?token=", url, StringComparison.Ordinal);

        var (status, gzipped) = await merchant.GetUnsignedAnswerAsync(url);

        Assert.Equal(200, status);
        using var gzip = new GZipStream(new MemoryStream(gzipped), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        await gzip.CopyToAsync(raw);
        Assert.Equal(answer.Json.GetProperty("hash_value").GetString(), Convert.ToHexStringLower(SHA1.HashData(raw.ToArray())));
        return Encoding.UTF8.GetString(raw.ToArray());
    }

    private static async Task<string> StatementAsync(SandboxHost sandbox, string account, string day)
    {
        using var response = await sandbox.Http.GetAsync($"/sandbox/statements/wechatpay/{account}/{day}");
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<JsonElement> MutateOkAsync(SandboxHost sandbox, string account, string day, string kind, string transactionId, JsonNode? value)
    {
        var body = new JsonObject { ["kind"] = kind, ["transactionId"] = transactionId };
        if (value is not null)
        {
            body["value"] = value;
        }

        using var response = await sandbox.Http.PostAsJsonAsync($"/sandbox/statements/wechatpay/{account}/{day}/mutations", body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(200 == (int)response.StatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string[] Fields(string row) => row[1..].Split(",`");

    private static string[] Pick(string[] fields, params int[] columns) => [.. columns.Select(c => fields[c])];
}
