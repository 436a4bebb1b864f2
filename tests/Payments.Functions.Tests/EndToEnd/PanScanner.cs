using System.Text.RegularExpressions;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>
/// Finds what looks like a card number in text, as data-loss scanners do: a whole word of 13 to 19
/// digits (not part of a longer run, nor of a hex or base64 token, where digit runs occur by chance)
/// that passes the Luhn check and starts with a card network's prefix (Visa, Mastercard, Amex,
/// Discover, JCB, UnionPay). The prefix rule keeps ordinary digit ids and clock ticks, one in ten of
/// which pass Luhn by chance, from being reported; every card the sandbox accepts has such a prefix.
/// </summary>
public static partial class PanScanner
{
    public static IEnumerable<string> Find(string text)
    {
        foreach (Match match in DigitRun().Matches(text))
        {
            string digits = match.Value;
            if (HasNetworkPrefix(digits) && LuhnValid(digits))
            {
                yield return digits;
            }
        }
    }

    /// <summary>The finding with all but its last four digits masked, fit for an assertion message.</summary>
    public static string Masked(string pan) => new string('*', pan.Length - 4) + pan[^4..];

    /// <summary>Up to 40 characters either side of the masked finding, so a report says where it was.</summary>
    public static string InContext(string text, string pan)
    {
        int at = text.IndexOf(pan, StringComparison.Ordinal);
        int start = Math.Max(0, at - 40);
        int end = Math.Min(text.Length, at + pan.Length + 40);
        return text[start..at] + Masked(pan) + text[(at + pan.Length)..end];
    }

    private static bool HasNetworkPrefix(string digits)
    {
        int two = int.Parse(digits[..2], System.Globalization.CultureInfo.InvariantCulture);
        int four = int.Parse(digits[..4], System.Globalization.CultureInfo.InvariantCulture);
        return digits[0] == '4'
            || two is >= 51 and <= 55 || four is >= 2221 and <= 2720
            || two is 34 or 37
            || four == 6011 || two == 65
            || four is >= 3528 and <= 3589
            || two == 62;
    }

    private static bool LuhnValid(string digits)
    {
        int sum = 0;
        for (int i = 0; i < digits.Length; i++)
        {
            int d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    [GeneratedRegex("(?<![0-9A-Za-z])[0-9]{13,19}(?![0-9A-Za-z])")]
    private static partial Regex DigitRun();
}
