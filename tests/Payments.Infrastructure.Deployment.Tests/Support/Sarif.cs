using System.Text.Json.Nodes;

namespace Payments.Infrastructure.Deployment.Tests.Support;

/// <summary>Reads the diagnostics out of bicep's SARIF output, so a test fails on any warning by
/// rule id instead of by scraping text.</summary>
public static class Sarif
{
    public static IReadOnlyList<string> Diagnostics(string sarif)
    {
        var root = JsonNode.Parse(sarif) ?? throw new InvalidOperationException("Empty SARIF document.");
        return root["runs"]!.AsArray()
            .SelectMany(run => run!["results"]!.AsArray())
            .Select(r => $"{r!["level"]?.GetValue<string>() ?? "warning"} {r["ruleId"]}: {r["message"]?["text"]} at {r["locations"]?[0]?["physicalLocation"]?["artifactLocation"]?["uri"]}:{r["locations"]?[0]?["physicalLocation"]?["region"]?["startLine"]}")
            .ToList();
    }
}
