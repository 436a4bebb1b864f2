using Payments.Core.Channels;

namespace Payments.Channels.Shared;

/// <summary>
/// How an HTTP error answer of a JSON channel becomes a result. Only a definite "no" is <c>Rejected</c>: anything
/// that may hide a change the channel made is <c>Unknown</c>, so the caller queries instead of giving up.
/// </summary>
internal static class ErrorAnswer
{
    /// <summary>
    /// A 4xx carrying the channel's error code is a definite "no". A 5xx, and a 4xx without the code (a proxy's
    /// page), is <c>Unknown</c>.
    /// </summary>
    public static ChannelResult<T> RejectedWhen4xxWithCode<T>(int status, string? code, string? message) =>
        status is >= 400 and < 500 && code is { Length: > 0 }
            ? new ChannelResult<T>.Rejected(code, message ?? string.Empty)
            : new ChannelResult<T>.Unknown($"HTTP {status} {code}".Trim());

    /// <summary>
    /// Stricter: a 4xx is a definite "no" only when it carries an error code that is not one of
    /// <paramref name="tryAgainCodes"/>; 408, 429, 5xx and anything outside 4xx are <c>Unknown</c>.
    /// </summary>
    public static ChannelResult<T> RejectedWhenDefinite4xx<T>(int status, string? code, string? message, params ReadOnlySpan<string> tryAgainCodes)
    {
        if (status is < 400 or >= 500 or 408 or 429)
        {
            return new ChannelResult<T>.Unknown($"HTTP {status}");
        }

        if (code is not { Length: > 0 })
        {
            return new ChannelResult<T>.Unknown($"HTTP {status} without an error code");
        }

        return tryAgainCodes.Contains(code)
            ? new ChannelResult<T>.Unknown($"{code}: {message}")
            : new ChannelResult<T>.Rejected(code, message ?? string.Empty);
    }
}
