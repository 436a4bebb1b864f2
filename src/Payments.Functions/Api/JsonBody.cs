using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Payments.Core;

namespace Payments.Functions.Api;

/// <summary>A request body as a command: application/json, strict source-generated parsing (unknown
/// fields refused), a JSON object. The one place every endpoint with a body goes through.</summary>
public static class JsonBody
{
    public static Result<T> Parse<T>(HttpContext http, ReadOnlySpan<byte> body, JsonTypeInfo<T> type)
    {
        if (http.Request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new Problem(ProblemCodes.UnsupportedMediaType, "Send the body as application/json.");
        }

        try
        {
            return JsonSerializer.Deserialize(body, type) is { } value
                ? value
                : Problem.Validation(new Dictionary<string, string[]> { ["body"] = ["Expected a JSON object."] });
        }
        catch (JsonException e)
        {
            return JsonProblems.From(e);
        }
    }
}
