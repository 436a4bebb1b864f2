using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Payments.Core.Security;

namespace Payments.Infrastructure.Keys;

/// <summary>Pipeline settings for <see cref="KeyVaultKeyRing"/>: 429 and 5xx (and timeouts, broken
/// connections) are retried with exponential backoff, waiting at least as long as the vault's
/// Retry-After asks; the transport is replaceable (tests pass one that trusts their own certificate).</summary>
public sealed class KeyVaultClientOptions : ClientOptions
{
    public KeyVaultClientOptions()
    {
        Retry.Mode = RetryMode.Exponential;
        Retry.MaxRetries = 4;
        Retry.Delay = TimeSpan.FromMilliseconds(800);
        Retry.MaxDelay = TimeSpan.FromSeconds(10);
        Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
    }
}

/// <summary>Key Vault keys over the REST API (api-version <see cref="ApiVersion"/>), written on Azure.Core
/// because the Key Vault client library is not available here.
/// <para>Only <c>sign</c> and <c>unwrapkey</c> go to the vault: they need the private key. Verifying and
/// wrapping use the key's public half, fetched once per version and kept (a version never changes), as
/// the official SDK's local cryptography does; that also keeps the vault's throughput limit (about
/// 4,000 RSA operations per 10 s) for the operations that need it. Which version is the newest is
/// re-read every <see cref="NewestVersionFor"/>, so a rotation is picked up without a restart while
/// older versions keep unwrapping what they wrapped.</para>
/// <para>Authentication is Key Vault's challenge protocol (<see cref="KeyVaultChallengePolicy"/>) with a
/// Microsoft Entra token from the given credential (the app's managed identity in Azure).</para></summary>
public sealed class KeyVaultKeyRing : IKeyRing
{
    public const string ApiVersion = "7.6";

    public static readonly TimeSpan NewestVersionFor = TimeSpan.FromMinutes(10);

    private readonly Uri _vault;
    private readonly HttpPipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, VaultKey Key)> _newest = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, VaultKey> _versions = new(StringComparer.Ordinal);

    public KeyVaultKeyRing(Uri vaultUri, TokenCredential credential, TimeProvider time, KeyVaultClientOptions? clientOptions = null)
    {
        if (!IsVaultUri(vaultUri))
        {
            throw new ArgumentException($"'{vaultUri}' is not a vault address (https://<vault>.vault.azure.net/).", nameof(vaultUri));
        }

        _vault = new Uri(vaultUri.GetLeftPart(UriPartial.Authority) + "/");
        _time = time;
        var options = clientOptions ?? new KeyVaultClientOptions();
        // Unwrap answers carry plaintext data keys: the pipeline's logging must never print bodies.
        options.Diagnostics.IsLoggingContentEnabled = false;
        _pipeline = HttpPipelineBuilder.Build(options, perCallPolicies: [], perRetryPolicies: [new KeyVaultChallengePolicy(credential)], new ResponseClassifier());
    }

    /// <summary>True for an absolute https address with no path: a bearer token never travels in the clear.</summary>
    public static bool IsVaultUri(Uri? uri) =>
        uri is { IsAbsoluteUri: true } && uri.Scheme == Uri.UriSchemeHttps && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query);

    public async Task<KeySignature> SignAsync(string keyName, byte[] digest, CancellationToken cancellationToken)
    {
        if (digest.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException($"RS256 signs a SHA-256 digest ({SHA256.HashSizeInBytes} bytes), not {digest.Length} bytes.", nameof(digest));
        }

        var key = await NewestAsync(keyName, cancellationToken);
        var result = await OperateAsync(key.Name, key.Version, "sign", new KeyOperationRequest("RS256", Base64Url.EncodeToString(digest)), cancellationToken);
        return new KeySignature(result.Kid, Base64Url.DecodeFromChars(result.Value));
    }

    public async Task<bool> VerifyAsync(KeySignature signature, byte[] digest, CancellationToken cancellationToken)
    {
        var key = await VersionAsync(signature.KeyId, cancellationToken);
        using var rsa = key.PublicKey("verify", _time.GetUtcNow());
        return rsa.VerifyHash(digest, signature.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    public async Task<WrappedKey> WrapKeyAsync(string keyName, byte[] key, CancellationToken cancellationToken)
    {
        var wrapping = await NewestAsync(keyName, cancellationToken);
        using var rsa = wrapping.PublicKey("wrapKey", _time.GetUtcNow());
        return new WrappedKey(wrapping.Kid, rsa.Encrypt(key, RSAEncryptionPadding.OaepSHA256));
    }

    public async Task<byte[]> UnwrapKeyAsync(WrappedKey wrapped, CancellationToken cancellationToken)
    {
        var (name, version) = ParseKeyId(wrapped.KeyId);
        var result = await OperateAsync(name, version, "unwrapkey", new KeyOperationRequest("RSA-OAEP-256", Base64Url.EncodeToString(wrapped.Value)), cancellationToken);
        return Base64Url.DecodeFromChars(result.Value);
    }

    private async Task<VaultKey> NewestAsync(string name, CancellationToken cancellationToken)
    {
        if (!KeyNames.IsValid(name))
        {
            throw new ArgumentException($"'{name}' is not a key name (1 to 127 letters, digits and dashes).", nameof(name));
        }

        var now = _time.GetUtcNow();
        if (_newest.TryGetValue(name, out var cached) && now - cached.At < NewestVersionFor)
        {
            return cached.Key;
        }

        var key = await GetKeyAsync(name, version: null, cancellationToken);
        _newest[name] = (now, key);
        _versions.TryAdd(key.Kid, key);
        return key;
    }

    private async Task<VaultKey> VersionAsync(string keyId, CancellationToken cancellationToken)
    {
        if (_versions.TryGetValue(keyId, out var key))
        {
            return key;
        }

        var (name, version) = ParseKeyId(keyId);
        key = await GetKeyAsync(name, version, cancellationToken);
        return _versions.GetOrAdd(key.Kid, key);
    }

    /// <summary>Name and version from a key id of this vault. Ids come from stored data, so one that
    /// names another host is refused rather than sent a token.</summary>
    private (string Name, string Version) ParseKeyId(string keyId)
    {
        if (Uri.TryCreate(keyId, UriKind.Absolute, out var uri)
            && string.Equals(uri.GetLeftPart(UriPartial.Authority) + "/", _vault.AbsoluteUri, StringComparison.OrdinalIgnoreCase)
            && uri.AbsolutePath.Split('/') is ["", "keys", var name, var version]
            && KeyNames.IsValid(name)
            && version.Length > 0
            && version.All(char.IsAsciiLetterOrDigit))
        {
            return (name, version);
        }

        throw new CryptographicException($"'{keyId}' is not a key version in {_vault}: was it made with another vault or key ring?");
    }

    private async Task<VaultKey> GetKeyAsync(string name, string? version, CancellationToken cancellationToken)
    {
        using var http = NewRequest(RequestMethod.Get, version is null ? $"keys/{name}" : $"keys/{name}/{version}");
        await SendAsync(http, cancellationToken);
        var bundle = JsonSerializer.Deserialize(http.Response.Content.ToMemory().Span, KeyVaultJson.Default.KeyBundle)
            ?? throw new InvalidOperationException($"The vault answered GET keys/{name} with no key.");
        var jwk = bundle.Key ?? throw new InvalidOperationException($"The vault answered GET keys/{name} with no key.");
        var (kidName, kidVersion) = ParseKeyId(jwk.Kid);
        if (kidName != name || (version is not null && kidVersion != version))
        {
            throw new InvalidOperationException($"Asked the vault for {name}/{version}, it answered with {jwk.Kid}.");
        }

        if (jwk.Kty is not ("RSA" or "RSA-HSM") || string.IsNullOrEmpty(jwk.N) || string.IsNullOrEmpty(jwk.E))
        {
            throw new InvalidOperationException($"{jwk.Kid} is a {jwk.Kty} key; this key ring needs RSA.");
        }

        var parameters = new RSAParameters { Modulus = Base64Url.DecodeFromChars(jwk.N), Exponent = Base64Url.DecodeFromChars(jwk.E) };
        return new VaultKey(jwk.Kid, kidName, kidVersion, parameters, jwk.KeyOps?.ToHashSet(StringComparer.Ordinal), bundle.Attributes);
    }

    private async Task<KeyOperationResult> OperateAsync(string name, string version, string operation, KeyOperationRequest body, CancellationToken cancellationToken)
    {
        using var http = NewRequest(RequestMethod.Post, $"keys/{name}/{version}/{operation}");
        http.Request.Headers.Add(HttpHeader.Names.ContentType, "application/json");
        http.Request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body, KeyVaultJson.Default.KeyOperationRequest));
        await SendAsync(http, cancellationToken);
        var result = JsonSerializer.Deserialize(http.Response.Content.ToMemory().Span, KeyVaultJson.Default.KeyOperationResult);
        return result is { Kid.Length: > 0, Value.Length: > 0 }
            ? result
            : throw new InvalidOperationException($"The vault answered {operation} on {name}/{version} without a kid and a value.");
    }

    private HttpMessage NewRequest(RequestMethod method, string path)
    {
        var http = _pipeline.CreateMessage();
        http.Request.Method = method;
        http.Request.Uri.Reset(_vault);
        http.Request.Uri.AppendPath(path, escape: false);
        http.Request.Uri.AppendQuery("api-version", ApiVersion);
        http.Request.Headers.Add(HttpHeader.Names.Accept, "application/json");
        return http;
    }

    private async Task SendAsync(HttpMessage http, CancellationToken cancellationToken)
    {
        await _pipeline.SendAsync(http, cancellationToken);
        if (http.Response.Status != 200)
        {
            throw new RequestFailedException(http.Response);
        }
    }

    private sealed record VaultKey(string Kid, string Name, string Version, RSAParameters Parameters, HashSet<string>? Operations, KeyAttributes? Attributes)
    {
        /// <summary>The public key for a local operation, refused when the vault would refuse it too:
        /// an operation the key does not permit, or a key disabled, expired or not yet valid.</summary>
        public RSA PublicKey(string operation, DateTimeOffset now)
        {
            if (Operations is not null && !Operations.Contains(operation))
            {
                throw new InvalidOperationException($"{Kid} does not permit {operation}.");
            }

            if (Attributes is { Enabled: false }
                || (Attributes?.Exp is { } exp && now.ToUnixTimeSeconds() >= exp)
                || (Attributes?.Nbf is { } nbf && now.ToUnixTimeSeconds() < nbf))
            {
                throw new InvalidOperationException($"{Kid} is disabled, expired or not yet valid.");
            }

            return RSA.Create(Parameters);
        }
    }
}

internal sealed record JsonWebKey(
    string Kid, string Kty, string? N, string? E,
    [property: JsonPropertyName("key_ops")] List<string>? KeyOps);

/// <summary>Times are Unix seconds.</summary>
internal sealed record KeyAttributes(bool? Enabled, long? Nbf, long? Exp);

internal sealed record KeyBundle(JsonWebKey? Key, KeyAttributes? Attributes);

internal sealed record KeyOperationRequest(string Alg, string Value);

internal sealed record KeyOperationResult(string Kid, string Value);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(KeyBundle))]
[JsonSerializable(typeof(KeyOperationRequest))]
[JsonSerializable(typeof(KeyOperationResult))]
internal sealed partial class KeyVaultJson : JsonSerializerContext;
