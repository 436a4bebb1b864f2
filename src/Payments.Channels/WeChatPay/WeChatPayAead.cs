using System.Security.Cryptography;
using System.Text;

namespace Payments.Channels.WeChatPay;

/// <summary>
/// AEAD_AES_256_GCM as WeChat Pay API v3 uses it for notification resources: the APIv3 key is the
/// 32 ASCII characters themselves (not hex, not base64), the nonce is a 12-character string, and
/// the base64 ciphertext carries the 16-byte tag at its end.
/// </summary>
public static class WeChatPayAead
{
    /// <summary>The only algorithm name WeChat Pay v3 uses in <c>resource.algorithm</c>.</summary>
    public const string Algorithm = "AEAD_AES_256_GCM";

    private const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decrypts and authenticates a resource; returns the UTF-8 plaintext.</summary>
    /// <exception cref="ArgumentException">The APIv3 key is not 32 bytes: a configuration error.</exception>
    /// <exception cref="CryptographicException">The input is malformed or does not authenticate.</exception>
    public static string Decrypt(string apiV3Key, string nonce, string associatedData, string ciphertextBase64)
    {
        byte[] key = KeyBytes(apiV3Key);
        byte[] nonceBytes = NonceBytes(nonce);
        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(ciphertextBase64);
        }
        catch (FormatException ex)
        {
            throw new CryptographicException("The ciphertext is not base64.", ex);
        }

        if (sealedBytes.Length < TagSize)
        {
            throw new CryptographicException("The ciphertext is shorter than its authentication tag.");
        }

        var ciphertext = sealedBytes.AsSpan(0, sealedBytes.Length - TagSize);
        var tag = sealedBytes.AsSpan(sealedBytes.Length - TagSize);
        byte[] plaintext = new byte[ciphertext.Length];
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Decrypt(nonceBytes, ciphertext, tag, plaintext, Encoding.UTF8.GetBytes(associatedData));
        }

        try
        {
            return StrictUtf8.GetString(plaintext);
        }
        catch (DecoderFallbackException ex)
        {
            throw new CryptographicException("The plaintext is not UTF-8.", ex);
        }
    }

    /// <summary>
    /// The inverse of <see cref="Decrypt"/>. WeChat never needs it from a merchant; it exists so
    /// tests and the sandbox can produce notifications the way WeChat does.
    /// </summary>
    public static string Encrypt(string apiV3Key, string nonce, string associatedData, string plaintext)
    {
        byte[] key = KeyBytes(apiV3Key);
        byte[] nonceBytes = NonceBytes(nonce);
        byte[] plaintextBytes = Encoding.UTF8.GetBytes(plaintext);
        byte[] sealedBytes = new byte[plaintextBytes.Length + TagSize];
        using (var aes = new AesGcm(key, TagSize))
        {
            aes.Encrypt(
                nonceBytes,
                plaintextBytes,
                sealedBytes.AsSpan(0, plaintextBytes.Length),
                sealedBytes.AsSpan(plaintextBytes.Length),
                Encoding.UTF8.GetBytes(associatedData));
        }

        return Convert.ToBase64String(sealedBytes);
    }

    private static byte[] KeyBytes(string apiV3Key)
    {
        byte[] key = Encoding.UTF8.GetBytes(apiV3Key);
        return key.Length == KeySize
            ? key
            : throw new ArgumentException($"The APIv3 key must be {KeySize} ASCII characters.", nameof(apiV3Key));
    }

    private static byte[] NonceBytes(string nonce)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(nonce);
        return bytes.Length == NonceSize
            ? bytes
            : throw new CryptographicException($"The nonce must be {NonceSize} bytes.");
    }
}
