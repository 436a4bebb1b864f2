using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Payments.Channels.Transfer;

/// <summary>
/// The bank's HMAC-SHA256 signatures, lowercase hex. A request is signed with the corporate's API key over
/// <c>METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY</c> (PATH with its query, BODY empty for a GET); a notification is
/// signed by the bank with the notification key over <c>TIMESTAMP\nNONCE\nBODY</c>. Both keys are issued as hex.
/// </summary>
public static class TransferSigner
{
    public const string CorporateHeader = "X-Corp-Id";
    public const string TimestampHeader = "X-Timestamp";
    public const string NonceHeader = "X-Nonce";
    public const string SignatureHeader = "X-Signature";

    public const string NotifyTimestampHeader = "X-Bank-Timestamp";
    public const string NotifyNonceHeader = "X-Bank-Nonce";
    public const string NotifySignatureHeader = "X-Bank-Signature";

    /// <summary>The text a request signature covers.</summary>
    public static string RequestMessage(string method, string pathAndQuery, long timestamp, string nonce, string body) =>
        string.Create(CultureInfo.InvariantCulture, $"{method}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{body}");

    /// <summary>The text a notification signature covers.</summary>
    public static string NotificationMessage(string timestamp, string nonce, string body) => $"{timestamp}\n{nonce}\n{body}";

    /// <summary>Hex of HMAC-SHA256(key, message).</summary>
    public static string Sign(string keyHex, string message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(keyHex), Encoding.UTF8.GetBytes(message)));

    /// <summary>Compares in constant time; a signature that is not hex of the right length is simply wrong.</summary>
    public static bool Verify(string keyHex, string message, string signature)
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

        return CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(Convert.FromHexString(keyHex), Encoding.UTF8.GetBytes(message)), given);
    }
}
