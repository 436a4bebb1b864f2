namespace Payments.Channels.Shared;

/// <summary>What one call to a JSON channel brought back, before the channel's own rules judge it.</summary>
internal abstract record HttpExchange
{
    /// <summary>An answer to judge: the HTTP status and the whole body (already verified where the channel signs).</summary>
    public sealed record Answered(int StatusCode, string Body) : HttpExchange;

    /// <summary>No answer we can believe: the channel may have acted, so the outcome is unknown.</summary>
    public sealed record NoAnswer(string Reason) : HttpExchange;
}
