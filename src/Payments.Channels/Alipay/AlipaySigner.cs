using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Payments.Channels.Alipay;

/// <summary>
/// Alipay open API signatures (<c>sign_type=RSA2</c>): SHA256withRSA, PKCS#1 v1.5, over the sign
/// content, the parameters sorted by name and joined as <c>k=v&amp;k=v</c>. Deterministic, so signatures
/// compare byte for byte with the published SDK vectors.
/// </summary>
public static class AlipaySigner
{
    /// <summary>The only <c>sign_type</c> this adapter speaks.</summary>
    public const string SignType = "RSA2";

    private const string SignParameter = "sign";
    private const string SignTypeParameter = "sign_type";

    // Strict both ways: a lenient decoder would let two byte strings stand for one sign content.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The sign content: every parameter except <c>sign</c> (and, for notifications, <c>sign_type</c>)
    /// whose name and value are both non-empty, sorted by name as Java sorts strings (UTF-16 code
    /// units, which is ordinal order), joined as <c>name=value</c> with <c>&amp;</c>, values unescaped.
    /// </summary>
    /// <param name="parameters">Decoded names and values; a repeated name is a caller bug.</param>
    /// <param name="excludeSignType">True for asynchronous notifications, whose signature does not
    /// cover <c>sign_type</c>; false for requests, whose signature does.</param>
    public static string BuildSignContent(IEnumerable<KeyValuePair<string, string>> parameters, bool excludeSignType)
    {
        var kept = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in parameters)
        {
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(value) || name == SignParameter || (excludeSignType && name == SignTypeParameter))
            {
                continue;
            }

            kept.Add(new(name, value));
        }

        kept.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var content = new StringBuilder();
        foreach (var (name, value) in kept)
        {
            if (content.Length > 0)
            {
                content.Append('&');
            }

            content.Append(name).Append('=').Append(value);
        }

        return content.ToString();
    }

    /// <summary>Signs the UTF-8 bytes of <paramref name="content"/>; returns the signature in base64.</summary>
    public static string Sign(RSA privateKey, string content) =>
        Convert.ToBase64String(privateKey.SignData(Utf8.GetBytes(content), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    /// <summary>
    /// True only when <paramref name="signatureBase64"/> signs the UTF-8 bytes of <paramref name="content"/>.
    /// Malformed input is a failed verification, not an exception: it arrives from the network.
    /// </summary>
    public static bool Verify(RSA publicKey, string content, string signatureBase64)
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
            return publicKey.VerifyData(Utf8.GetBytes(content), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        catch (Exception ex) when (ex is CryptographicException or EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// Finds the signed node of a gateway answer, <c>{"&lt;method&gt;_response":{...},"sign":"..."}</c>,
    /// and returns its exact raw text as received: the signature covers those characters, escapes
    /// and spacing included, so re-serialising would break it. Falls back to <c>error_response</c>,
    /// which the gateway uses when it cannot tell which method was called. Null when the answer has
    /// neither node.
    /// </summary>
    /// <param name="body">The answer body, decoded as UTF-8.</param>
    /// <param name="responseNode">e.g. <c>alipay_trade_precreate_response</c>.</param>
    public static SignedNode? ExtractSignedNode(string body, string responseNode)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            string? node = null;
            string? sign = null;
            bool isError = false;
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals(responseNode) && property.Value.ValueKind == JsonValueKind.Object)
                {
                    node = property.Value.GetRawText();
                    isError = false;
                }
                else if (node is null && property.NameEquals("error_response") && property.Value.ValueKind == JsonValueKind.Object)
                {
                    node = property.Value.GetRawText();
                    isError = true;
                }
                else if (property.NameEquals(SignParameter) && property.Value.ValueKind == JsonValueKind.String)
                {
                    sign = property.Value.GetString();
                }
            }

            return node is null ? null : new SignedNode(node, sign, isError);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Reads the application private key: PKCS#8 (<c>PRIVATE KEY</c>, what Alipay's key tool
    /// writes for Java) or PKCS#1 (<c>RSA PRIVATE KEY</c>, what it writes for other languages).</summary>
    /// <exception cref="ArgumentException">The text is not an RSA private key in PEM.</exception>
    public static RSA ImportPrivateKeyPem(string pem)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw new ArgumentException("Expected a PEM block labelled 'PRIVATE KEY' or 'RSA PRIVATE KEY'.", nameof(pem));
        }

        var label = pem.AsSpan()[fields.Label];
        if (label.SequenceEqual("PRIVATE KEY"))
        {
            return Import(pem[fields.Base64Data], "PRIVATE KEY", static (rsa, der) => rsa.ImportPkcs8PrivateKey(der, out _));
        }

        if (label.SequenceEqual("RSA PRIVATE KEY"))
        {
            return Import(pem[fields.Base64Data], "RSA PRIVATE KEY", static (rsa, der) => rsa.ImportRSAPrivateKey(der, out _));
        }

        throw new ArgumentException("Expected a PEM block labelled 'PRIVATE KEY' or 'RSA PRIVATE KEY'.", nameof(pem));
    }

    /// <summary>Reads the Alipay public key from a SubjectPublicKeyInfo PEM (<c>PUBLIC KEY</c>).</summary>
    /// <exception cref="ArgumentException">The text is not an RSA SubjectPublicKeyInfo in PEM.</exception>
    public static RSA ImportPublicKeyPem(string pem)
    {
        // Strict about the label: the app's private key pasted where Alipay's public key belongs
        // would otherwise import and verify our own signatures, hiding the mistake.
        if (!PemEncoding.TryFind(pem, out var fields) || !pem.AsSpan()[fields.Label].SequenceEqual("PUBLIC KEY"))
        {
            throw new ArgumentException("Expected a PEM block labelled 'PUBLIC KEY'.", nameof(pem));
        }

        return Import(pem[fields.Base64Data], "PUBLIC KEY", static (rsa, der) => rsa.ImportSubjectPublicKeyInfo(der, out _));
    }

    private static RSA Import(string base64, string label, Action<RSA, byte[]> import)
    {
        var rsa = RSA.Create();
        try
        {
            import(rsa, Convert.FromBase64String(base64));
            return rsa;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            rsa.Dispose();
            throw new ArgumentException($"The '{label}' PEM block is not an RSA key.", nameof(base64), ex);
        }
    }
}

/// <summary>The signed part of a gateway answer.</summary>
/// <param name="RawText">The node's text exactly as received.</param>
/// <param name="Sign">The answer's <c>sign</c>, or null when the gateway did not sign it.</param>
/// <param name="IsErrorResponse">True when the node was <c>error_response</c>.</param>
public sealed record SignedNode(string RawText, string? Sign, bool IsErrorResponse);
