namespace Payments.Sandbox;

internal static class SandboxDefaults
{
    public const string Url = "http://127.0.0.1:7072";
}
