using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.WeChatPay;

/// <summary>Keys, accounts and wire documents shared by the WeChat Pay tests.</summary>
internal static class WeChatPayTestData
{
    // The PKCS#8 test key of wechatpay-apiv3/wechatpay-go, utils/sign_test.go, published with its
    // SHA256withRSA signature of "source". The SDK armours it as "TESTING KEY" to keep secret
    // scanners quiet; the standard armour is restored here.
    public const string WeChatPayGoTestKeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd
        fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7
        6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1
        FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR
        0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW
        3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm
        LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km
        OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4
        C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN
        0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF
        +cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y
        gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam
        AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi
        hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2
        6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ
        WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT
        D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/
        aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2
        ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V
        YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV
        BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC
        EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h
        Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq
        +RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/
        jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe
        BDa+8mDLkWu5nHEhOxy2JJZl
        -----END PRIVATE KEY-----
        """;

    public const string MchId = "1230000109";
    public const string AppId = "wxd678efh567hg6787";
    public const string MerchantSerialNo = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
    public const string PlatformSerialNo = "5E2E9B8A2A4F4F64B0B1F3B3C2D1E0F9A8B7C6D5";

    // 32 ASCII characters, used as-is as the AES-256 key.
    public const string ApiV3Key = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

    // The merchant key is the published one, so the request signatures rest on a key whose
    // signatures are known to be right.
    public static readonly RSA MerchantKey = ImportPrivate(WeChatPayGoTestKeyPem);

    public static readonly string MerchantPublicKeyPem = MerchantKey.ExportSubjectPublicKeyInfoPem();

    // Generated per run: there is no reason for a platform key to be stable.
    public static readonly RSA PlatformKey = RSA.Create(2048);

    public static readonly string PlatformPublicKeyPem = PlatformKey.ExportSubjectPublicKeyInfoPem();

    private static readonly JsonSerializerOptions WireJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ChannelAccount Account(Uri endpoint, bool withAppId = true)
    {
        var credentials = new Dictionary<string, Secret>
        {
            ["mchId"] = new(MchId),
            ["merchantSerialNo"] = new(MerchantSerialNo),
            ["merchantPrivateKeyPem"] = new(WeChatPayGoTestKeyPem),
            ["apiV3Key"] = new(ApiV3Key),
            ["platformSerialNo"] = new(PlatformSerialNo),
            ["platformPublicKeyPem"] = new(PlatformPublicKeyPem),
        };
        if (withAppId)
        {
            credentials["appId"] = new(AppId);
        }

        return new ChannelAccount("acct_wechat_test", "wechatpay", "test", MchId, endpoint, credentials);
    }

    /// <summary>A transaction document as WeChat writes it in query answers and notification resources.</summary>
    public static string Transaction(
        string outTradeNo,
        string tradeState = "SUCCESS",
        long total = 1999,
        string currency = "CNY",
        string mchId = MchId,
        string tradeStateDesc = "支付成功")
    {
        var transaction = new JsonObject
        {
            ["appid"] = AppId,
            ["mchid"] = mchId,
            ["out_trade_no"] = outTradeNo,
            ["transaction_id"] = "4200000000202611241234567890",
            ["trade_type"] = "NATIVE",
            ["trade_state"] = tradeState,
            ["trade_state_desc"] = tradeStateDesc,
            ["success_time"] = "2026-11-24T10:01:02+08:00",
            ["amount"] = new JsonObject { ["total"] = total, ["payer_total"] = total, ["currency"] = currency, ["payer_currency"] = currency },
        };
        return transaction.ToJsonString(WireJson);
    }

    /// <summary>A refund document as WeChat writes it in refund and refund query answers.</summary>
    public static string Refund(
        string outTradeNo,
        string outRefundNo,
        string status = "PROCESSING",
        long refund = 500,
        long total = 1999,
        string currency = "CNY")
    {
        var document = new JsonObject
        {
            ["refund_id"] = "50000000382019052709732678859",
            ["out_refund_no"] = outRefundNo,
            ["transaction_id"] = "4200000000202611241234567890",
            ["out_trade_no"] = outTradeNo,
            ["channel"] = "ORIGINAL",
            ["user_received_account"] = "支付用户零钱",
            ["create_time"] = "2026-11-25T09:00:00+08:00",
            ["status"] = status,
            ["funds_account"] = "AVAILABLE",
            ["amount"] = new JsonObject
            {
                ["total"] = total,
                ["refund"] = refund,
                ["payer_total"] = total,
                ["payer_refund"] = refund,
                ["settlement_refund"] = refund,
                ["settlement_total"] = total,
                ["discount_refund"] = 0,
                ["currency"] = currency,
            },
            ["promotion_detail"] = new JsonArray(),
        };
        if (status == "SUCCESS")
        {
            document["success_time"] = "2026-11-25T09:00:05+08:00";
        }

        return document.ToJsonString(WireJson);
    }

    /// <summary>The decrypted resource of a REFUND.* notification: no currency, as WeChat sends it.</summary>
    public static string RefundNotice(
        string outTradeNo,
        string outRefundNo,
        string refundStatus = "SUCCESS",
        long refund = 500,
        long total = 1999,
        string mchId = MchId)
    {
        var notice = new JsonObject
        {
            ["mchid"] = mchId,
            ["out_trade_no"] = outTradeNo,
            ["transaction_id"] = "4200000000202611241234567890",
            ["out_refund_no"] = outRefundNo,
            ["refund_id"] = "50000000382019052709732678859",
            ["refund_status"] = refundStatus,
            ["user_received_account"] = "支付用户零钱",
            ["amount"] = new JsonObject { ["total"] = total, ["refund"] = refund, ["payer_total"] = total, ["payer_refund"] = refund },
        };
        if (refundStatus == "SUCCESS")
        {
            notice["success_time"] = "2026-11-25T09:00:05+08:00";
        }

        return notice.ToJsonString(WireJson);
    }

    /// <summary>A notification body whose resource is sealed with AES-256-GCM the way WeChat does it.</summary>
    /// <param name="resourceType">The resource's original_type and associated_data: "transaction" or "refund".</param>
    public static string NotificationBody(
        string resourceJson,
        string apiV3Key = ApiV3Key,
        string resourceType = "transaction",
        string eventType = "TRANSACTION.SUCCESS")
    {
        const string Nonce = "fdasflkja484";
        string associatedData = resourceType;
        byte[] plaintext = Encoding.UTF8.GetBytes(resourceJson);
        byte[] sealedBytes = new byte[plaintext.Length + 16];
        using (var aes = new AesGcm(Encoding.ASCII.GetBytes(apiV3Key), 16))
        {
            aes.Encrypt(
                Encoding.ASCII.GetBytes(Nonce),
                plaintext,
                sealedBytes.AsSpan(0, plaintext.Length),
                sealedBytes.AsSpan(plaintext.Length),
                Encoding.ASCII.GetBytes(associatedData));
        }

        var notification = new JsonObject
        {
            ["id"] = "EV-2018022511223320873",
            ["create_time"] = "2026-11-24T10:01:03+08:00",
            ["resource_type"] = "encrypt-resource",
            ["event_type"] = eventType,
            ["summary"] = eventType.StartsWith("REFUND.", StringComparison.Ordinal) ? "退款结果" : "支付成功",
            ["resource"] = new JsonObject
            {
                ["original_type"] = resourceType,
                ["algorithm"] = "AEAD_AES_256_GCM",
                ["ciphertext"] = Convert.ToBase64String(sealedBytes),
                ["associated_data"] = associatedData,
                ["nonce"] = Nonce,
            },
        };
        return notification.ToJsonString(WireJson);
    }

    /// <summary>
    /// Signs as the WeChat platform does, written out independently of the channel's signer so a
    /// shared mistake in the message format cannot make both sides agree.
    /// </summary>
    public static string SignAsPlatform(string timestamp, string nonce, string body, RSA? key = null) =>
        Convert.ToBase64String((key ?? PlatformKey).SignData(
            Encoding.UTF8.GetBytes(timestamp + "\n" + nonce + "\n" + body + "\n"),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pkcs1));

    private static RSA ImportPrivate(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }
}
