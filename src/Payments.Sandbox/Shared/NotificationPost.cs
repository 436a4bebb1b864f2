namespace Payments.Sandbox.Shared;

/// <summary>One copy of a notification posted to the merchant, who must answer within the channel's acknowledgement timeout.</summary>
internal static class NotificationPost
{
    /// <summary>
    /// Sends <paramref name="request"/> and asks <paramref name="acknowledges"/> whether the answer is the channel's acknowledgement;
    /// an unreachable merchant or one slower than <paramref name="timeout"/> has not acknowledged. Shutting down is not a failed post: it throws.
    /// </summary>
    public static async Task<bool> SendAsync(
        HttpClient client,
        HttpRequestMessage request,
        TimeProvider time,
        TimeSpan timeout,
        Func<HttpResponseMessage, CancellationToken, Task<bool>> acknowledges,
        Action<int, bool> delivered,
        Action<string> undelivered,
        CancellationToken stopping)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, stopping);
        try
        {
            using var response = await client.SendAsync(request, linked.Token);
            bool acknowledged = await acknowledges(response, linked.Token);
            delivered((int)response.StatusCode, acknowledged);
            return acknowledged;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            undelivered(ex.Message);
            return false;
        }
    }
}
