using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Payments.Sandbox.Transfer;

/// <summary>
/// The bank's side of the HMAC-SHA256 signatures (lowercase hex): it checks a corporate's request over
/// <c>METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY</c> with the API key and signs its notifications over
/// <c>TIMESTAMP\nNONCE\nBODY</c> with the notification key. Written here, not shared with the adapter, so the
/// two sides only agree if both follow the wire.
/// </summary>
internal static class TransferSignatures
{
    public const string CorporateHeader = "X-Corp-Id";
    public const string TimestampHeader = "X-Timestamp";
    public const string NonceHeader = "X-Nonce";
    public const string SignatureHeader = "X-Signature";

    public const string NotifyTimestampHeader = "X-Bank-Timestamp";
    public const string NotifyNonceHeader = "X-Bank-Nonce";
    public const string NotifySignatureHeader = "X-Bank-Signature";

    public static string Hmac(string keyHex, string message) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(keyHex), Encoding.UTF8.GetBytes(message)));

    public static bool RequestIsSigned(string keyHex, string method, string pathAndQuery, string timestamp, string nonce, string body, string signature)
    {
        string expected = Hmac(keyHex, string.Create(CultureInfo.InvariantCulture, $"{method}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{body}"));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));
    }

    public static string SignNotification(string keyHex, string timestamp, string nonce, string body) => Hmac(keyHex, $"{timestamp}\n{nonce}\n{body}");
}
