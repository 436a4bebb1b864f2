using System.Security.Cryptography;

namespace Payments.Sandbox.WeChatPay;

/// <summary>
/// The channel's own signing key (the "platform certificate"), generated once per process: a new
/// key each run keeps adapters honest about fetching it from onboarding rather than pinning one.
/// </summary>
internal sealed class PlatformCertificate : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    // RSA instances are not documented as safe for concurrent use.
    private readonly Lock _gate = new();

    public PlatformCertificate()
    {
        SerialNo = RandomNumberGenerator.GetHexString(40);
        PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem();
    }

    public string SerialNo { get; }

    public string PublicKeyPem { get; }

    public string Sign(ReadOnlySpan<byte> message)
    {
        lock (_gate)
        {
            return Convert.ToBase64String(_key.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
    }

    public void Dispose() => _key.Dispose();
}
