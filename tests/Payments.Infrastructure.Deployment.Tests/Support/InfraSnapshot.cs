using System.Text.Json.Nodes;

namespace Payments.Infrastructure.Deployment.Tests.Support;

/// <summary>What main.bicep would deploy: bicep's offline snapshot of the template, with modules and
/// loops expanded and every expression evaluated that needs no live Azure resource. Made once per
/// test run, for a fixed subscription, location and environment name.</summary>
public sealed class InfraSnapshot
{
    public const string EnvironmentName = "test";
    public const string Location = "westeurope";
    private const string SubscriptionId = "00000000-0000-0000-0000-000000000000";

    private static readonly Lazy<Task<InfraSnapshot>> Instance = new(CreateAsync);

    private InfraSnapshot(JsonObject snapshot)
    {
        Resources = snapshot["predictedResources"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Outputs = snapshot["outputs"]!.AsObject();
        Diagnostics = snapshot["diagnostics"]!.AsArray().Select(d => d!.ToJsonString()).ToList();
    }

    public IReadOnlyList<JsonObject> Resources { get; }

    public JsonObject Outputs { get; }

    public IReadOnlyList<string> Diagnostics { get; }

    public static Task<InfraSnapshot> GetAsync() => Instance.Value;

    public IReadOnlyList<JsonObject> OfType(string type) =>
        Resources.Where(r => string.Equals((string?)r["type"], type, StringComparison.OrdinalIgnoreCase)).ToList();

    public JsonObject Single(string type) => Assert.Single(OfType(type));

    /// <summary>The last segment of each resource's name: "st.../default/payments" is "payments".</summary>
    public IReadOnlyList<string> ChildNames(string type) =>
        OfType(type).Select(r => ((string)r["name"]!).Split('/')[^1]).ToList();

    public JsonObject AppSettings() => Single("Microsoft.Web/sites/config")["properties"]!.AsObject();

    private static async Task<InfraSnapshot> CreateAsync()
    {
        string directory = Directory.CreateTempSubdirectory("bicep-snapshot-").FullName;
        try
        {
            // A parameters file may only name its template by a relative path.
            string template = Path.GetRelativePath(directory, BicepCli.MainTemplate).Replace('\\', '/');
            string parameters = Path.Combine(directory, "test.bicepparam");
            await File.WriteAllTextAsync(parameters, $"""
                using '{template}'

                param environmentName = '{EnvironmentName}'
                param location = '{Location}'
                param alertEmail = 'operator@example.com'
                """);
            var result = await BicepCli.RunAsync(directory, "snapshot", parameters, "--mode", "overwrite",
                "--subscription-id", SubscriptionId, "--location", Location);
            string snapshot = Path.Combine(directory, "test.snapshot.json");
            if (result.ExitCode != 0 || !File.Exists(snapshot))
            {
                throw new InvalidOperationException($"bicep snapshot failed: {result}");
            }

            return new InfraSnapshot(JsonNode.Parse(await File.ReadAllTextAsync(snapshot))!.AsObject());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
