using System.Globalization;

namespace Payments.Sandbox.WeChatPay;

internal static class WeChatPayTime
{
    // The channel runs on China Standard Time and says so in every timestamp it writes.
    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    private const string Rfc3339Format = "yyyy-MM-dd'T'HH:mm:sszzz";

    public static string Format(DateTimeOffset instant) =>
        instant.ToOffset(ChinaOffset).ToString(Rfc3339Format, CultureInfo.InvariantCulture);

    /// <summary>
    /// Accepts only <c>yyyy-MM-ddTHH:mm:ss±hh:mm</c>, the format the channel documents for
    /// <c>time_expire</c>; fractional seconds or a bare <c>Z</c> are refused so an adapter
    /// relying on them fails here rather than in production.
    /// </summary>
    public static bool TryParse(string text, out DateTimeOffset instant) =>
        DateTimeOffset.TryParseExact(text, Rfc3339Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out instant);
}
