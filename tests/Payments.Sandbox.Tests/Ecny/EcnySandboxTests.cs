using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Sandbox.Tests.Support;

namespace Payments.Sandbox.Tests.Ecny;

/// <summary>The e-CNY operator simulator through its HTTP surface: SM2 onboarding and signatures, orders, the wallet pages,
/// notifications with retries, expiry, refunds, statements and faults.</summary>
public sealed class EcnySandboxTests
{
    private static readonly Dictionary<string, string?> FastRetries = new() { ["Sandbox:Ecny:NotifyRetrySeconds"] = "0,0,0" };

    private static string NewOutTradeNo() => "pay_" + RandomNumberGenerator.GetHexString(16, lowercase: true);

    private static string Today => DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static async Task<(int Status, JsonElement Body)> DecideAsync(SandboxHost sandbox, string url, string decision)
    {
        using var response = await sandbox.Http.PostAsJsonAsync(new Uri(url).PathAndQuery, new { decision });
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static async Task<JsonElement> InspectAsync(SandboxHost sandbox, string outTradeNo)
    {
        using var response = await sandbox.Http.GetAsync($"/sandbox/ecny/orders/{outTradeNo}");
        Assert.Equal(200, (int)response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task OnboardingTakesOnlyAnSm2PublicKey()
    {
        await using var sandbox = new SandboxHost();
        using var rsa = RSA.Create(2048);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (string pem in new[] { rsa.ExportSubjectPublicKeyInfoPem(), p256.ExportSubjectPublicKeyInfoPem(), p256.ExportPkcs8PrivateKeyPem(), "" })
        {
            using var refused = await sandbox.Http.PostAsJsonAsync("/sandbox/ecny/merchants", new JsonObject { ["merchantSerialNo"] = "S1", ["merchantSm2PublicKeyPem"] = pem });
            Assert.Equal(400, (int)refused.StatusCode);
        }

        var (_, publicPem) = EcnyTestMerchant.NewKey();
        using var badKey = await sandbox.Http.PostAsJsonAsync("/sandbox/ecny/merchants", new JsonObject { ["merchantSerialNo"] = "S1", ["merchantSm2PublicKeyPem"] = publicPem, ["notifySm4KeyHex"] = "abc" });
        Assert.Equal(400, (int)badKey.StatusCode);

        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        Assert.Matches("^[0-9]{15}$", merchant.MerchantNo);
        Assert.Equal(16, merchant.NotifyKey.Length);
    }

    [Fact]
    public async Task UnsignedTamperedStaleAndForeignCallsAreRefusedWithASignedAnswer()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        var order = merchant.Order(NewOutTradeNo(), "http://127.0.0.1:9/notify");

        var tampered = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", order.DeepClone().AsObject(), tamper: true);
        var stale = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", order.DeepClone().AsObject(), at: DateTimeOffset.UtcNow.AddMinutes(-6));
        using var unsigned = await sandbox.Http.PostAsJsonAsync("/ecny/v1/orders", order);

        foreach (var answer in new[] { tampered, stale })
        {
            Assert.Equal((401, "SIGN_ERROR", true), (answer.Status, answer.Body.GetProperty("code").GetString(), answer.SignatureValid));
        }

        Assert.Equal(401, (int)unsigned.StatusCode);

        // Another merchant's number in the body is refused even when the call itself is signed.
        var foreign = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(NewOutTradeNo(), "http://127.0.0.1:9/notify").Also(o => o["merchantNo"] = "8900000000999"));
        Assert.Equal((400, "MERCHANT_MISMATCH"), (foreign.Status, foreign.Body.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task AnOrderAnswersASignedCodeUrlAndARepeatAnswersTheSameOrder()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        string outTradeNo = NewOutTradeNo();

        var first = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, "http://127.0.0.1:9/notify"));
        var again = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, "http://127.0.0.1:9/notify"));
        var otherTerms = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, "http://127.0.0.1:9/notify", amount: 2000));
        var app = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(NewOutTradeNo(), "http://127.0.0.1:9/notify", tradeType: "APP"));

        Assert.Equal((200, true, "WAIT_PAY"), (first.Status, first.SignatureValid, first.Body.GetProperty("status").GetString()));
        Assert.Contains("/ecny/qr/", first.Body.GetProperty("codeUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(first.Body.GetProperty("orderNo").GetString(), again.Body.GetProperty("orderNo").GetString());
        Assert.Equal((400, "OUT_TRADE_NO_USED"), (otherTerms.Status, otherTerms.Body.GetProperty("code").GetString()));
        Assert.Contains("/ecny/wallet/", app.Body.GetProperty("appPayUrl").GetString(), StringComparison.Ordinal);
        Assert.False(app.Body.TryGetProperty("codeUrl", out _));
        Assert.Equal(3, (await InspectAsync(sandbox, outTradeNo)).GetProperty("createCalls").GetInt32());

        var missing = await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/orders/nope?merchantNo={merchant.MerchantNo}");
        Assert.Equal((404, "ORDER_NOT_EXIST", true), (missing.Status, missing.Body.GetProperty("code").GetString(), missing.SignatureValid));
    }

    [Fact]
    public async Task AnApprovalPaysTheOrderAndTheSignedNotificationIsRetriedUntilAcknowledged()
    {
        await using var sandbox = new SandboxHost(FastRetries);
        await using var receiver = await EcnyReceiver.StartAsync(failFirst: 2);
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        string outTradeNo = NewOutTradeNo();
        var created = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, receiver.NotifyUrl));

        var (status, decided) = await DecideAsync(sandbox, created.Body.GetProperty("codeUrl").GetString()!, "approve");
        Assert.Equal((200, "SUCCESS"), (status, decided.GetProperty("status").GetString()));

        var deliveries = new[] { await receiver.NextAsync(), await receiver.NextAsync(), await receiver.NextAsync() };
        Assert.All(deliveries, d => Assert.True(merchant.IsSignedByPlatform(name => d.Headers.GetValueOrDefault(name), d.Body), "each attempt is signed by the platform"));
        Assert.Single(deliveries.Select(d => d.Json.GetProperty("id").GetString()).Distinct());
        var notification = deliveries[0].Json;
        Assert.Equal(("PAYMENT.SUCCESS", "order", outTradeNo, "SUCCESS"), (
            notification.GetProperty("eventType").GetString(), notification.GetProperty("resourceType").GetString(),
            merchant.Resource(notification).GetProperty("outTradeNo").GetString(), merchant.Resource(notification).GetProperty("status").GetString()));

        var inspected = await Eventually.MatchAsync(() => InspectAsync(sandbox, outTradeNo), o => o.GetProperty("notifications")[0].GetProperty("acknowledged").GetBoolean());
        Assert.Equal(3, inspected.GetProperty("notifications")[0].GetProperty("attempts").GetInt32());
        var queried = await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/orders/{outTradeNo}?merchantNo={merchant.MerchantNo}");
        Assert.Equal(("SUCCESS", 1999L), (queried.Body.GetProperty("status").GetString(), queried.Body.GetProperty("amount").GetInt64()));
        Assert.True(queried.Body.TryGetProperty("payTime", out _));
    }

    [Fact]
    public async Task ADeclineFailsTheOrderForGood()
    {
        await using var sandbox = new SandboxHost(FastRetries);
        await using var receiver = await EcnyReceiver.StartAsync();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        string outTradeNo = NewOutTradeNo();
        var created = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, receiver.NotifyUrl, tradeType: "APP"));
        string url = created.Body.GetProperty("appPayUrl").GetString()!;

        Assert.Equal(200, (await DecideAsync(sandbox, url, "decline")).Status);
        var notification = (await receiver.NextAsync()).Json;
        Assert.Equal(("PAYMENT.FAILED", "PAYER_DECLINED"), (notification.GetProperty("eventType").GetString(), merchant.Resource(notification).GetProperty("failCode").GetString()));

        var late = await DecideAsync(sandbox, url, "approve");
        Assert.Equal((409, "ORDER_FAILED"), (late.Status, late.Body.GetProperty("code").GetString()));
        Assert.Equal(400, (await DecideAsync(sandbox, url, "maybe")).Status);
    }

    [Fact]
    public async Task AnUnpaidOrderClosesAtItsExpiryAndNotifiesIt()
    {
        await using var sandbox = new SandboxHost(FastRetries);
        await using var receiver = await EcnyReceiver.StartAsync();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        string outTradeNo = NewOutTradeNo();
        var created = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, receiver.NotifyUrl, expiresAt: DateTimeOffset.UtcNow.AddSeconds(2)));

        var notification = (await receiver.NextAsync()).Json;
        Assert.Equal(("PAYMENT.CLOSED", "CLOSED"), (notification.GetProperty("eventType").GetString(), merchant.Resource(notification).GetProperty("status").GetString()));
        var late = await DecideAsync(sandbox, created.Body.GetProperty("codeUrl").GetString()!, "approve");
        Assert.Equal((409, "ORDER_CLOSED"), (late.Status, late.Body.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task CloseStopsAnUnpaidOrderButNotAPaidOne()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        string unpaid = NewOutTradeNo(), paid = NewOutTradeNo();
        await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(unpaid, "http://127.0.0.1:9/notify"));
        var paidOrder = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(paid, "http://127.0.0.1:9/notify"));
        await DecideAsync(sandbox, paidOrder.Body.GetProperty("codeUrl").GetString()!, "approve");

        var closed = await merchant.CallAsync(HttpMethod.Post, $"/ecny/v1/orders/{unpaid}/close", new JsonObject());
        var refused = await merchant.CallAsync(HttpMethod.Post, $"/ecny/v1/orders/{paid}/close", new JsonObject());

        Assert.Equal((200, "CLOSED"), (closed.Status, closed.Body.GetProperty("status").GetString()));
        Assert.Equal((400, "ORDER_PAID"), (refused.Status, refused.Body.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task PartialRefundsAddUpToThePaidAmountAndNoFurther()
    {
        await using var sandbox = new SandboxHost(FastRetries);
        await using var receiver = await EcnyReceiver.StartAsync();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        string outTradeNo = NewOutTradeNo();
        var created = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, receiver.NotifyUrl, amount: 1000));
        var early = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/refunds", merchant.Refund(outTradeNo, "rf_0", 100, 1000, receiver.NotifyUrl));
        Assert.Equal((400, "ORDER_NOT_PAID"), (early.Status, early.Body.GetProperty("code").GetString()));
        await DecideAsync(sandbox, created.Body.GetProperty("codeUrl").GetString()!, "approve");
        await receiver.NextAsync();

        var first = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/refunds", merchant.Refund(outTradeNo, "rf_1", 300, 1000, receiver.NotifyUrl));
        var repeat = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/refunds", merchant.Refund(outTradeNo, "rf_1", 300, 1000, receiver.NotifyUrl));
        var second = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/refunds", merchant.Refund(outTradeNo, "rf_2", 700, 1000, receiver.NotifyUrl));
        var tooMuch = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/refunds", merchant.Refund(outTradeNo, "rf_3", 1, 1000, receiver.NotifyUrl));

        Assert.Equal((200, "SUCCESS", 300L, true), (first.Status, first.Body.GetProperty("status").GetString(), first.Body.GetProperty("refundAmount").GetInt64(), first.SignatureValid));
        Assert.Equal(first.Body.GetProperty("refundNo").GetString(), repeat.Body.GetProperty("refundNo").GetString());
        Assert.Equal(200, second.Status);
        Assert.Equal((400, "REFUND_AMOUNT_EXCEEDED"), (tooMuch.Status, tooMuch.Body.GetProperty("code").GetString()));

        var notices = new[] { (await receiver.NextAsync()).Json, (await receiver.NextAsync()).Json };
        Assert.All(notices, n => Assert.Equal(("REFUND.SUCCESS", "refund"), (n.GetProperty("eventType").GetString(), n.GetProperty("resourceType").GetString())));
        Assert.Equal(["rf_1", "rf_2"], notices.Select(n => merchant.Resource(n).GetProperty("outRefundNo").GetString()).Order());

        var queried = await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/refunds/rf_2?merchantNo={merchant.MerchantNo}");
        Assert.Equal((700L, outTradeNo), (queried.Body.GetProperty("refundAmount").GetInt64(), queried.Body.GetProperty("outTradeNo").GetString()));
        var missing = await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/refunds/rf_9?merchantNo={merchant.MerchantNo}");
        Assert.Equal((404, "REFUND_NOT_EXIST"), (missing.Status, missing.Body.GetProperty("code").GetString()));
        Assert.Equal("REFUND", (await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/orders/{outTradeNo}?merchantNo={merchant.MerchantNo}")).Body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task TheStatementIsASignedCsvOfTheDaysPaymentsAndRefundsAndMutationsChangeIt()
    {
        await using var sandbox = new SandboxHost();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http, channelAccountId: "ca_recon_ecny");
        var empty = await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/statements?merchantNo={merchant.MerchantNo}&date={Today}");
        Assert.Equal((404, "NO_STATEMENT_EXIST"), (empty.Status, empty.Body.GetProperty("code").GetString()));

        string paid = NewOutTradeNo(), other = NewOutTradeNo();
        foreach (var (outTradeNo, amount) in new[] { (paid, 1999L), (other, 500L) })
        {
            var created = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, "http://127.0.0.1:9/notify", amount: amount));
            await DecideAsync(sandbox, created.Body.GetProperty("codeUrl").GetString()!, "approve");
        }

        await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/refunds", merchant.Refund(paid, "rf_s1", 300));
        var statement = await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/statements?merchantNo={merchant.MerchantNo}&date={Today}");
        Assert.True(statement.SignatureValid, "the statement is signed over its exact bytes");
        var lines = statement.RawBody.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("recordType,tradeTime,merchantNo,outTradeNo,orderNo,outRefundNo,refundNo,status,amount,fee", lines[0]);
        Assert.Matches($"^PAY,[0-9-]+ [0-9:]+,{merchant.MerchantNo},{paid},EC[0-9]+,,,SUCCESS,1999,0$", lines.Single(l => l.Contains(paid, StringComparison.Ordinal) && l.StartsWith("PAY", StringComparison.Ordinal)));
        Assert.Matches($"^REFUND,.*,{paid},EC[0-9]+,rf_s1,ER[0-9]+,SUCCESS,300,0$", lines.Single(l => l.StartsWith("REFUND", StringComparison.Ordinal)));
        Assert.Equal("TOTAL,3,2499,300", lines[^1]);

        using var mutation = await sandbox.Http.PostAsJsonAsync($"/sandbox/statements/ecny/ca_recon_ecny/{Today}/mutations", new JsonObject { ["kind"] = "drop", ["transactionId"] = other });
        Assert.Equal(200, (int)mutation.StatusCode);
        var mutated = await merchant.CallAsync(HttpMethod.Get, $"/ecny/v1/statements?merchantNo={merchant.MerchantNo}&date={Today}");
        Assert.DoesNotContain(other, mutated.RawBody, StringComparison.Ordinal);
        Assert.EndsWith("TOTAL,2,1999,300\n", mutated.RawBody, StringComparison.Ordinal);
        using var direct = await sandbox.Http.GetAsync($"/sandbox/statements/ecny/ca_recon_ecny/{Today}");
        Assert.Equal(mutated.RawBody, await direct.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FaultsApplyToEachOperationAndADroppedNotificationIsNeverSent()
    {
        await using var sandbox = new SandboxHost(FastRetries);
        await using var receiver = await EcnyReceiver.StartAsync();
        var merchant = await EcnyTestMerchant.OnboardAsync(sandbox.Http);
        foreach (string operation in new[] { "create", "notify" })
        {
            using var fault = await sandbox.Http.PostAsJsonAsync("/sandbox/faults", new JsonObject { ["channel"] = "ecny", ["operation"] = operation, ["mode"] = operation == "create" ? "error" : "drop", ["count"] = 1 });
            Assert.Equal(200, (int)fault.StatusCode);
        }

        string outTradeNo = NewOutTradeNo();
        var failed = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, receiver.NotifyUrl));
        Assert.Equal((500, "SYSTEM_ERROR", true), (failed.Status, failed.Body.GetProperty("code").GetString(), failed.SignatureValid));
        var created = await merchant.CallAsync(HttpMethod.Post, "/ecny/v1/orders", merchant.Order(outTradeNo, receiver.NotifyUrl));
        Assert.Equal(200, created.Status);

        await DecideAsync(sandbox, created.Body.GetProperty("codeUrl").GetString()!, "approve");
        var notification = (await InspectAsync(sandbox, outTradeNo)).GetProperty("notifications")[0];
        Assert.True(notification.GetProperty("dropped").GetBoolean());
        Assert.Equal(0, notification.GetProperty("attempts").GetInt32());
        Assert.Equal(0, receiver.Deliveries);
    }
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject value, Action<JsonObject> change)
    {
        change(value);
        return value;
    }
}
