using System.Text.Json;
using System.Text.RegularExpressions;
using Payments.Core;

namespace Payments.Functions.Api;

/// <summary>Turns a System.Text.Json failure into a validation problem that names the field.</summary>
public static partial class JsonProblems
{
    [GeneratedRegex("The JSON property '(?<name>[^']{1,64})' could not be mapped")]
    private static partial Regex UnmappedProperty();

    public static Problem From(JsonException e)
    {
        // The serializer's messages name members and positions; they never include a stack trace,
        // but we still say it in our own words.
        if (UnmappedProperty().Match(e.Message) is { Success: true } unmapped)
        {
            return Field(unmapped.Groups["name"].Value, "Unknown field.");
        }

        string field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.');
        string message = e.InnerException is FormatException or OverflowException || e.Message.Contains("could not be converted", StringComparison.Ordinal)
            ? "Wrong type or out of range."
            : "Malformed JSON.";
        return Field(field, message);
    }

    private static Problem Field(string field, string message) =>
        Problem.Validation(new Dictionary<string, string[]> { [field] = [message] });
}
