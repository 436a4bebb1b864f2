using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.UnionPay;

/// <summary>The UnionPay ACP gateway simulator through its HTTP surface, signed as a merchant's SDK signs (written here, apart from both the sandbox and the adapter).</summary>
public sealed class UnionPaySandboxTests
{
    private sealed record Merchant(string MerId, string CertId, RSA Key, X509Certificate2 Root, X509Certificate2 Middle);

    private static async Task<Merchant> OnboardAsync(SandboxHost sandbox)
    {
        var key = RSA.Create(2048);
        using var response = await sandbox.Http.PostAsJsonAsync("/sandbox/unionpay/merchants", new JsonObject { ["merchantPublicKeyPem"] = key.ExportSubjectPublicKeyInfoPem() });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return new Merchant(body.GetProperty("merId").GetString()!, body.GetProperty("certId").GetString()!, key,
            X509Certificate2.CreateFromPem(body.GetProperty("rootCertPem").GetString()), X509Certificate2.CreateFromPem(body.GetProperty("middleCertPem").GetString()));
    }

    private static byte[] HexDigest(IEnumerable<KeyValuePair<string, string>> fields) =>
        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('&', fields.Where(f => f.Key != "signature").OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value))))));

    private static async Task<HttpResponseMessage> PostAsync(SandboxHost sandbox, Merchant merchant, string path, Dictionary<string, string> fields, RSA? signWith = null)
    {
        fields = new Dictionary<string, string>(fields)
        {
            ["version"] = "5.1.0", ["encoding"] = "UTF-8", ["signMethod"] = "01", ["accessType"] = "0", ["merId"] = merchant.MerId, ["certId"] = merchant.CertId,
        };
        fields["signature"] = Convert.ToBase64String((signWith ?? merchant.Key).SignData(HexDigest(fields), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        return await sandbox.Http.PostAsync(path, new FormUrlEncodedContent(fields));
    }

    private static async Task<Dictionary<string, string>> CallAsync(SandboxHost sandbox, Merchant merchant, string path, Dictionary<string, string> fields, RSA? signWith = null)
    {
        using var response = await PostAsync(sandbox, merchant, path, fields, signWith);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        string text = await response.Content.ReadAsStringAsync();

        // Answers are raw k=v; the only multi-line value, the certificate, holds no '&'.
        return text.Split('&').Select(pair => pair.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
    }

    private static Dictionary<string, string> Qr(string orderId, string backUrl, long amount = 1999, int expiresInSeconds = 900, string? txnTime = null) => new()
    {
        ["txnType"] = "01", ["txnSubType"] = "07", ["bizType"] = "000000", ["channelType"] = "08", ["orderId"] = orderId,
        ["txnTime"] = txnTime ?? Beijing(DateTimeOffset.UtcNow), ["txnAmt"] = amount.ToString(System.Globalization.CultureInfo.InvariantCulture), ["currencyCode"] = "156",
        ["backUrl"] = backUrl, ["payTimeout"] = Beijing(DateTimeOffset.UtcNow.AddSeconds(expiresInSeconds)),
    };

    /// <summary>A query names the original by its orderId and the txnTime it was sent with.</summary>
    private static Dictionary<string, string> Query(string orderId, string txnTime) => new()
    {
        ["txnType"] = "00", ["txnSubType"] = "00", ["bizType"] = "000000", ["orderId"] = orderId, ["txnTime"] = txnTime,
    };

    private static string Beijing(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(8)).ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

    private static string NewOrderId() => "T" + RandomNumberGenerator.GetHexString(20);

    /// <summary>What a merchant's SDK checks of every answer: the certificate chains, names UnionPay, and its key signed the fields.</summary>
    private static void AssertSignedByUnionPay(Merchant merchant, Dictionary<string, string> answer)
    {
        using var certificate = X509Certificate2.CreateFromPem(answer["signPubKeyCert"]);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(merchant.Root);
        chain.ChainPolicy.ExtraStore.Add(merchant.Middle);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(certificate), "signPubKeyCert must chain to the onboarding root and middle");
        Assert.Equal("中国银联股份有限公司", certificate.GetNameInfo(X509NameType.SimpleName, false).Split('@')[2]);
        using var key = certificate.GetRSAPublicKey()!;
        Assert.True(key.VerifyData(HexDigest(answer), Convert.FromBase64String(answer["signature"]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public async Task AQrRequestIsAnsweredWithACodeAndASignatureThatChainsToTheOnboardingCertificates()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        string orderId = NewOrderId();

        var answer = await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Qr(orderId, "http://127.0.0.1:9/notify"));

        Assert.Equal(("00", orderId), (answer["respCode"], answer["orderId"]));
        Assert.Contains("/unionpay/qr/", answer["qrCode"], StringComparison.Ordinal);
        AssertSignedByUnionPay(merchant, answer);
    }

    [Fact]
    public async Task ARequestSignedWithAnotherKeyIsRefusedWithCode11()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        using var other = RSA.Create(2048);

        var answer = await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Qr(NewOrderId(), "http://127.0.0.1:9/notify"), other);

        Assert.Equal("11", answer["respCode"]);
        Assert.False(answer.ContainsKey("qrCode"));
    }

    [Fact]
    public async Task AnOrderIsUnknownUntilThePayerOpensItThenPaidWithANotificationRetriedUntilAcknowledged()
    {
        await using var receiver = await NotificationReceiver.StartAsync(n => n == 0 ? 500 : 200);
        await using var sandbox = new SandboxHost(new Dictionary<string, string?> { ["Sandbox:UnionPay:NotifyRetrySeconds"] = "0.2,0.2" });
        var merchant = await OnboardAsync(sandbox);
        string orderId = NewOrderId();
        string placedAt = Beijing(DateTimeOffset.UtcNow);
        string qrCode = (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Qr(orderId, receiver.NotifyUrl, txnTime: placedAt)))["qrCode"];

        Assert.Equal("34", (await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(orderId, placedAt)))["respCode"]);
        Assert.Equal(HttpStatusCode.OK, (await sandbox.Http.GetAsync(new Uri(qrCode).PathAndQuery)).StatusCode);
        var opened = await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(orderId, placedAt));
        Assert.Equal(("00", "05"), (opened["respCode"], opened["origRespCode"]));

        Assert.Equal(HttpStatusCode.OK, (await sandbox.Http.PostAsJsonAsync(new Uri(qrCode).PathAndQuery, new { decision = "approve" })).StatusCode);
        var first = await receiver.NextAsync();
        var second = await receiver.NextAsync();
        Assert.Equal(first.Body, second.Body);
        var notification = Encoding.UTF8.GetString(second.Body).Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
        AssertSignedByUnionPay(merchant, notification);
        var paid = await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(orderId, placedAt));
        Assert.Equal(("00", "00", notification["queryId"], "1999"), (paid["respCode"], paid["origRespCode"], paid["queryId"], paid["txnAmt"]));
        Assert.Equal(HttpStatusCode.Conflict, (await sandbox.Http.PostAsJsonAsync(new Uri(qrCode).PathAndQuery, new { decision = "approve" })).StatusCode);
    }

    [Fact]
    public async Task RefundsArePartialAndSeveralButNeverExceedThePayment()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        string orderId = NewOrderId();
        string placedAt = Beijing(DateTimeOffset.UtcNow);
        string qrCode = (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Qr(orderId, "http://127.0.0.1:9/notify", amount: 1000, txnTime: placedAt)))["qrCode"];
        await sandbox.Http.PostAsJsonAsync(new Uri(qrCode).PathAndQuery, new { decision = "approve" });
        string queryId = (await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(orderId, placedAt)))["queryId"];
        string refundedAt = Beijing(DateTimeOffset.UtcNow);
        Dictionary<string, string> Refund(string refundOrderId, long amount) => new()
        {
            ["txnType"] = "04", ["txnSubType"] = "00", ["bizType"] = "000201", ["channelType"] = "07", ["orderId"] = refundOrderId, ["origQryId"] = queryId,
            ["txnTime"] = refundedAt, ["txnAmt"] = amount.ToString(System.Globalization.CultureInfo.InvariantCulture), ["currencyCode"] = "156", ["backUrl"] = "http://127.0.0.1:9/notify",
        };

        string firstRefund = NewOrderId();
        Assert.Equal("00", (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Refund(firstRefund, 300)))["respCode"]);
        Assert.Equal("00", (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Refund(firstRefund, 300)))["respCode"]);
        Assert.Equal("37", (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Refund(NewOrderId(), 701)))["respCode"]);
        Assert.Equal("00", (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Refund(NewOrderId(), 700)))["respCode"]);

        var refundQuery = await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(firstRefund, refundedAt));
        Assert.Equal(("00", "00", "300", queryId), (refundQuery["respCode"], refundQuery["origRespCode"], refundQuery["txnAmt"], refundQuery["origQryId"]));
    }

    [Fact]
    public async Task AQueryFindsAnOrderOrRefundOnlyByTheTxnTimeItWasSentWith()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        string orderId = NewOrderId();

        // Fixed times an hour apart: "now" could land in the same second as the original and prove nothing.
        var placed = DateTimeOffset.UtcNow.AddHours(-1);
        string placedAt = Beijing(placed);
        string otherTime = Beijing(placed.AddSeconds(1));
        string qrCode = (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Qr(orderId, "http://127.0.0.1:9/notify", amount: 800, txnTime: placedAt)))["qrCode"];
        await sandbox.Http.PostAsJsonAsync(new Uri(qrCode).PathAndQuery, new { decision = "approve" });

        Assert.Equal("34", (await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(orderId, otherTime)))["respCode"]);
        var paid = await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(orderId, placedAt));
        Assert.Equal(("00", "00", placedAt), (paid["respCode"], paid["origRespCode"], paid["txnTime"]));

        string refundOrderId = NewOrderId();
        string refundedAt = Beijing(placed.AddMinutes(5));
        var refund = await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", new()
        {
            ["txnType"] = "04", ["txnSubType"] = "00", ["bizType"] = "000201", ["channelType"] = "07", ["orderId"] = refundOrderId, ["origQryId"] = paid["queryId"],
            ["txnTime"] = refundedAt, ["txnAmt"] = "300", ["currencyCode"] = "156", ["backUrl"] = "http://127.0.0.1:9/notify",
        });
        Assert.Equal("00", refund["respCode"]);

        Assert.Equal("34", (await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(refundOrderId, placedAt)))["respCode"]);
        var refundQuery = await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", Query(refundOrderId, refundedAt));
        Assert.Equal(("00", "00", "300", refundedAt), (refundQuery["respCode"], refundQuery["origRespCode"], refundQuery["txnAmt"], refundQuery["txnTime"]));
    }

    [Fact]
    public async Task AnInjectedQueryErrorAnswersHttp500OnceThenTheGatewayAnswersAgain()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        (await sandbox.Http.PostAsJsonAsync("/sandbox/faults", new { channel = "unionpay", operation = "query", mode = "error", count = 1 })).EnsureSuccessStatusCode();
        var fields = Query(NewOrderId(), Beijing(DateTimeOffset.UtcNow));

        using (var failed = await PostAsync(sandbox, merchant, "/gateway/api/queryTrans.do", fields))
        {
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }

        Assert.Equal("34", (await CallAsync(sandbox, merchant, "/gateway/api/queryTrans.do", fields))["respCode"]);
    }

    [Fact]
    public async Task TheSettlementFileCarriesTheDaysPaymentInFenThroughTheGenericStatementRoute()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await OnboardAsync(sandbox);
        string orderId = NewOrderId();
        string qrCode = (await CallAsync(sandbox, merchant, "/gateway/api/backTransReq.do", Qr(orderId, "http://127.0.0.1:9/notify", amount: 2500)))["qrCode"];
        await sandbox.Http.PostAsJsonAsync(new Uri(qrCode).PathAndQuery, new { decision = "approve" });
        string day = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        string file = await sandbox.Http.GetStringAsync($"/sandbox/statements/unionpay/{merchant.MerId}/{day}");

        string[] lines = file.TrimEnd('\n').Split('\n');
        Assert.Equal("merId,txnType,orderId,queryId,origOrderId,origQryId,completeTime,currencyCode,txnAmt,fee", lines[0]);
        Assert.Contains(lines, l => l.StartsWith($"{merchant.MerId},01,{orderId},", StringComparison.Ordinal) && l.EndsWith(",156,2500,14", StringComparison.Ordinal));
        Assert.Equal("TOTAL,1", lines[^1]);
    }
}
