using System.Globalization;
using System.Numerics;
using System.Text;

namespace Payments.Channels.UnionPay;

/// <summary>
/// The ACP gateway's message shapes. Requests and notifications are <c>application/x-www-form-urlencoded</c>
/// in UTF-8; synchronous answers are <c>k=v&amp;k=v</c> with values written raw (not percent-encoded), where a
/// value in braces or brackets may itself contain <c>&amp;</c>, read as the official SDK's <c>parseQString</c> reads them.
/// </summary>
public static class UnionPayWire
{
    public const string Version = "5.1.0";
    public const string Encoding = "UTF-8";

    /// <summary>RSA with the merchant certificate (SHA-256 over the hex digest in 5.1.0).</summary>
    public const string SignMethodRsa = "01";

    /// <summary>ISO 4217 numeric for CNY: the only currency of this merchant access.</summary>
    public const string CurrencyCny = "156";

    public const string FrontTransPath = "gateway/api/frontTransReq.do";
    public const string BackTransPath = "gateway/api/backTransReq.do";
    public const string QueryPath = "gateway/api/queryTrans.do";
    public const string FileTransferPath = "gateway/api/fileTransRequest.do";

    // Beijing time, how every ACP time stamp is written; China has had no DST since 1991.
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary><c>txnTime</c> and <c>payTimeout</c>: yyyyMMddHHmmss in Beijing time.</summary>
    public static string FormatTime(DateTimeOffset instant) =>
        instant.ToOffset(Beijing).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (!DateTime.TryParseExact(text, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }

        instant = new DateTimeOffset(local, Beijing);
        return true;
    }

    /// <summary>
    /// When a transaction completed: <c>traceTime</c> (MMddHHmmss, Beijing, no year) placed in the year of the
    /// order's <c>txnTime</c>, or the next one when the order was sent on New Year's Eve and paid after midnight.
    /// </summary>
    public static bool TryParseTraceTime(string? traceTime, string? txnTime, out DateTimeOffset instant)
    {
        instant = default;
        if (traceTime is not { Length: 10 } || !TryParseTime(txnTime, out var sent))
        {
            return false;
        }

        int year = sent.Year;
        if (!DateTime.TryParseExact(year.ToString("D4", CultureInfo.InvariantCulture) + traceTime, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }

        instant = new DateTimeOffset(local, Beijing);
        if (instant < sent.AddDays(-1))
        {
            instant = instant.AddYears(1);
        }

        return true;
    }

    public static DateOnly BeijingDay(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Beijing).DateTime);

    /// <summary>Percent-encodes names and values as a form body or a query string.</summary>
    public static string EncodeForm(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var form = new StringBuilder();
        foreach (var (name, value) in fields)
        {
            if (form.Length > 0)
            {
                form.Append('&');
            }

            form.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return form.ToString();
    }

    /// <summary>
    /// Decodes a form body (<c>+</c> is a space, <c>%XX</c> UTF-8 bytes). Null when it is not a well-formed form
    /// (a name twice, a bad escape, bytes that are not UTF-8): a signed message must not be read two ways.
    /// </summary>
    public static Dictionary<string, string>? ParseForm(string body)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in body.Split('&'))
        {
            if (pair.Length == 0)
            {
                continue;
            }

            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string? name = Unescape(equals < 0 ? pair : pair[..equals]);
            string? value = equals < 0 ? string.Empty : Unescape(pair[(equals + 1)..]);
            if (name is not { Length: > 0 } || value is null || !fields.TryAdd(name, value))
            {
                return null;
            }
        }

        return fields;
    }

    /// <summary>
    /// Reads a synchronous answer as the SDK's <c>parseQString</c> does: a name runs to the first <c>=</c>, a
    /// value to the next <c>&amp;</c> outside braces or brackets, nothing is unescaped. Null for a name twice or empty.
    /// </summary>
    public static Dictionary<string, string>? ParseAnswer(string body)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = new StringBuilder();
        string? name = null;
        char closer = '\0';
        foreach (char c in body)
        {
            if (name is null)
            {
                if (c == '=')
                {
                    name = text.ToString();
                    text.Clear();
                }
                else
                {
                    text.Append(c);
                }

                continue;
            }

            if (closer != '\0')
            {
                closer = c == closer ? '\0' : closer;
            }
            else if (c is '{' or '[')
            {
                closer = c == '{' ? '}' : ']';
            }

            if (c == '&' && closer == '\0')
            {
                if (name.Length == 0 || !fields.TryAdd(name, text.ToString()))
                {
                    return null;
                }

                name = null;
                text.Clear();
            }
            else
            {
                text.Append(c);
            }
        }

        if (name is not null)
        {
            if (name.Length == 0 || !fields.TryAdd(name, text.ToString()))
            {
                return null;
            }
        }
        else if (text.Length > 0)
        {
            return null;
        }

        return fields;
    }

    private static string? Unescape(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '%')
            {
                if (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2]))
                {
                    return null;
                }

                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c > 0x7F)
            {
                return null;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        try
        {
            return StrictUtf8.GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}

/// <summary>
/// Our ids as ACP <c>orderId</c>s, which must be 8 to 40 letters and digits (no <c>_</c> or <c>-</c>).
/// A payment id <c>pay_X</c> (26 base32 characters) is <c>payX</c>; a refund id <c>ref_Y</c> (42 base32
/// characters) is <c>ref</c> plus Y re-encoded in base 62 (36 characters), 39 in all. Both map back exactly,
/// so notifications, queries and statements name our ids without a lookup.
/// </summary>
public static class UnionPayOrderId
{
    private const string Base32 = "0123456789abcdefghjkmnpqrstvwxyz";
    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int PaymentPart = 26;
    private const int RefundPart = 42;
    private const int RefundEncoded = 36;

    /// <summary>The orderId of a payment or refund id; null for an id of another shape.</summary>
    public static string? FromId(string id)
    {
        if (id.Length == 4 + PaymentPart && id.StartsWith("pay_", StringComparison.Ordinal) && id[4..].All(c => Base32.Contains(c, StringComparison.Ordinal)))
        {
            return "pay" + id[4..];
        }

        if (id.Length == 4 + RefundPart && id.StartsWith("ref_", StringComparison.Ordinal) && id[4..].All(c => Base32.Contains(c, StringComparison.Ordinal)))
        {
            return "ref" + Convert(id[4..], Base32, Base62, RefundEncoded);
        }

        return null;
    }

    /// <summary>Our payment or refund id for an orderId we made; null for any other orderId.</summary>
    public static string? ToId(string orderId)
    {
        if (orderId.Length == 3 + PaymentPart && orderId.StartsWith("pay", StringComparison.Ordinal) && orderId[3..].All(c => Base32.Contains(c, StringComparison.Ordinal)))
        {
            return "pay_" + orderId[3..];
        }

        if (orderId.Length == 3 + RefundEncoded && orderId.StartsWith("ref", StringComparison.Ordinal) && orderId[3..].All(c => Base62.Contains(c, StringComparison.Ordinal)))
        {
            // 42 base32 digits are 210 bits; a base-62 number above that is not one we made.
            string back = Convert(orderId[3..], Base62, Base32, RefundPart);
            return back.Length == RefundPart ? "ref_" + back : null;
        }

        return null;
    }

    private static string Convert(string digits, string from, string to, int width)
    {
        BigInteger value = BigInteger.Zero;
        foreach (char c in digits)
        {
            value = (value * from.Length) + from.IndexOf(c, StringComparison.Ordinal);
        }

        var text = new StringBuilder();
        while (value > 0)
        {
            text.Insert(0, to[(int)(value % to.Length)]);
            value /= to.Length;
        }

        return text.ToString().PadLeft(width, to[0]);
    }
}
