using System.Reflection;
using Payments.Core;

namespace Payments.Core.Tests;

public class ArchitectureTests
{
    // Anchored on a Core type, so the check cannot silently look at the wrong assembly.
    private static readonly Assembly CoreAssembly = typeof(Money).Assembly;

    [Fact]
    public void TheAssemblyUnderTestIsPaymentsCore() =>
        Assert.Equal("Payments.Core", CoreAssembly.GetName().Name);

    [Fact]
    public void CoreReferencesNoAzureSdkAndNoAspNetCore()
    {
        var offending = CoreAssembly.GetReferencedAssemblies()
            .Select(a => a.Name ?? string.Empty)
            .Where(n => n.StartsWith("Azure", StringComparison.Ordinal)
                        || n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
                        || n.StartsWith("Microsoft.Extensions.Hosting", StringComparison.Ordinal)
                        || n.StartsWith("Microsoft.Azure", StringComparison.Ordinal))
            .ToList();

        Assert.Empty(offending);
    }

    [Fact]
    public void CoreReferencesOnlyTheBaseClassLibrary()
    {
        // Stronger than a deny list: anything beyond System.* and the runtime is a new dependency
        // that has to be argued for here.
        var names = CoreAssembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.All(names, n => Assert.True(
            n == "netstandard" || n.StartsWith("System", StringComparison.Ordinal) || n == "Microsoft.Extensions.Logging.Abstractions",
            $"Core references {n}"));
        Assert.Contains("System.Runtime", names);
    }
}
