using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Payments.Core.Security;

namespace Payments.Infrastructure.Keys;

/// <summary>A stored secret that cannot be read: not encrypted (written before envelope encryption),
/// of an unknown format, altered, moved from another record, or wrapped by a key this app cannot use.
/// The message names the secret's place, never its value.</summary>
public sealed class ProtectedSecretException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Envelope encryption of secrets at rest (app secrets, webhook secrets, channel credentials).
/// <para>Each value is sealed with AES-256-GCM under a data key; the data key is wrapped by the key
/// ring's key (<c>Keys:KeyName</c>; in Azure a Key Vault key, so the plaintext data key never leaves
/// memory and the vault alone can open it). Format, all in one string:</para>
/// <code>enc:v1:&lt;key id&gt;:&lt;wrapped data key&gt;:&lt;nonce ‖ ciphertext ‖ tag&gt;</code>
/// <para>The key id is the wrapping key version's id (a Key Vault key URL, or <c>local:name/version</c>)
/// and may itself contain colons, so the two base64url fields are taken from the right. The nonce is
/// 12 random bytes, the tag 16. The associated data is the header (<c>enc:v1:&lt;key id&gt;:&lt;wrapped&gt;</c>)
/// and the caller's context (e.g. <c>apps/app_1/appSecrets</c>), so a value neither decrypts with a
/// swapped header nor when copied into another record or field.</para>
/// <para>Each value carries its own wrapped data key, so it reads alone (backup, restore, any
/// instance). A process seals with one data key for <see cref="DataKeyLifetime"/> and then makes a
/// new one; unwrapped data keys are cached for <see cref="CacheFor"/>, so reading needs the vault once
/// per data key and cache period, not per secret or per request.</para></summary>
public sealed class SecretProtector
{
    public const string Prefix = "enc:v1:";

    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    public static readonly TimeSpan DataKeyLifetime = TimeSpan.FromHours(1);

    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly IKeyRing _keys;
    private readonly string _keyName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, (DateTimeOffset Until, Lazy<Task<byte[]>> Key)> _opened = new(StringComparer.Ordinal);
    private Task<DataKey>? _current;

    public SecretProtector(IKeyRing keys, string keyName, TimeProvider time, ILogger<SecretProtector>? logger = null)
    {
        if (!KeyNames.IsValid(keyName))
        {
            throw new ArgumentException($"'{keyName}' is not a key name.", nameof(keyName));
        }

        _keys = keys;
        _keyName = keyName;
        _time = time;
        _logger = logger ?? NullLogger<SecretProtector>.Instance;
    }

    /// <summary>True for a value in this class's format (any version).</summary>
    public static bool IsProtected(string value) => value.StartsWith("enc:", StringComparison.Ordinal);

    /// <summary>Seals <paramref name="plaintext"/> for the place named by <paramref name="context"/>.</summary>
    public async Task<string> ProtectAsync(string plaintext, string context, CancellationToken cancellationToken)
    {
        var dataKey = await CurrentDataKeyAsync(cancellationToken);
        byte[] plain = Encoding.UTF8.GetBytes(plaintext);
        byte[] sealedValue = new byte[NonceSize + plain.Length + TagSize];
        var nonce = sealedValue.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(dataKey.Key, TagSize))
        {
            aes.Encrypt(nonce, plain, sealedValue.AsSpan(NonceSize, plain.Length), sealedValue.AsSpan(NonceSize + plain.Length), AssociatedData(dataKey.Header, context));
        }

        CryptographicOperations.ZeroMemory(plain);
        return dataKey.Header + ":" + Base64Url.EncodeToString(sealedValue);
    }

    /// <summary>Opens a value sealed by <see cref="ProtectAsync"/> for the same <paramref name="context"/>.</summary>
    /// <exception cref="ProtectedSecretException">The value cannot be read; see the message.</exception>
    public async Task<string> UnprotectAsync(string protectedValue, string context, CancellationToken cancellationToken)
    {
        if (!protectedValue.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new ProtectedSecretException(IsProtected(protectedValue)
                ? $"The secret at {context} is in an encryption format this version does not know."
                : $"The secret at {context} is stored unencrypted (written before envelope encryption); save it again to encrypt it.");
        }

        int last = protectedValue.LastIndexOf(':');
        int wrappedAt = last > Prefix.Length ? protectedValue.LastIndexOf(':', last - 1) : -1;
        if (wrappedAt <= Prefix.Length)
        {
            throw new ProtectedSecretException($"The secret at {context} is malformed (enc:v1:<key id>:<wrapped key>:<sealed value>).");
        }

        string header = protectedValue[..last];
        string keyId = protectedValue[Prefix.Length..wrappedAt];
        if (!Base64Url.IsValid(protectedValue.AsSpan(wrappedAt + 1, last - wrappedAt - 1)) || !Base64Url.IsValid(protectedValue.AsSpan(last + 1)))
        {
            throw new ProtectedSecretException($"The secret at {context} is malformed: its wrapped key or sealed value is not base64url.");
        }

        byte[] sealedValue = Base64Url.DecodeFromChars(protectedValue.AsSpan(last + 1));
        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new ProtectedSecretException($"The secret at {context} is malformed: its sealed value is too short.");
        }

        byte[] key;
        try
        {
            key = await OpenDataKeyAsync(header, keyId, protectedValue[(wrappedAt + 1)..last], cancellationToken);
        }
        catch (CryptographicException e)
        {
            throw new ProtectedSecretException($"The data key of the secret at {context} cannot be unwrapped with {keyId}.", e);
        }

        byte[] plain = new byte[sealedValue.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(sealedValue.AsSpan(0, NonceSize), sealedValue.AsSpan(NonceSize, plain.Length), sealedValue.AsSpan(NonceSize + plain.Length), plain, AssociatedData(header, context));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new ProtectedSecretException($"The secret at {context} does not decrypt: it was altered, or it belongs to another record or field.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static byte[] AssociatedData(string header, string context) => Encoding.UTF8.GetBytes(header + "\n" + context);

    /// <summary>The data key this process seals with; concurrent callers share one wrap, and one that
    /// failed is tried again by the next caller.</summary>
    private Task<DataKey> CurrentDataKeyAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            bool usable = _current is { IsCompletedSuccessfully: true } made && now - made.Result.Created < DataKeyLifetime;
            if (!usable && _current is not { IsCompleted: false })
            {
                _current = NewDataKeyAsync(now);
            }

            return _current!.WaitAsync(cancellationToken);
        }
    }

    private async Task<DataKey> NewDataKeyAsync(DateTimeOffset now)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var wrapped = await _keys.WrapKeyAsync(_keyName, key, CancellationToken.None);
        _logger.LogInformation("New data key for secrets at rest, wrapped with {KeyId}", wrapped.KeyId);
        return new DataKey(key, Prefix + wrapped.KeyId + ":" + Base64Url.EncodeToString(wrapped.Value), now);
    }

    private async Task<byte[]> OpenDataKeyAsync(string header, string keyId, string wrapped, CancellationToken cancellationToken)
    {
        // What this process sealed, it reads back without asking the vault.
        if (Volatile.Read(ref _current) is { IsCompletedSuccessfully: true } current && current.Result.Header == header)
        {
            return current.Result.Key;
        }

        var now = _time.GetUtcNow();
        var fresh = new Lazy<Task<byte[]>>(() => UnwrapAsync(keyId, wrapped));
        // Concurrent readers of one data key share one unwrap; one that failed is not remembered.
        var entry = _opened.AddOrUpdate(
            header,
            _ => (now + CacheFor, fresh),
            (_, existing) => now < existing.Until && !existing.Key.Value.IsFaulted && !existing.Key.Value.IsCanceled ? existing : (now + CacheFor, fresh));
        if (entry.Key == fresh)
        {
            Evict(now);
        }

        try
        {
            return await entry.Key.Value.WaitAsync(cancellationToken);
        }
        catch (Exception) when (entry.Key.Value.IsFaulted || entry.Key.Value.IsCanceled)
        {
            _opened.TryRemove(new KeyValuePair<string, (DateTimeOffset, Lazy<Task<byte[]>>)>(header, entry));
            throw;
        }
    }

    /// <summary>Not cancelled with the caller: other readers may be waiting for the same data key.</summary>
    private async Task<byte[]> UnwrapAsync(string keyId, string wrapped)
    {
        byte[] key = await _keys.UnwrapKeyAsync(new WrappedKey(keyId, Base64Url.DecodeFromChars(wrapped)), CancellationToken.None);
        _logger.LogDebug("Unwrapped a data key for secrets at rest with {KeyId}", keyId);
        return key;
    }

    private void Evict(DateTimeOffset now)
    {
        foreach (var entry in _opened.Where(e => now >= e.Value.Until))
        {
            _opened.TryRemove(entry);
        }
    }

    private sealed record DataKey(byte[] Key, string Header, DateTimeOffset Created);
}
