using System.Security.Cryptography;
using System.Text;

namespace Payments.Channels.Card;

/// <summary>
/// The acquirer's webhook signature: HMAC-SHA256 over the exact body bytes with the merchant's HMAC key,
/// which the acquirer hands out as hex (as Adyen does), sent lowercase hex in <see cref="HeaderName"/>.
/// </summary>
public static class CardSigner
{
    /// <summary>The header carrying the signature of a webhook body.</summary>
    public const string HeaderName = "X-Card-Signature";

    /// <summary>Hex of HMAC-SHA256(key, body).</summary>
    public static string Sign(string hmacKeyHex, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(hmacKeyHex), Encoding.UTF8.GetBytes(body)));

    /// <summary>Compares in constant time; a signature that is not hex of the right length is simply wrong.</summary>
    public static bool Verify(string hmacKeyHex, string body, string signature)
    {
        if (signature.Length != HMACSHA256.HashSizeInBytes * 2)
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        byte[] expected = HMACSHA256.HashData(Convert.FromHexString(hmacKeyHex), Encoding.UTF8.GetBytes(body));
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
