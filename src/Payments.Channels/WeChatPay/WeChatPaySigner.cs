using System.Security.Cryptography;
using System.Text;

namespace Payments.Channels.WeChatPay;

/// <summary>
/// WeChat Pay API v3 signatures: SHA256withRSA with PKCS#1 v1.5 padding over newline-terminated
/// messages. The padding is deterministic, so a signature can be compared byte for byte with the
/// published SDK vectors.
/// </summary>
public static class WeChatPaySigner
{
    /// <summary>The scheme named in the <c>Authorization</c> header.</summary>
    public const string AuthorizationScheme = "WECHATPAY2-SHA256-RSA2048";

    // The channel signs and verifies UTF-8 bytes; a lenient decoder would let two different byte
    // strings map to the same message.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The message a request signature covers: <c>METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n</c>.
    /// A request without a body still ends in <c>\n\n</c>, because the body line is there, empty.
    /// </summary>
    /// <param name="method">HTTP method in upper case, e.g. <c>POST</c>.</param>
    /// <param name="pathAndQuery">The request target exactly as sent, escaped, with the query string.</param>
    /// <param name="timestamp">Unix seconds as decimal text.</param>
    /// <param name="nonce">The random string also sent as <c>nonce_str</c>.</param>
    /// <param name="body">The body exactly as sent, or the empty string.</param>
    public static string BuildRequestMessage(string method, string pathAndQuery, string timestamp, string nonce, string body) =>
        $"{method}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{body}\n";

    /// <summary>
    /// The message a response or notification signature covers: <c>TIMESTAMP\nNONCE\nBODY\n</c>,
    /// with the values of the <c>Wechatpay-Timestamp</c> and <c>Wechatpay-Nonce</c> headers.
    /// </summary>
    public static string BuildResponseMessage(string timestamp, string nonce, string body) =>
        $"{timestamp}\n{nonce}\n{body}\n";

    /// <summary>The <c>Authorization</c> header value for a signed request.</summary>
    public static string BuildAuthorization(string mchId, string nonce, string timestamp, string serialNo, string signature) =>
        $"{AuthorizationScheme} mchid=\"{mchId}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{serialNo}\",signature=\"{signature}\"";

    /// <summary>Signs the UTF-8 bytes of <paramref name="message"/>; returns the signature in base64.</summary>
    public static string Sign(RSA privateKey, string message) =>
        Convert.ToBase64String(privateKey.SignData(Utf8.GetBytes(message), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    /// <summary>
    /// True only when <paramref name="signatureBase64"/> is a valid signature of the UTF-8 bytes of
    /// <paramref name="message"/>. Malformed input is a failed verification, not an exception: it
    /// arrives from the network.
    /// </summary>
    public static bool Verify(RSA publicKey, string message, string signatureBase64)
    {
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureBase64);
        }
        catch (FormatException)
        {
            return false;
        }

        try
        {
            return publicKey.VerifyData(Utf8.GetBytes(message), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Reads the merchant private key from a PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>).</summary>
    /// <exception cref="ArgumentException">The text is not a PKCS#8 RSA private key.</exception>
    public static RSA ImportPrivateKeyPem(string pem) => Import(pem, "PRIVATE KEY", static (rsa, der) => rsa.ImportPkcs8PrivateKey(der, out _));

    /// <summary>Reads the platform public key from a SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    /// <exception cref="ArgumentException">The text is not an RSA SubjectPublicKeyInfo.</exception>
    public static RSA ImportPublicKeyPem(string pem) => Import(pem, "PUBLIC KEY", static (rsa, der) => rsa.ImportSubjectPublicKeyInfo(der, out _));

    // Strict about the armour label: a private key pasted where the platform public key belongs
    // would otherwise import and verify, hiding a configuration mistake.
    private static RSA Import(string pem, string label, Action<RSA, byte[]> import)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || !pem.AsSpan()[fields.Label].SequenceEqual(label))
        {
            throw new ArgumentException($"Expected a PEM block labelled '{label}'.", nameof(pem));
        }

        var rsa = RSA.Create();
        try
        {
            import(rsa, Convert.FromBase64String(pem[fields.Base64Data]));
            return rsa;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            rsa.Dispose();
            throw new ArgumentException($"The '{label}' PEM block is not an RSA key.", nameof(pem), ex);
        }
    }
}
