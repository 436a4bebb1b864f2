using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Payments.Channels.Alipay;
using Payments.Channels.Card;
using Payments.Channels.Ecny;
using Payments.Channels.Transfer;
using Payments.Channels.UnionPay;
using Payments.Channels.WeChatPay;
using Payments.Core;
using Payments.Core.Channels;

/// <summary>
/// What verifying one inbound callback costs per channel: for each adapter, one valid signed (and, where the channel
/// encrypts, encrypted) payment-success notification made with keys generated here, parsed again and again through
/// the adapter's own <c>ParseNotification</c> (verify, decrypt, map). The channels are measured in interleaved rounds
/// in one process, so drift of a shared machine falls on all of them alike. UnionPay's two checks, the signature and
/// the signing certificate's chain, are also timed on their own through <see cref="UnionPaySigner"/>.
/// </summary>
internal static class SignatureBench
{
    private const int Rounds = 10;

    // A real id: UnionPay's orderId is derived from it and must map back.
    private static readonly string PaymentId = Ids.PaymentId("app_bench", "order-1");

    // One instant for signing and for the adapters' replay windows, so a slow run cannot age the notifications out.
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public static int Run(string[] args)
    {
        int iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2000;
        if (iterations < 1)
        {
            Console.Error.WriteLine("iterations must be at least 1");
            return 2;
        }

        var clock = new FixedClock(Now);
        using var http = new HttpClient();
        using var unionPay = new UnionPayFixture();

        var channels = new List<Case>
        {
            Parse("wechatpay", new WeChatPayChannel(http, clock), WeChatPay()),
            Parse("alipay", new AlipayChannel(http, clock), Alipay()),
            Parse("unionpay", new UnionPayChannel(http, clock), unionPay.SignedNotification()),
            Parse("card", new CardChannel(http), Card()),
            Parse("transfer", new TransferChannel(http, clock), Transfer()),
            Parse("ecny", new EcnyChannel(http, clock), Ecny()),
        };
        var unionPayParts = new List<Case>
        {
            new("unionpay signature only", unionPay.SignatureOnly),
            new("unionpay certificate chain only", unionPay.CertificateOnly),
        };
        var all = channels.Concat(unionPayParts).ToList();

        // A notification the adapter refuses would measure the cost of saying no.
        foreach (var c in all)
        {
            if (c.Check() is { } problem)
            {
                Console.Error.WriteLine($"{c.Name}: the generated notification is not accepted: {problem}");
                return 1;
            }
        }

        Console.WriteLine($"Warming up ({Math.Max(200, iterations / 4)} of each, at least 300 ms each)...");
        foreach (var c in all)
        {
            var warm = Stopwatch.StartNew();
            for (int i = 0; i < Math.Max(200, iterations / 4) || warm.ElapsedMilliseconds < 300; i++)
            {
                c.Check();
            }
        }

        // Each round runs a slice of every case, the order rotating, so no case always follows the same neighbour.
        var samples = all.ToDictionary(c => c, _ => new List<double>(iterations));
        var allocated = all.ToDictionary(c => c, _ => 0L);
        for (int round = 0; round < Rounds; round++)
        {
            int slice = iterations / Rounds + (round < iterations % Rounds ? 1 : 0);
            for (int k = 0; k < all.Count; k++)
            {
                var c = all[(round + k) % all.Count];
                var times = samples[c];
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < slice; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    string? problem = c.Check();
                    long end = Stopwatch.GetTimestamp();
                    if (problem is not null)
                    {
                        Console.Error.WriteLine($"{c.Name}: iteration {times.Count} was not accepted: {problem}");
                        return 1;
                    }

                    times.Add((end - start) * 1_000_000.0 / Stopwatch.Frequency);
                }

                allocated[c] += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        var results = all.ToDictionary(c => c, c => Summary.Of(samples[c], allocated[c]));
        Console.WriteLine();
        Console.WriteLine($"{iterations} notifications per channel, {Rounds} interleaved rounds, one thread, {Environment.ProcessorCount} cores");
        Print("ParseNotification (verify + decrypt + map), one valid payment-success notification", channels, results);
        Console.WriteLine();
        Print("UnionPay's two checks on their own (UnionPaySigner, as the adapter calls them)", unionPayParts, results);
        return 0;
    }

    private static void Print(string title, List<Case> cases, Dictionary<Case, Summary> results)
    {
        double cheapest = cases.Min(c => results[c].Median);
        Console.WriteLine(title);
        Console.WriteLine($"{"",-34}{"median µs",11}{"p95 µs",11}{"per s, 1 core",15}{"× cheapest",12}{"B alloc",10}");
        foreach (var c in cases.OrderBy(c => results[c].Median))
        {
            var r = results[c];
            Console.WriteLine($"{c.Name,-34}{r.Median,11:0.0}{r.P95,11:0.0}{r.PerSecond,15:0}{r.Median / cheapest,12:0.0}{r.BytesPerCall,10:0}");
        }
    }

    private static Case Parse(string name, IPaymentChannel channel, Notification notification)
    {
        var account = new ChannelAccount("ca_bench_" + name, name, "sandbox", "mch_bench", new Uri("http://127.0.0.1:9/"), notification.Credentials);
        var headers = new Dictionary<string, string>(notification.Headers, StringComparer.OrdinalIgnoreCase);
        return new Case(name, () => channel.ParseNotification(account, headers, notification.Body) switch
        {
            NotificationParseResult.Valid { Notification: { State.Status: ChannelPaymentStatus.Succeeded } valid } when valid.PaymentId == PaymentId => null,
            NotificationParseResult.Valid valid => $"valid, but {valid.Notification.PaymentId} is {valid.Notification.State.Status}",
            NotificationParseResult.Invalid invalid => invalid.Reason,
            _ => "unexpected result",
        });
    }

    private static Notification WeChatPay()
    {
        const string MchId = "1230000109";
        const string Serial = "5E2E9B8A2A4F4F64B0B1F3B3C2D1E0F9A8B7C6D5";
        const string ResourceNonce = "fdasflkja484";
        using var platform = RSA.Create(2048);
        string apiV3Key = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);
        string transaction = $$$"""{"appid":"wxd678efh567hg6787","mchid":"{{{MchId}}}","out_trade_no":"{{{PaymentId}}}","transaction_id":"4200000000202611241234567890","trade_type":"NATIVE","trade_state":"SUCCESS","trade_state_desc":"支付成功","success_time":"2026-11-24T10:01:02+08:00","amount":{"total":1999,"payer_total":1999,"currency":"CNY","payer_currency":"CNY"}}""";
        string ciphertext = WeChatPayAead.Encrypt(apiV3Key, ResourceNonce, "transaction", transaction);
        string body = $$$"""{"id":"EV-2018022511223320873","create_time":"2026-11-24T10:01:03+08:00","resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS","summary":"支付成功","resource":{"original_type":"transaction","algorithm":"{{{WeChatPayAead.Algorithm}}}","ciphertext":"{{{ciphertext}}}","associated_data":"transaction","nonce":"{{{ResourceNonce}}}"}}""";
        string timestamp = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32);
        return new Notification(
            body,
            new()
            {
                ["Wechatpay-Timestamp"] = timestamp,
                ["Wechatpay-Nonce"] = nonce,
                ["Wechatpay-Serial"] = Serial,
                ["Wechatpay-Signature"] = WeChatPaySigner.Sign(platform, WeChatPaySigner.BuildResponseMessage(timestamp, nonce, body)),
            },
            new()
            {
                ["mchId"] = new(MchId),
                ["apiV3Key"] = new(apiV3Key),
                ["platformSerialNo"] = new(Serial),
                ["platformPublicKeyPem"] = new(platform.ExportSubjectPublicKeyInfoPem()),
            });
    }

    private static Notification Alipay()
    {
        const string AppId = "2021000000000001";
        using var alipay = RSA.Create(2048);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["notify_time"] = "2026-11-24 10:01:03",
            ["notify_type"] = "trade_status_sync",
            ["notify_id"] = "2026112400222100103012345678901234",
            ["app_id"] = AppId,
            ["auth_app_id"] = AppId,
            ["charset"] = "utf-8",
            ["version"] = "1.0",
            ["sign_type"] = AlipaySigner.SignType,
            ["trade_no"] = "2026112422001412345678901234",
            ["out_trade_no"] = PaymentId,
            ["buyer_id"] = "2088102534368455",
            ["buyer_logon_id"] = "159****5620",
            ["seller_id"] = "2088531891668739",
            ["trade_status"] = "TRADE_SUCCESS",
            ["total_amount"] = "19.99",
            ["receipt_amount"] = "19.99",
            ["buyer_pay_amount"] = "19.99",
            ["subject"] = "咖啡豆 Coffee beans & more",
            ["gmt_create"] = "2026-11-24 10:00:58",
            ["gmt_payment"] = "2026-11-24 10:01:02",
            ["fund_bill_list"] = """[{"amount":"19.99","fundChannel":"ALIPAYACCOUNT"}]""",
        };
        parameters["sign"] = AlipaySigner.Sign(alipay, AlipaySigner.BuildSignContent(parameters, excludeSignType: true));
        return new Notification(
            AlipayForm.Encode(parameters),
            [],
            new()
            {
                ["appId"] = new(AppId),
                ["alipayPublicKeyPem"] = new(alipay.ExportSubjectPublicKeyInfoPem()),
            });
    }

    private static Notification Card()
    {
        const string MerchantAccount = "BenchMerchant";
        string hmacKeyHex = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        string body = $$"""{"notificationId":"ntf_1","eventCode":"AUTHORISATION","success":true,"merchantAccount":"{{MerchantAccount}}","merchantReference":"{{PaymentId}}","pspReference":"PSP0123456789ABCDEF","amount":{"value":1999,"currency":"EUR"},"eventDate":"2026-11-24T10:01:02+00:00"}""";
        return new Notification(
            body,
            new() { [CardSigner.HeaderName] = CardSigner.Sign(hmacKeyHex, body) },
            new()
            {
                ["merchantAccount"] = new(MerchantAccount),
                ["hmacKeyHex"] = new(hmacKeyHex),
            });
    }

    private static Notification Transfer()
    {
        const string CorporateId = "CORP01";
        string notifyKeyHex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        string collection = $$$"""{"collectionId":"COL01","merchantRef":"{{{PaymentId}}}","status":"PAID","currency":"CNY","amountDue":12345,"amountCredited":12345,"amountRefunded":0,"virtualAccount":"95581234567890123456","referenceCode":"ABCDEF2345","payUrl":"http://bank/transfer/pay/COL01","expiresAt":"2026-11-25T10:00:00+00:00","paidAt":"2026-11-24T10:09:00+00:00","credits":[{"creditId":"CR01","amount":12345,"payerAccount":"6217********1234","payerName":"Payer","creditedAt":"2026-11-24T10:01:00+00:00"}]}""";
        string body = $$"""{"notificationId":"EVT01","eventType":"CREDIT_RECEIVED","corporateId":"{{CorporateId}}","occurredAt":"2026-11-24T10:01:02+00:00","collection":{{collection}}}""";
        string timestamp = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        return new Notification(
            body,
            new()
            {
                [TransferSigner.NotifyTimestampHeader] = timestamp,
                [TransferSigner.NotifyNonceHeader] = nonce,
                [TransferSigner.NotifySignatureHeader] = TransferSigner.Sign(notifyKeyHex, TransferSigner.NotificationMessage(timestamp, nonce, body)),
            },
            new()
            {
                ["corporateId"] = new(CorporateId),
                ["notifyKeyHex"] = new(notifyKeyHex),
            });
    }

    private static Notification Ecny()
    {
        const string MerchantNo = "8900000000001";
        const string Serial = "PS0001";
        var (platformPrivatePem, platformPublicPem) = EcnySigner.GenerateKeyPairPem();
        byte[] sm4Key = RandomNumberGenerator.GetBytes(16);
        byte[] resourceNonce = RandomNumberGenerator.GetBytes(12);
        string order = $$"""{"merchantNo":"{{MerchantNo}}","outTradeNo":"{{PaymentId}}","orderNo":"EC20261124000000000000000001","tradeType":"QR","status":"SUCCESS","amount":1999,"currency":"CNY","payTime":"2026-11-24T10:01:00+08:00"}""";
        byte[] ciphertext = EcnySm4Gcm.Encrypt(sm4Key, resourceNonce, Encoding.UTF8.GetBytes("order"), Encoding.UTF8.GetBytes(order));
        string body = $$$"""{"id":"EN0001","eventType":"PAYMENT.SUCCESS","createTime":"2026-11-24T10:01:01+08:00","resourceType":"order","resource":{"algorithm":"{{{EcnySm4Gcm.Algorithm}}}","ciphertext":"{{{Convert.ToBase64String(ciphertext)}}}","nonce":"{{{Convert.ToBase64String(resourceNonce)}}}","associatedData":"order"}}""";
        string timestamp = Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        return new Notification(
            body,
            new()
            {
                [EcnyChannel.SerialHeader] = Serial,
                [EcnyChannel.TimestampHeader] = timestamp,
                [EcnyChannel.NonceHeader] = nonce,
                [EcnyChannel.SignatureHeader] = EcnySigner.Sign(EcnySigner.ImportPrivateKeyPem(platformPrivatePem), EcnySigner.BuildResponseMessage(timestamp, nonce, body)),
            },
            new()
            {
                ["merchantNo"] = new(MerchantNo),
                ["platformSerialNo"] = new(Serial),
                ["platformSm2PublicKeyPem"] = new(platformPublicPem),
                ["notifySm4KeyHex"] = new(Convert.ToHexString(sm4Key)),
            });
    }

    /// <summary>A body, its headers, and the account credentials that accept it.</summary>
    private sealed record Notification(string Body, Dictionary<string, string> Headers, Dictionary<string, Secret> Credentials);

    /// <summary>One thing to time; <see cref="Check"/> answers null when the outcome is the expected one, else why not.</summary>
    private sealed record Case(string Name, Func<string?> Check);

    private sealed record Summary(double Median, double P95, double PerSecond, double BytesPerCall)
    {
        public static Summary Of(List<double> microseconds, long allocatedBytes)
        {
            var sorted = microseconds.Order().ToArray();
            return new Summary(
                sorted[sorted.Length / 2],
                sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.95))],
                sorted.Length / (sorted.Sum() / 1_000_000),
                (double)allocatedBytes / sorted.Length);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    /// <summary>
    /// A root, a middle CA and a UnionPay-named signing certificate, as UnionPay's PKI issues them, and one consume
    /// notification signed with the leaf's key.
    /// </summary>
    private sealed class UnionPayFixture : IDisposable
    {
        private const string MerId = "777290058110048";

        private readonly RSA _rootKey = RSA.Create(2048);
        private readonly RSA _middleKey = RSA.Create(2048);
        private readonly RSA _signingKey = RSA.Create(2048);
        private readonly X509Certificate2 _root;
        private readonly X509Certificate2 _middle;
        private readonly string _signingCertificatePem;
        private readonly Dictionary<string, string> _fields;
        private readonly RSA _verifiedKey;

        public UnionPayFixture()
        {
            var rootRequest = new CertificateRequest("CN=Bench Root", _rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            _root = rootRequest.CreateSelfSigned(Now.AddDays(-10), Now.AddYears(5));
            var middleRequest = new CertificateRequest("CN=Bench Middle", _middleKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            middleRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using (var middle = middleRequest.Create(_root, Now.AddDays(-10), Now.AddYears(4), [1, 2, 3]))
            {
                _middle = X509Certificate2.CreateFromPem(middle.ExportCertificatePem());
            }

            using var middleWithKey = _middle.CopyWithPrivateKey(_middleKey);
            var leafRequest = new CertificateRequest("CN=041@Z12400000000001@" + UnionPaySigner.UnionPayName + "@00000001", _signingKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using (var leaf = leafRequest.Create(middleWithKey, Now.AddDays(-1), Now.AddYears(1), RandomNumberGenerator.GetBytes(8)))
            {
                _signingCertificatePem = leaf.ExportCertificatePem();
            }

            _fields = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["version"] = UnionPayWire.Version, ["encoding"] = UnionPayWire.Encoding, ["signMethod"] = UnionPayWire.SignMethodRsa,
                ["txnType"] = "01", ["txnSubType"] = "07", ["bizType"] = "000000", ["accessType"] = "0", ["merId"] = MerId,
                ["orderId"] = UnionPayOrderId.FromId(PaymentId) ?? throw new InvalidOperationException("the payment id has no UnionPay order id"),
                ["txnTime"] = "20261124100102", ["txnAmt"] = "1999", ["currencyCode"] = UnionPayWire.CurrencyCny, ["queryId"] = "612411241001020000001",
                ["traceTime"] = "1124100130", ["respCode"] = "00", ["respMsg"] = "成功", ["signPubKeyCert"] = _signingCertificatePem,
            };
            _fields["signature"] = UnionPaySigner.Sign(_signingKey, UnionPaySigner.BuildSignContent(_fields));
            _verifiedKey = X509Certificate2.CreateFromPem(_signingCertificatePem).GetRSAPublicKey()!;
        }

        public Notification SignedNotification() => new(
            UnionPayWire.EncodeForm(_fields),
            [],
            new()
            {
                ["merId"] = new(MerId),
                ["rootCertPem"] = new(_root.ExportCertificatePem()),
                ["middleCertPem"] = new(_middle.ExportCertificatePem()),
            });

        /// <summary>The signature check as the adapter makes it, with the certificate's key already in hand.</summary>
        public string? SignatureOnly() =>
            UnionPaySigner.Verify(_verifiedKey, UnionPaySigner.BuildSignContent(_fields), _fields["signature"]) ? null : "signature does not verify";

        /// <summary>The certificate check as the adapter makes it: parse, validity, chain to root and middle, CN, key.</summary>
        public string? CertificateOnly()
        {
            using var key = UnionPaySigner.VerifySigningCertificate(_signingCertificatePem, _root, _middle, Now, out string problem);
            return key is null ? problem : null;
        }

        public void Dispose()
        {
            _rootKey.Dispose();
            _middleKey.Dispose();
            _signingKey.Dispose();
            _root.Dispose();
            _middle.Dispose();
            _verifiedKey.Dispose();
        }
    }
}
