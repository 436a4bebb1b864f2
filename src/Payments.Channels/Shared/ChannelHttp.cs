using System.Text;
using Payments.Core.Channels;

namespace Payments.Channels.Shared;

/// <summary>One call to a channel, where a call that got no answer must stay distinguishable from a refusal.</summary>
internal static class ChannelHttp
{
    /// <summary>
    /// Sends <paramref name="request"/> and reads the answer with <paramref name="read"/>. A timeout or a network
    /// failure is <paramref name="noAnswer"/> with the reason: the channel may have acted, so it is never a "no".
    /// </summary>
    public static async Task<T> SendAsync<T>(
        HttpClient httpClient, HttpRequestMessage request, Func<HttpResponseMessage, Task<T>> read, Func<string, T> noAnswer, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await httpClient.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            return await read(response);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient.Timeout surfaces as a cancellation the caller did not ask for.
            return noAnswer("timed out");
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return noAnswer($"network error: {ex.Message}");
        }
    }

    /// <summary>The text of a body that must be UTF-8, or null when it is not: a garbled answer is no answer.</summary>
    public static string? StrictUtf8(byte[] body)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>The account endpoint's path with a trailing slash, so that relative routes go below it.</summary>
    public static Uri BaseUri(ChannelAccount account)
    {
        string text = account.Endpoint.GetLeftPart(UriPartial.Path);
        return new Uri(text.EndsWith('/') ? text : text + "/");
    }
}
