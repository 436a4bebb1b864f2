namespace Payments.Core;

public static class PrintableText
{
    /// <summary>No control characters and no lone surrogates (what invalid UTF-8 turns into after lenient
    /// decoding, and what JSON escapes can smuggle in).</summary>
    public static bool IsPrintable(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsControl(c) || char.IsLowSurrogate(c))
            {
                return false;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]))
                {
                    return false;
                }

                i++;
            }
        }

        return true;
    }
}
