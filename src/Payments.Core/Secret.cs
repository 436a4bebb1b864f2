namespace Payments.Core;

/// <summary>A secret value that never prints itself: not in logs, not in records' ToString.</summary>
public sealed class Secret
{
    private readonly string _value;

    public Secret(string value) => _value = value ?? throw new ArgumentNullException(nameof(value));

    public string Reveal() => _value;

    public override string ToString() => "***";
}
