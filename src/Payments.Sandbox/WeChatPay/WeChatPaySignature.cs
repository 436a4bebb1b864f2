using System.Security.Cryptography;
using System.Text;

namespace Payments.Sandbox.WeChatPay;

internal static class WeChatPaySignature
{
    public const string TimestampHeader = "Wechatpay-Timestamp";
    public const string NonceHeader = "Wechatpay-Nonce";
    public const string SerialHeader = "Wechatpay-Serial";
    public const string SignatureHeader = "Wechatpay-Signature";
    public const string SignatureTypeHeader = "Wechatpay-Signature-Type";
    public const string SignatureType = "WECHATPAY2-SHA256-RSA2048";

    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string RandomAlphanumeric(int length) => RandomNumberGenerator.GetString(Alphanumerics, length);

    /// <summary>Lines joined and terminated by '\n'; the body is kept as raw bytes so it is signed exactly as sent.</summary>
    public static byte[] Message(ReadOnlySpan<byte> body, params string[] lines)
    {
        var prefix = Encoding.UTF8.GetBytes(string.Concat(lines.Select(line => line + "\n")));
        var message = new byte[prefix.Length + body.Length + 1];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        message[^1] = (byte)'\n';
        return message;
    }

    /// <summary>The four headers the channel puts on answers and notifications.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Headers(
        PlatformCertificate platform, TimeProvider time, ReadOnlySpan<byte> body)
    {
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var nonce = RandomAlphanumeric(32);
        var signature = platform.Sign(Message(body, timestamp, nonce));
        return
        [
            new(TimestampHeader, timestamp),
            new(NonceHeader, nonce),
            new(SerialHeader, platform.SerialNo),
            new(SignatureHeader, signature),
            new(SignatureTypeHeader, SignatureType),
        ];
    }
}
