using System.Text;

namespace Payments.Channels.Alipay;

/// <summary>
/// <c>application/x-www-form-urlencoded</c> in UTF-8, the encoding of gateway requests, page-payment
/// links and asynchronous notifications.
/// </summary>
public static class AlipayForm
{
    /// <summary>Percent-encodes names and values (RFC 3986 unreserved characters stay as they are).</summary>
    public static string Encode(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var form = new StringBuilder();
        foreach (var (name, value) in parameters)
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
    /// Decodes a form body: <c>+</c> is a space, <c>%XX</c> are UTF-8 bytes. Null when it is not a
    /// well-formed form (a name twice, bytes that are not UTF-8): a signed message must not be read
    /// two ways.
    /// </summary>
    public static Dictionary<string, string>? TryParse(string body)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.Length == 0)
        {
            return parameters;
        }

        foreach (string pair in body.Split('&'))
        {
            if (pair.Length == 0)
            {
                continue;
            }

            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            string? name = Decode(equals < 0 ? pair : pair[..equals]);
            string? value = equals < 0 ? string.Empty : Decode(pair[(equals + 1)..]);
            if (name is null || value is null || !parameters.TryAdd(name, value))
            {
                return null;
            }
        }

        return parameters;
    }

    private static string? Decode(string text)
    {
        var bytes = new List<byte>(text.Length);
        Span<byte> buffer = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '%')
            {
                if (i + 2 >= text.Length || !IsHex(text[i + 1]) || !IsHex(text[i + 2]))
                {
                    return null;
                }

                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c > 0x7F)
            {
                // Raw non-ASCII in a form body is not percent-encoded; take it as the text it is.
                if (!Rune.TryGetRuneAt(text, i, out var rune))
                {
                    return null;
                }

                int length = rune.EncodeToUtf8(buffer);
                bytes.AddRange(buffer[..length]);
                i += rune.Utf16SequenceLength - 1;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
