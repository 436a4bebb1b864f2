namespace Payments.Sandbox.Tests.Support;

/// <summary>One sandbox for a whole test class, for classes that queue no faults and so cannot disturb each other.</summary>
public sealed class SharedSandbox : IAsyncLifetime
{
    internal SandboxHost Host { get; } = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
