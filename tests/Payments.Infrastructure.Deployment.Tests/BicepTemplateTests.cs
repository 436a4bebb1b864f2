using System.Text.Json.Nodes;
using Payments.Infrastructure.Deployment.Tests.Support;

namespace Payments.Infrastructure.Deployment.Tests;

/// <summary>The templates compile and lint clean. A warning that must stay is suppressed in the
/// Bicep next to a comment that says why, so it shows up in review instead of in noise.</summary>
public class BicepTemplateTests
{
    [Fact]
    public async Task MainTemplateBuildsWithoutWarnings()
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory("bicep-build-").FullName, "main.json");
        try
        {
            var result = await BicepCli.RunAsync(BicepCli.InfraDirectory, "build", BicepCli.MainTemplate, "--outfile", output, "--diagnostics-format", "sarif");

            Assert.True(result.ExitCode == 0, result.ToString());
            // Build writes its diagnostics, SARIF included, to standard error.
            Assert.Empty(Sarif.Diagnostics(result.StandardError));
            // azd provisions at subscription scope: main.bicep creates the resource group itself.
            var template = JsonNode.Parse(await File.ReadAllTextAsync(output))!;
            Assert.Contains("subscriptionDeploymentTemplate", (string)template["$schema"]!, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
        }
    }

    [Fact]
    public async Task LinterReportsNoWarningsInAnyModule()
    {
        var result = await BicepCli.RunAsync(BicepCli.InfraDirectory, "lint", BicepCli.MainTemplate, "--diagnostics-format", "sarif");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(Sarif.Diagnostics(result.StandardOutput));
    }

    [Fact]
    public async Task EveryModuleIsReferencedByMain()
    {
        // A module nobody references is neither deployed nor linted through main.bicep.
        string mainText = await File.ReadAllTextAsync(BicepCli.MainTemplate);
        var modules = Directory.GetFiles(Path.Combine(BicepCli.InfraDirectory, "modules"), "*.bicep");

        Assert.NotEmpty(modules);
        Assert.All(modules, m => Assert.Contains($"'modules/{Path.GetFileName(m)}'", mainText, StringComparison.Ordinal));
    }
}
