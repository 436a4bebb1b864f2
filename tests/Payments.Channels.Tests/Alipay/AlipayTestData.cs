using System.Security.Cryptography;
using System.Text;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Alipay;

/// <summary>Keys, accounts and wire documents shared by the Alipay tests.</summary>
internal static class AlipayTestData
{
    // alipay/alipay-sdk-java-all, src/test/resources/fixture/privateKey.json, field ProdCert: the
    // application key behind RSACheckTest's published signatures (PKCS#8, armoured here).
    public const string ProdCertPrivateKeyPem = """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCO5ajRITPs5rqH
        3bsMUQvx3gHGFtUtf2JqERBe9RFdm7eMXsXLNKd4TxhMTNSF7q+xxGX3NY7Kvu1N
        pIUaDRFbGnQWTLFT07XN2oroh1jf4FIkm+LjP4ZwEUElLdTO5hF8aSUc9JFibElK
        o3MdgaL7tNHBhWyGRl7/x/OkMwXz6UXfagE99K30omW9wo7YnlTE6utMJliHXfP9
        a2aRsvhBFwRhpFzkKBkwYFF6H0CM8K1ooAEzbf/jYMetLjjTHiUy5NUWKPtRf1do
        ljYLBAqoVOtvN4kOknI5lIazlVbodtEzkmhcdsXMzQtQsOaj/oRrSE52LhiEw1cU
        oaNZPtOFAgMBAAECggEAYwQ4alE7jdiDQEogpnQydrKDQCPqK9Cs/Ro94c6m7dpM
        4XN6U0h1EySbjaNfUD8Id4HDtfziqRKLlNV/dYHAmQRHlHwoFBILVE0vG9lNeDQU
        N1HdceI+4cDTB1Qutf8t9qtVEC9X3n9yecmwpq2BpjCxeAtgG9r/UPXYmdrRMSVW
        Gp/bpGjmbhm1EtEtCPKjkzSC0WdALvFosK1xnjHFwCcT+R4r2N7GKE0HyvjP0PQF
        RuR4/7oA4MuLhgzLfxbeWS8sDci1PhW7PolSVb1jp0v7HQ85qtx3NCgezBqAc+Ot
        pmM3ZN/DUz062IxJFs9Rhl77PiRyJegULSuOBoYtsQKBgQDFDThfBLzByYCV7Oca
        5IUODyT7wiKBUhC6qBuNWmfEsGfGMw06d2twemFG98/KBDV8kcYGK5XL/6dpsPDE
        ZFPV65vc7A9f2KnglaFyaPKduA8msRaxxLp5Oj/Nwuvnd0rTL2TPK0t8JH1oo8LD
        dAvh449P89yzTqB3L8+ioq7XTwKBgQC5pSE0hUYFsx/9bgMHB4PuN4r1WJNhGy5J
        5SQABmklnnUWiiCtt0rE23//tT7UICB4AqePt+Qa7zjEjV1DTIZccmPuX2yje9ay
        ZbPXJLJT/tGawBlzuO5aLjbfkMDQy67nV8NE8rZ7c5aQLNsv3XA1fucwLauc2XJk
        vwHJ88Jy6wKBgQC5hhvn4ibxcQ0emwBvom3fccTJP9uK1EAp7TKboF2IounhgplW
        za6bJK3HynOZaOMO2JSPpKORgK8XZF8bGLaR9xU1KA/FltFCQL7TYBnlArFJJXwP
        fQBwOLZvvLCsqfUJ5lpMbx/Pzu9AAMbTjMPPNpfsl9XYABQ2gw5DulVRIwKBgF0x
        7I11KkXKOpD7HUH2H+ECuRuZr8Lb5kzqXzwz+60K8zSxet46WaqhloxD7JqI1kPo
        8T1Qz45F8XWakesrC3h1ZH1SIjOgA5PjQnkKzwsjrQ3GygAyIlXbRWjOPj2TQuaY
        RErknX8z863FFvPccmwonN6uzqwa7TZuPPOpD0CpAoGAG8HpnPrWT93skha2o9CT
        2ISnptlAts6a2wcMGrKgM77zQiFpR/P/eHcJTyJdlp8ap6sEGIwQM430CqR41Za/
        0L/uRkbGi2gjBcdz+2OlyvsWIhPAWAGqI4lYB7K/NWtzSBvI8Zdzw4brAgH9GrbI
        Bqd/VV81KXf13kBnsRjBwA0=
        -----END PRIVATE KEY-----
        """;

    // alipay/alipay-sdk-nodejs-all, test/alipay.test.ts, "verify sign should delete sign_type":
    // the Alipay public key that signed the real notification kept there.
    public const string NodeSdkNotifyPublicKeyPem = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqObrdC7hrgAVM98tK0nv
        3hSQRGGKT4lBsQjHiGjeYZjOPIPHR5knm2jnnz/YGIXIofVHkA/tAlBAd5DrY7Yp
        vI4tP5EONLtZKC2ghBMx7McI2wRD0xiqzxOQr1FuhZGJ8/AUokBzJrzY+aGX2xcO
        rxFYRlFilvVLTXg4LWjR1tdPkO6+i7wQZAIVMClPkwVRZEbaERRHlKqTzv2gGv5r
        DU8gRoe1LeaN+6BlbTqHWkQcNCUNrA8C6l17XAXGKDsm/9TFWwO8EPHHHCaQdjtV
        5/FdcWIt+L8SR1ss7EXTjYDFtxcKVv9rEoY1lX8T4mX+GbXfZHraG5NCF1+XioL5
        JwIDAQAB
        -----END PUBLIC KEY-----
        """;

    public const string AppId = "2021000000000001";

    // The application key is the published one, so the request signatures rest on a key whose
    // signatures are known to be right.
    public static readonly RSA AppKey = Import(ProdCertPrivateKeyPem);

    public static readonly string AppPublicKeyPem = AppKey.ExportSubjectPublicKeyInfoPem();

    // Generated per run: there is no reason for Alipay's key to be stable.
    public static readonly RSA AlipayKey = RSA.Create(2048);

    public static readonly string AlipayPublicKeyPem = AlipayKey.ExportSubjectPublicKeyInfoPem();

    public static ChannelAccount Account(Uri endpoint, string appId = AppId, string? alipayPublicKeyPem = null) => new(
        "ca_alipay_test",
        "alipay",
        "test",
        null,
        endpoint,
        new Dictionary<string, Secret>
        {
            ["appId"] = new(appId),
            ["appPrivateKeyPem"] = new(ProdCertPrivateKeyPem),
            ["alipayPublicKeyPem"] = new(alipayPublicKeyPem ?? AlipayPublicKeyPem),
        });

    public static ChannelCreateRequest CreateRequest(string paymentId, long amount, string method = "qr") => new(
        paymentId,
        new Money(amount, Currency.CNY),
        method,
        "咖啡豆 Coffee beans",
        "1 kg, whole",
        new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero),
        new Uri("https://pay.example.com/api/v1/callbacks/alipay/ca_alipay_test"),
        "203.0.113.9");

    /// <summary>
    /// The sign content written out again from Alipay's published rules, independently of the
    /// channel's signer, so a shared mistake cannot make both sides agree.
    /// </summary>
    public static string SignContent(IEnumerable<KeyValuePair<string, string>> parameters, bool withoutSignType) =>
        string.Join("&", parameters
            .Where(p => !string.IsNullOrEmpty(p.Key) && !string.IsNullOrEmpty(p.Value) && p.Key != "sign" && !(withoutSignType && p.Key == "sign_type"))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));

    public static string SignAsAlipay(string content, RSA? key = null) =>
        Convert.ToBase64String((key ?? AlipayKey).SignData(Encoding.UTF8.GetBytes(content), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    /// <summary>A form body as Alipay posts it; <paramref name="tamper"/> edits the parameters after signing.</summary>
    public static string NotificationBody(
        IDictionary<string, string> parameters, RSA? key = null, bool signOverSignType = false, Action<IDictionary<string, string>>? tamper = null)
    {
        var signed = new Dictionary<string, string>(parameters, StringComparer.Ordinal);
        signed["sign"] = SignAsAlipay(SignContent(signed, withoutSignType: !signOverSignType), key);
        tamper?.Invoke(signed);
        return string.Join("&", signed.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value).Replace("%20", "+", StringComparison.Ordinal)));
    }

    /// <summary>A trade_status_sync notification's parameters as the sandbox and Alipay send them.</summary>
    public static Dictionary<string, string> PaymentNotice(string outTradeNo, string tradeStatus = "TRADE_SUCCESS", string totalAmount = "19.99", string appId = AppId) => new()
    {
        ["notify_time"] = "2026-11-24 10:01:03",
        ["notify_type"] = "trade_status_sync",
        ["notify_id"] = "2026112400222100103012345678901234",
        ["app_id"] = appId,
        ["auth_app_id"] = appId,
        ["charset"] = "utf-8",
        ["version"] = "1.0",
        ["sign_type"] = "RSA2",
        ["trade_no"] = "2026112422001412345678901234",
        ["out_trade_no"] = outTradeNo,
        ["buyer_id"] = "2088102534368455",
        ["buyer_logon_id"] = "159****5620",
        ["seller_id"] = "2088531891668739",
        ["trade_status"] = tradeStatus,
        ["total_amount"] = totalAmount,
        ["receipt_amount"] = totalAmount,
        ["buyer_pay_amount"] = totalAmount,
        ["subject"] = "咖啡豆 Coffee beans & more",
        ["gmt_create"] = "2026-11-24 10:00:58",
        ["gmt_payment"] = "2026-11-24 10:01:02",
        ["fund_bill_list"] = $$"""[{"amount":"{{totalAmount}}","fundChannel":"ALIPAYACCOUNT"}]""",
    };

    private static RSA Import(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }
}
