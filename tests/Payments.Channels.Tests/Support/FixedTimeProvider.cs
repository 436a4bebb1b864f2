namespace Payments.Channels.Tests.Support;

/// <summary>A clock that always says the same time, so time stamps can be placed exactly.</summary>
internal sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
