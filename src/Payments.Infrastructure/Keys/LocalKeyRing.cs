using System.Collections.Concurrent;
using System.Security.Cryptography;
using Payments.Core.Security;

namespace Payments.Infrastructure.Keys;

/// <summary>The key ring for development and tests: one RSA-2048 key per name, created on first use
/// as <c>&lt;directory&gt;/&lt;name&gt;.pem</c> (PKCS#8, readable by the owner only) and read back by
/// every later run, so secrets sealed by one run open in the next. Key ids are
/// <c>local:&lt;name&gt;/&lt;version&gt;</c>, the version being a hash of the public key: a key file
/// that was deleted and re-created is told apart from the one that wrapped a stored data key.
/// <para>Not for production: the private key sits on disk next to the app.</para></summary>
public sealed class LocalKeyRing : IKeyRing, IDisposable
{
    public const string KeyIdPrefix = "local:";

    private readonly ConcurrentDictionary<string, Lazy<LocalKey>> _keys = new(StringComparer.Ordinal);

    public LocalKeyRing(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The absolute directory holding the key files.</summary>
    public string Directory { get; }

    public Task<KeySignature> SignAsync(string keyName, byte[] digest, CancellationToken cancellationToken)
    {
        RequireSha256(digest);
        var key = Key(keyName);
        lock (key.Rsa)
        {
            return Task.FromResult(new KeySignature(key.Id, key.Rsa.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)));
        }
    }

    public Task<bool> VerifyAsync(KeySignature signature, byte[] digest, CancellationToken cancellationToken)
    {
        RequireSha256(digest);
        var (name, version) = ParseKeyId(signature.KeyId);
        var key = Key(name);
        if (key.Version != version)
        {
            return Task.FromResult(false);
        }

        lock (key.Rsa)
        {
            return Task.FromResult(key.Rsa.VerifyHash(digest, signature.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
    }

    public Task<WrappedKey> WrapKeyAsync(string keyName, byte[] key, CancellationToken cancellationToken)
    {
        var wrapping = Key(keyName);
        lock (wrapping.Rsa)
        {
            return Task.FromResult(new WrappedKey(wrapping.Id, wrapping.Rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA256)));
        }
    }

    public Task<byte[]> UnwrapKeyAsync(WrappedKey wrapped, CancellationToken cancellationToken)
    {
        var (name, version) = ParseKeyId(wrapped.KeyId);
        var key = Key(name);
        if (key.Version != version)
        {
            throw new CryptographicException(
                $"{wrapped.KeyId} wrapped this key, but {Path.Combine(Directory, name + ".pem")} holds version {key.Version}: the key file was replaced since.");
        }

        lock (key.Rsa)
        {
            return Task.FromResult(key.Rsa.Decrypt(wrapped.Value, RSAEncryptionPadding.OaepSHA256));
        }
    }

    private static void RequireSha256(byte[] digest)
    {
        if (digest.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"RS256 signs a SHA-256 digest ({SHA256.HashSizeInBytes} bytes), not {digest.Length} bytes.", nameof(digest));
        }
    }

    private static (string Name, string Version) ParseKeyId(string keyId)
    {
        string[] parts = keyId.StartsWith(KeyIdPrefix, StringComparison.Ordinal) ? keyId[KeyIdPrefix.Length..].Split('/') : [];
        return parts.Length == 2 && KeyNames.IsValid(parts[0])
            ? (parts[0], parts[1])
            : throw new CryptographicException($"'{keyId}' is not a local key id (local:<name>/<version>); was this made by another key ring?");
    }

    private LocalKey Key(string name)
    {
        if (!KeyNames.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a key name (1 to 127 letters, digits and dashes).", nameof(name));
        }

        var lazy = _keys.GetOrAdd(name, n => new Lazy<LocalKey>(() => LoadOrCreate(n)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load (unreadable file, say) is not remembered: the next call tries again.
            _keys.TryRemove(new KeyValuePair<string, Lazy<LocalKey>>(name, lazy));
            throw;
        }
    }

    private LocalKey LoadOrCreate(string name)
    {
        string path = Path.Combine(Directory, name + ".pem");
        if (!File.Exists(path))
        {
            Create(path);
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        string version = Convert.ToHexStringLower(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..32];
        return new LocalKey($"{KeyIdPrefix}{name}/{version}", version, rsa);
    }

    /// <summary>Writes a new key where no other process can see it half-written, then moves it into
    /// place unless another process (the demo seeder and the app, say) got there first.</summary>
    private void Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(Directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        using var rsa = RSA.Create(2048);
        string temporary = Path.Combine(Directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(temporary, options))
        {
            writer.Write(rsa.ExportPkcs8PrivateKeyPem());
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temporary);
        }
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values.Where(k => k.IsValueCreated))
        {
            key.Value.Rsa.Dispose();
        }
    }

    private sealed record LocalKey(string Id, string Version, RSA Rsa);
}
