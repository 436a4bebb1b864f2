using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.UnionPay;

/// <summary>
/// Fixed vectors computed outside our code with OpenSSL: for each content, <c>printf '%s' CONTENT | openssl dgst
/// -sha256 -hex</c> gave the digest, and <c>openssl dgst -sha256 -sign key.pem</c> over the 64 hex characters of
/// that digest (no newline), Base64-encoded, gave the signature, as ACP 5.1.0 signMethod 01 defines it.
/// </summary>
internal static class UnionPayTestData
{
    public const string MerId = "777290058110048";
    public const string CertId = "68759585097";

    public const string PrivateKeyPem = """
-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAtUxqs3KGCdilQm68Ifkjsk4sBZAF9M8uaPYtgh5BK2DWGXCv
tgX2kRDBOSC5u5aBcfoQvEtb/EHjTlzBqUnP9gOOJiIihPfFvbpf22Ozo5mQ3DVn
ecEwcFQk2028qY3dzEuV9mF7Qmmgb9uoNw3TElEQsJKgyvl0VrmQa2Sf+K5zH7bH
1pfe+jWzlMkWJFrfYPaysShddMiuAWCornGJu8bs3SANidatS0Kple+/Xh4sXvX2
GDErr2WhW57BCHDcVJLi4seiQWVXzAYQbzVwFwTfE7mdZgUCktm7dBYBQRVTl0bc
VDbCIExMzmiq8IvpjJon8MviaAZg2V8DwdoU2QIDAQABAoIBABNZaQfm4KRbYWPi
MqUDlIo6qpsbYG9cz0y3fWrmNLle9+q2KqKoJ0UbPywMMJZzPTR/ZlraRiJ5m7to
zeh17sKIZZrvSLTdRtb1dbaSAQGkaZ/++SC2/Cb47AgV111XPUVJCePGSqPvZwaZ
MG5TxOOvEDNwKsYO8pow6tdzYVlmgvCYS2C7it+UWm2lqpQfeXzNV3xJIAYkE6/1
8OhevtH2UAQhrWMEzY0dSp8QSBO9HZD3tY13oEMGNGerokL67VJbjMoz26cxEcMM
x0/gdMwF84D9+cNRuVJ4mtHBLYfTt5vSwEblE4Ach/MdErjHSTVVx8RvhtqpERqD
03nojokCgYEA4AMWGkKULFncS34P6UZIJBBA25NNik3632reBYzUl+CynBxu3G9V
mxeHCbRnX6pSEMun63rb7UC7C2d0aGvZ9PpHJOaq+zyD6Dm+P1pi55fq3ybAguEs
4BsybDvE0srAD9eol+vxgDqlRkUuaOif9SUzZrS12DmyzQjg8vaJHA0CgYEAzy/o
SYyDqptA5wlXrrIwBq7oOm0zL0O24hzdaRcfGzmFcolmhtnAYwlfuyv2dkiuB41U
NTXzACbNmK9fuuEGYHh6OA40jsBWr6wZuU3H4E0UDRqT4F5lcVoaAPlUC069q0VJ
iLwJEn4za+57LKTA0mXdVe7wwHrJgwe+NS87zP0CgYAM1ABrBo8HrymvZQuyNyUg
c5HTQS86kVahfrQyKyttex+fUv2CQBnt5L4F7z/QOaezcIYwNPvtLTzI3WbMKAj2
P3LdiRwXgRKotM3RQPLTAl8f4k85730rZENR8WZHD/dJsPblpExTJIicao/K0C+A
0V2NLyIOvNchaLXBFB8r7QKBgD0GKE3ZdEKA3fnut4O9+gVN6RqkZUoLkMdCpzg3
1jKnm5WjwK4BXvgMn8S6ayplt9SDnQTbMgqeYzoQlYqukrlBYwY1sOdG4YF2mFEL
Bs8bBMfjRyDzzL85QaV9ynJWK+lRTBpY//cRcsXchS0eDakq1alk6kZXJBlS44Q4
uE1lAoGBAKlVNVAZW4mcFRhU3ei/nB1Qk3WjqBP++WbZN3CmVMBhvzU0AjGCUe9z
0KESYzL3Rl5Qb5DdKRd5iUSGb97l+/wGrfVpYMEH+LbAdh3JwgGewiLZE6ZJptzK
KIkWwrMzH5+JNrD1ghFKzaDSYwPL+kEwLSjCvezIFWu7TZ+DVddd
-----END RSA PRIVATE KEY-----
""";

    public const string VectorContent = "accessType=0&bizType=000201&certId=68759585097&channelType=07&currencyCode=156&encoding=UTF-8&merId=777290058110048&orderId=pay0123456789abcdefghjkmnpq&signMethod=01&txnAmt=1999&txnSubType=01&txnTime=20261124100102&txnType=01&version=5.1.0";
    public const string VectorDigestHex = "cd065f48d82b906fc8135bf148e7e719c828c0bcb3db1e9d3b9f2ba4f2287e81";
    public const string VectorSignature = "Yve7SUAveZctXMpDOLqr2Kc2EWCIiOvTmXeTQCKzY4hiEHy2NlN/PpHE7k90vzBM8RrzRI9xwk8wF4eV8RCmruSfQo1XyZyQlwW22+/HVTS2OIORPkt15QkmSL7i8z5ZQXOQ7oJ8yjknp8p9RFS5sWz7rzoBpOlqhSCVN3EG42kJEdxNj2TdWNBrXNhpeJB9kR2RfCbp6MoaJYSy7HvwfVLO3EXxZ1u39ReBjWotSt2yaUXo+VfiTR8OK5lCjLcRYWXDiKukSNE5nF+lV5deGPCpf6lotTt93eeGpTM56Ez3pTL/Y1e46OMilKyiPLQbgATLSK2hfm2sSiSw/OIbBA==";

    public const string Utf8VectorContent = "merId=777290058110048&orderDesc=银联测试&orderId=ref0000000000000000000000000000000000&respCode=00";
    public const string Utf8VectorDigestHex = "cca27206edec3d8855f4cc484c5aad759f8475fae67d3279e6c0e1b6989f3b80";
    public const string Utf8VectorSignature = "QrR7eFhDZYimlyZl8SvUM3/E4qIwjep/o6o9GffhkF2nLNHBWsqLj7AQFK5lwbDa1KK4Vl4SCi/v2XfOEAZ0H+ezo9uYQEqSjUOcIIyFuCu7tyNtXUOL2n4hG1QPNJ1ki67mqL0FNciaLtuj6iN8UKp3Mj5ifKiFef8uWb0quLs54qKiw4NeHshO3ACcthha9dk6R6HJwLYcGXAzXr/pSMQz2XDNy9Va2Yp9ChMvgetsKCNr+z7V1F8zJJycrZv2R+wWe7XstAyjgmv/1yuoRysvLRPjsm8+HUs8su5iHVxSaV368gdYp8PRwqggpN91Fs1irOxi0Gr6/vjrA4Zolg==";

    public static ChannelAccount Account(Uri endpoint, TestPki pki, string merId = MerId) => new(
        "ca_unionpay_test",
        "unionpay",
        "sandbox",
        "mch_test",
        endpoint,
        new Dictionary<string, Secret>
        {
            ["merId"] = new(merId),
            ["merchantPrivateKeyPem"] = new(PrivateKeyPem),
            ["merchantCertId"] = new(CertId),
            ["rootCertPem"] = new(pki.RootPem),
            ["middleCertPem"] = new(pki.MiddlePem),
        });
}

/// <summary>A root, a middle CA and a UnionPay-named signing certificate, made for a test as UnionPay's PKI would issue them.</summary>
internal sealed class TestPki : IDisposable
{
    public const string UnionPayCn = "041@Z12400000000001@中国银联股份有限公司@00000001";

    private readonly RSA _rootKey = RSA.Create(2048);
    private readonly RSA _middleKey = RSA.Create(2048);
    private readonly X509Certificate2 _middle;

    public TestPki()
    {
        var now = DateTimeOffset.UtcNow;
        var rootRequest = new CertificateRequest("CN=Test Root", _rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-10), now.AddYears(5));
        var middleRequest = new CertificateRequest("CN=Test Middle", _middleKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        middleRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var middle = middleRequest.Create(root, now.AddDays(-10), now.AddYears(4), [1, 2, 3]);
        _middle = middle.CopyWithPrivateKey(_middleKey);
        RootPem = root.ExportCertificatePem();
        MiddlePem = middle.ExportCertificatePem();
        (SigningKey, SigningCertificatePem) = Issue(UnionPayCn, now.AddDays(-1), now.AddYears(1));
    }

    public string RootPem { get; }

    public string MiddlePem { get; }

    public RSA SigningKey { get; }

    public string SigningCertificatePem { get; }

    /// <summary>A leaf under the middle CA with the given CN and validity.</summary>
    public (RSA Key, string Pem) Issue(string cn, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var leaf = request.Create(_middle, notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
        return (key, leaf.ExportCertificatePem());
    }

    public X509Certificate2 Root => X509Certificate2.CreateFromPem(RootPem);

    public X509Certificate2 Middle => X509Certificate2.CreateFromPem(MiddlePem);

    /// <summary>Signs fields as UnionPay does, adding signPubKeyCert and signature (uses the vector-checked signer).</summary>
    public Dictionary<string, string> Sign(IDictionary<string, string> fields, RSA? key = null, string? certificatePem = null)
    {
        var signed = new Dictionary<string, string>(fields, StringComparer.Ordinal) { ["signPubKeyCert"] = certificatePem ?? SigningCertificatePem };
        signed["signature"] = Channels.UnionPay.UnionPaySigner.Sign(key ?? SigningKey, Channels.UnionPay.UnionPaySigner.BuildSignContent(signed));
        return signed;
    }

    public void Dispose()
    {
        _rootKey.Dispose();
        _middleKey.Dispose();
        _middle.Dispose();
        SigningKey.Dispose();
    }
}
