using System.Security.Cryptography;
using System.Text;

namespace Payments.Sandbox.WeChatPay;

/// <summary>AEAD_AES_256_GCM as used for notification resources: key = APIv3 key, 16-byte tag appended.</summary>
internal static class ResourceCipher
{
    public const string Algorithm = "AEAD_AES_256_GCM";
    private const int TagSize = 16;

    public static string Encrypt(string apiV3Key, string nonce, string associatedData, string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[plain.Length + TagSize];
        using var aes = new AesGcm(Encoding.ASCII.GetBytes(apiV3Key), TagSize);
        aes.Encrypt(
            Encoding.UTF8.GetBytes(nonce),
            plain,
            output.AsSpan(0, plain.Length),
            output.AsSpan(plain.Length),
            Encoding.UTF8.GetBytes(associatedData));
        return Convert.ToBase64String(output);
    }
}
