using System.Security.Cryptography;
using System.Text;

namespace Payments.Core;

/// <summary>Prefixed opaque ids. Payment ids are derived from natural keys so that a repeated
/// create collides on insert instead of needing a lock.</summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

    /// <summary>pay_ + 26 base32 chars of SHA-256(appId, merchantOrderNo): 130 bits, collision-free in practice.</summary>
    public static string PaymentId(string appId, string merchantOrderNo) => "pay_" + Derive(appId, merchantOrderNo);

    /// <summary>ref_ + the payment's own id part + a digest of (payment, merchantRefundNo): the refund id
    /// names its partition, so a refund is a point read without an index.</summary>
    public static string RefundId(string paymentId, string merchantRefundNo) =>
        "ref_" + paymentId["pay_".Length..] + Derive(paymentId, merchantRefundNo)[..16];

    /// <summary>The payment a refund id belongs to, or null for something that is not one of our refund ids.</summary>
    public static string? PaymentIdOfRefund(string refundId) =>
        refundId.Length == 46 && refundId.StartsWith("ref_", StringComparison.Ordinal) ? "pay_" + refundId[4..30] : null;

    /// <summary>evt_ derived from what the event is about, so a retried producer emits the same id.</summary>
    public static string EventId(string subjectId, string eventType) => "evt_" + Derive(subjectId, eventType);

    /// <summary>A stable message id from the message's cause, for duplicate detection downstream.</summary>
    public static string MessageId(params string[] parts) => "msg_" + Derive(parts);

    public static string Random(string prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Encode(bytes)[..26];
    }

    private static string Derive(params string[] parts)
    {
        // Length-prefixed parts: ("a\nb","c") and ("a","b\nc") must not collide.
        var sb = new StringBuilder();
        foreach (string part in parts)
        {
            sb.Append(part.Length).Append(':').Append(part).Append('\n');
        }

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
        return Encode(hash)[..26];
    }

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder((bytes.Length * 8 / 5) + 1);
        int buffer = 0, bits = 0;
        foreach (byte b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            sb.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return sb.ToString();
    }
}
