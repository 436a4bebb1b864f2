namespace Payments.Core.Security;

/// <summary>Asymmetric keys kept out of the app's reach (Key Vault in Azure, a local key ring in
/// development), addressed by name. A name has versions; a key id names one version, so what was
/// signed or wrapped with an older version stays verifiable and unwrappable after a rotation.
/// <para>Keys are RSA. Signatures are RS256 (RSASSA-PKCS1-v1_5 over a SHA-256 digest); wrapping is
/// RSA-OAEP-256.</para></summary>
public interface IKeyRing
{
    /// <summary>Signs a SHA-256 digest with the newest version of <paramref name="keyName"/>.</summary>
    Task<KeySignature> SignAsync(string keyName, byte[] digest, CancellationToken cancellationToken);

    /// <summary>True when <paramref name="signature"/> is the signature of <paramref name="digest"/>
    /// by the key version it names.</summary>
    Task<bool> VerifyAsync(KeySignature signature, byte[] digest, CancellationToken cancellationToken);

    /// <summary>Encrypts a symmetric key with the newest version of <paramref name="keyName"/>.</summary>
    Task<WrappedKey> WrapKeyAsync(string keyName, byte[] key, CancellationToken cancellationToken);

    /// <summary>Decrypts a key wrapped by <see cref="WrapKeyAsync"/>, with the version that wrapped it.</summary>
    Task<byte[]> UnwrapKeyAsync(WrappedKey wrapped, CancellationToken cancellationToken);
}

/// <summary>A signature and the id of the key version that made it.</summary>
public sealed record KeySignature(string KeyId, byte[] Value);

/// <summary>A wrapped (encrypted) symmetric key and the id of the key version that wrapped it.</summary>
public sealed record WrappedKey(string KeyId, byte[] Value);
