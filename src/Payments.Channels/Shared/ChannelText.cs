namespace Payments.Channels.Shared;

/// <summary>Fitting our text into a channel's field limits.</summary>
internal static class ChannelText
{
    /// <summary>At most <paramref name="maxLength"/> chars of <paramref name="text"/>, never half a surrogate pair.</summary>
    public static string Truncate(string text, int maxLength)
    {
        if (text.Length <= maxLength)
        {
            return text;
        }

        // Never cut a surrogate pair in half: the channel would refuse the invalid UTF-8.
        int length = char.IsHighSurrogate(text[maxLength - 1]) ? maxLength - 1 : maxLength;
        return text[..length];
    }
}
