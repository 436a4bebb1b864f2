using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Payments.Channels.UnionPay;

/// <summary>
/// ACP 5.1.0 signatures (<c>signMethod=01</c>), as the official SDK computes them: the sign content is every
/// field but <c>signature</c>, sorted by name (Java's <c>TreeMap</c>, ordinal) and joined as <c>k=v&amp;k=v</c>
/// with empty values kept; the signature is Base64(SHA256withRSA(key, lowercase-hex(SHA-256(content)))), PKCS#1
/// v1.5 over the 64 ASCII hex characters, not over the content itself.
/// </summary>
public static class UnionPaySigner
{
    /// <summary>The third <c>@</c>-separated part of the CN of every certificate UnionPay signs with.</summary>
    public const string UnionPayName = "中国银联股份有限公司";

    private const string SignatureField = "signature";

    public static string BuildSignContent(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var kept = fields.Where(f => f.Key != SignatureField).ToList();
        kept.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return string.Join('&', kept.Select(f => f.Key + "=" + f.Value));
    }

    /// <summary>What is actually signed: the lowercase hex of SHA-256 over the UTF-8 content, as ASCII bytes.</summary>
    public static byte[] DigestHex(string content) =>
        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content))));

    public static string Sign(RSA privateKey, string content) =>
        Convert.ToBase64String(privateKey.SignData(DigestHex(content), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    /// <summary>False for a signature that is not base64 or does not verify; never throws on bad input.</summary>
    public static bool Verify(RSA publicKey, string content, string signature)
    {
        byte[] given;
        try
        {
            given = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return publicKey.VerifyData(DigestHex(content), given, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>
    /// Checks a <c>signPubKeyCert</c> as the SDK's <c>verifyCertificate</c> does: it must parse, chain to the
    /// configured middle and root certificates (and nothing else: the system store is not consulted), be valid
    /// at <paramref name="now"/>, and name UnionPay in its CN. Revocation is not checked, as the SDK does not.
    /// </summary>
    /// <returns>The certificate's RSA public key, or null with the reason.</returns>
    public static RSA? VerifySigningCertificate(string certificatePem, X509Certificate2 root, X509Certificate2 middle, DateTimeOffset now, out string problem)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (CryptographicException)
        {
            problem = "signPubKeyCert is not a certificate";
            return null;
        }

        using (certificate)
        {
            if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
            {
                problem = "signPubKeyCert is not valid now";
                return null;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(root);
            chain.ChainPolicy.ExtraStore.Add(middle);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.UtcDateTime;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            if (!chain.Build(certificate) || chain.ChainElements.Count != 3 || !chain.ChainElements[1].Certificate.RawDataMemory.Span.SequenceEqual(middle.RawDataMemory.Span))
            {
                problem = "signPubKeyCert does not chain to the configured root and middle certificates";
                return null;
            }

            string cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            string[] parts = cn.Split('@');
            if (parts.Length < 3 || parts[2] != UnionPayName)
            {
                problem = $"signPubKeyCert belongs to '{cn}', not UnionPay";
                return null;
            }

            var key = certificate.GetRSAPublicKey();
            problem = key is null ? "signPubKeyCert has no RSA key" : string.Empty;
            return key;
        }
    }

    public static RSA ImportPrivateKeyPem(string pem)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(pem);
        return rsa;
    }
}
