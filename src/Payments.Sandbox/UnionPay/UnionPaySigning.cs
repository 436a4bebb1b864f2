using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Payments.Sandbox.UnionPay;

/// <summary>
/// The sandbox's UnionPay PKI and ACP 5.1.0 signatures, written apart from the adapter: a root and a middle CA
/// made at start-up, and the signing certificate UnionPay puts in every answer and notification as
/// <c>signPubKeyCert</c>, its CN naming 中国银联股份有限公司 in the third <c>@</c> part as the real one does.
/// </summary>
internal sealed class UnionPayPki : IDisposable
{
    public const string SigningCn = "041@Z12400000000001@中国银联股份有限公司@00000001";

    private readonly RSA _signingKey;

    public UnionPayPki(TimeProvider time)
    {
        var now = time.GetUtcNow();
        using var rootKey = RSA.Create(2048);
        var rootRequest = new CertificateRequest("CN=CFCA TEST OCA1 ROOT (sandbox), O=China Financial Certification Authority, C=CN", rootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));

        using var middleKey = RSA.Create(2048);
        var middleRequest = new CertificateRequest("CN=CFCA TEST OCA1 (sandbox), O=China Financial Certification Authority, C=CN", middleKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        middleRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        middleRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var middle = middleRequest.Create(root, now.AddDays(-1), now.AddYears(5), RandomNumberGenerator.GetBytes(8));
        using var middleWithKey = middle.CopyWithPrivateKey(middleKey);

        _signingKey = RSA.Create(2048);
        var signingRequest = new CertificateRequest("CN=" + SigningCn + ", OU=00000000, O=CFCA TEST OCA1, C=CN", _signingKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        signingRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        using var signing = signingRequest.Create(middleWithKey, now.AddDays(-1), now.AddYears(2), RandomNumberGenerator.GetBytes(8));

        RootPem = root.ExportCertificatePem();
        MiddlePem = middle.ExportCertificatePem();
        SigningCertificatePem = signing.ExportCertificatePem();
    }

    public string RootPem { get; }

    public string MiddlePem { get; }

    public string SigningCertificatePem { get; }

    /// <summary>Adds <c>signPubKeyCert</c> and <c>signature</c> to an answer or notification.</summary>
    public void Sign(IDictionary<string, string> fields)
    {
        fields["signPubKeyCert"] = SigningCertificatePem;
        fields["signature"] = Convert.ToBase64String(_signingKey.SignData(UnionPayAcp.SignedBytes(fields), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    public void Dispose() => _signingKey.Dispose();
}

internal static class UnionPayAcp
{
    public const string Version = "5.1.0";

    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    /// <summary>
    /// What signMethod 01 signs: the fields but <c>signature</c>, ordinal-sorted, as <c>k=v&amp;…</c>, hashed with
    /// SHA-256 and written as lowercase hex; those ASCII characters are what SHA256withRSA signs.
    /// </summary>
    public static byte[] SignedBytes(IEnumerable<KeyValuePair<string, string>> fields)
    {
        string content = string.Join('&', fields.Where(f => f.Key != "signature").OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => f.Key + "=" + f.Value));
        return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))));
    }

    public static bool Verify(RSA merchantKey, IReadOnlyDictionary<string, string> fields)
    {
        if (!fields.TryGetValue("signature", out string? signature))
        {
            return false;
        }

        try
        {
            return merchantKey.VerifyData(SignedBytes(fields), Convert.FromBase64String(signature), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A synchronous answer as UnionPay writes it: <c>k=v&amp;k=v</c>, values raw.</summary>
    public static string Answer(IDictionary<string, string> fields) => string.Join('&', fields.Select(f => f.Key + "=" + f.Value));

    /// <summary>A notification body: an ordinary URL-encoded form.</summary>
    public static string Form(IDictionary<string, string> fields) =>
        string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));

    public static string Time(DateTimeOffset instant) => instant.ToOffset(Beijing).ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

    public static string TraceTime(DateTimeOffset instant) => instant.ToOffset(Beijing).ToString("MMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

    public static DateOnly Day(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Beijing).DateTime);

    public static bool TryParseTime(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (!DateTime.TryParseExact(text, "yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var local))
        {
            return false;
        }

        instant = new DateTimeOffset(local, Beijing);
        return true;
    }

    /// <summary>A UnionPay queryId: 21 digits.</summary>
    public static string NewQueryId(DateTimeOffset now) => Time(now)[2..] + RandomNumberGenerator.GetString("0123456789", 9);
}
