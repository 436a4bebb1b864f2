using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Payments.Channels.Shared;

/// <summary>Reads a channel's JSON where a body that is not what we expect is an answer to judge, not a crash.</summary>
internal static class LenientJson
{
    /// <summary>The value, or null when <paramref name="json"/> is not JSON of that shape.</summary>
    public static T? Deserialize<T>(string json, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(json, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
