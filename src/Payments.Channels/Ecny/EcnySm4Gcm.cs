using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Payments.Channels.Ecny;

/// <summary>
/// SM4-GCM (GB/T 32907 block cipher in GCM, as RFC 8998 specifies it) for notification resources: a 128-bit key, a
/// 96-bit nonce, a 128-bit tag appended to the ciphertext.
/// </summary>
public static class EcnySm4Gcm
{
    /// <summary>The <c>algorithm</c> an encrypted resource names.</summary>
    public const string Algorithm = "SM4_GCM";

    private const int KeyBytes = 16;
    private const int NonceBytes = 12;
    private const int TagBits = 128;

    /// <summary>Encrypts; returns ciphertext followed by the tag.</summary>
    public static byte[] Encrypt(byte[] key, byte[] nonce, byte[] associatedData, byte[] plaintext) =>
        Process(forEncryption: true, key, nonce, associatedData, plaintext);

    /// <summary>Decrypts ciphertext followed by its tag.</summary>
    /// <exception cref="CryptographicException">Wrong key, nonce, associated data or tag, or malformed input.</exception>
    public static byte[] Decrypt(byte[] key, byte[] nonce, byte[] associatedData, byte[] ciphertextAndTag) =>
        Process(forEncryption: false, key, nonce, associatedData, ciphertextAndTag);

    /// <summary>Decrypts a notification resource as it travels: hex key, base64 nonce and ciphertext, UTF-8 text out.</summary>
    /// <exception cref="CryptographicException">The resource does not decrypt with the key.</exception>
    public static string DecryptResource(string keyHex, string nonceBase64, string associatedData, string ciphertextBase64)
    {
        try
        {
            byte[] plaintext = Decrypt(Convert.FromHexString(keyHex), Convert.FromBase64String(nonceBase64), Encoding.UTF8.GetBytes(associatedData), Convert.FromBase64String(ciphertextBase64));
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(plaintext);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw new CryptographicException("The resource is not SM4-GCM ciphertext under this key.", ex);
        }
    }

    private static byte[] Process(bool forEncryption, byte[] key, byte[] nonce, byte[] associatedData, byte[] input)
    {
        if (key.Length != KeyBytes || nonce.Length != NonceBytes)
        {
            throw new CryptographicException($"SM4-GCM takes a {KeyBytes}-byte key and a {NonceBytes}-byte nonce.");
        }

        var cipher = new GcmBlockCipher(new SM4Engine());
        cipher.Init(forEncryption, new AeadParameters(new KeyParameter(key), TagBits, nonce, associatedData));
        var output = new byte[cipher.GetOutputSize(input.Length)];
        try
        {
            int length = cipher.ProcessBytes(input, 0, input.Length, output, 0);
            length += cipher.DoFinal(output, length);
            return output.AsSpan(0, length).ToArray();
        }
        catch (InvalidCipherTextException ex)
        {
            throw new CryptographicException("SM4-GCM authentication failed.", ex);
        }
        catch (DataLengthException ex)
        {
            throw new CryptographicException("SM4-GCM input is too short.", ex);
        }
    }
}
