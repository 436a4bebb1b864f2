namespace Payments.Channels.Shared;

/// <summary>Reading the headers a channel signs its answers and notifications with.</summary>
internal static class SignedHeaders
{
    /// <summary>The first value of an answer's header, or null.</summary>
    public static string? ResponseHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <summary>A notification's header by exact name, else by name in any case, or null.</summary>
    public static string? FindHeader(IReadOnlyDictionary<string, string> headers, string name)
    {
        if (headers.TryGetValue(name, out string? exact))
        {
            return exact;
        }

        foreach (var (key, value) in headers)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }
}
