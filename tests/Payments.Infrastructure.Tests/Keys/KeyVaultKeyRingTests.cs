using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Security;
using Payments.Infrastructure.Keys;

namespace Payments.Infrastructure.Tests.Keys;

/// <summary>The Key Vault key ring against a local HTTPS stand-in for the vault, which checks each
/// request as the keys REST API expects it and answers as the service does.</summary>
public sealed class KeyVaultKeyRingTests : IAsyncLifetime
{
    private const string KeyName = "envelope-wrapping";

    private readonly RecordingCredential _credential = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private LocalKeyVault _vault = null!;
    private string _version = "";

    public async Task InitializeAsync()
    {
        _vault = await LocalKeyVault.StartAsync();
        _vault.Trust(_credential);
        _version = _vault.CreateKeyVersion(KeyName);
    }

    public async Task DisposeAsync() => await _vault.DisposeAsync();

    private static byte[] Digest(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task SigningFirstMeetsTheChallengeThenFetchesTheNewestVersionAndSignsInTheVault()
    {
        var ring = _vault.KeyRing(_credential, _time);
        byte[] digest = Digest("order 42");

        var signature = await ring.SignAsync(KeyName, digest, default);

        var requests = _vault.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        // Without a token the vault challenges; its challenge decides the token's scope and tenant.
        Assert.Equal(("GET", "/keys/envelope-wrapping", "?api-version=7.6"), (requests[0].Method, requests[0].Path, requests[0].Query));
        Assert.Null(requests[0].Authorization);
        Assert.Equal(("GET", "/keys/envelope-wrapping", "?api-version=7.6", "Bearer token-1"), (requests[1].Method, requests[1].Path, requests[1].Query, requests[1].Authorization));
        Assert.Equal(("POST", $"/keys/envelope-wrapping/{_version}/sign", "?api-version=7.6", "Bearer token-1"), (requests[2].Method, requests[2].Path, requests[2].Query, requests[2].Authorization));
        Assert.Equal("application/json", requests[2].Headers["Content-Type"]);
        Assert.Equal("RS256", (string?)requests[2].Json["alg"]);
        Assert.Equal(Base64Url.EncodeToString(digest), (string?)requests[2].Json["value"]);
        var (token, context) = Assert.Single(_credential.Issued);
        Assert.Equal("token-1", token);
        Assert.Equal([LocalKeyVault.Scope], context.Scopes);
        Assert.Equal(LocalKeyVault.Tenant, context.TenantId);

        Assert.Equal(_vault.KeyId(KeyName, _version), signature.KeyId);
        Assert.True(_vault.Key(KeyName, _version).VerifyHash(digest, signature.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public async Task VerificationIsLocalWithTheCachedPublicKey()
    {
        var ring = _vault.KeyRing(_credential, _time);
        byte[] digest = Digest("notification body");
        var signature = await ring.SignAsync(KeyName, digest, default);
        int before = _vault.Requests.Count;

        Assert.True(await ring.VerifyAsync(signature, digest, default));
        Assert.False(await ring.VerifyAsync(signature, Digest("another body"), default));
        byte[] forged = (byte[])signature.Value.Clone();
        forged[^1] ^= 1;
        Assert.False(await ring.VerifyAsync(signature with { Value = forged }, digest, default));

        Assert.Equal(before, _vault.Requests.Count);
    }

    [Fact]
    public async Task ASignatureMadeOutsideTheRingVerifiesAfterOneFetchOfThatVersion()
    {
        byte[] digest = Digest("signed elsewhere");
        byte[] value = _vault.Key(KeyName, _version).SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var ring = _vault.KeyRing(_credential, _time);

        Assert.True(await ring.VerifyAsync(new KeySignature(_vault.KeyId(KeyName, _version), value), digest, default));
        Assert.True(await ring.VerifyAsync(new KeySignature(_vault.KeyId(KeyName, _version), value), digest, default));

        Assert.Equal([$"/keys/envelope-wrapping/{_version}"], _vault.Requests.Select(r => r.Path).Distinct());
        Assert.Equal(1, _vault.Requests.Count(r => r.Authorization is not null));
    }

    [Fact]
    public async Task WrappingIsLocalAndUnwrappingGoesToTheVault()
    {
        var ring = _vault.KeyRing(_credential, _time);
        byte[] dataKey = RandomNumberGenerator.GetBytes(32);

        var wrapped = await ring.WrapKeyAsync(KeyName, dataKey, default);

        Assert.DoesNotContain(_vault.Requests, r => r.Method == "POST");
        Assert.Equal(_vault.KeyId(KeyName, _version), wrapped.KeyId);
        // Real RSA-OAEP-256 under the vault's key: the vault's private key opens it.
        Assert.Equal(dataKey, _vault.Key(KeyName, _version).Decrypt(wrapped.Value, RSAEncryptionPadding.OaepSHA256));

        byte[] unwrapped = await ring.UnwrapKeyAsync(wrapped, default);

        Assert.Equal(dataKey, unwrapped);
        var unwrap = Assert.Single(_vault.Requests, r => r.Method == "POST");
        Assert.Equal($"/keys/envelope-wrapping/{_version}/unwrapkey", unwrap.Path);
        Assert.Equal("?api-version=7.6", unwrap.Query);
        Assert.Equal("Bearer token-1", unwrap.Authorization);
        Assert.Equal("RSA-OAEP-256", (string?)unwrap.Json["alg"]);
        Assert.Equal(Base64Url.EncodeToString(wrapped.Value), (string?)unwrap.Json["value"]);
    }

    [Fact]
    public async Task ABodyIsHeldBackUntilTheVaultHasChallenged()
    {
        byte[] dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = new WrappedKey(_vault.KeyId(KeyName, _version), _vault.Key(KeyName, _version).Encrypt(dataKey, RSAEncryptionPadding.OaepSHA256));
        var ring = _vault.KeyRing(_credential, _time);

        Assert.Equal(dataKey, await ring.UnwrapKeyAsync(wrapped, default));

        var requests = _vault.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.All(requests, r => Assert.Equal(($"/keys/envelope-wrapping/{_version}/unwrapkey", "?api-version=7.6"), (r.Path, r.Query)));
        Assert.Null(requests[0].Authorization);
        Assert.Empty(requests[0].Body);
        Assert.Equal("Bearer token-1", requests[1].Authorization);
        Assert.Equal(Base64Url.EncodeToString(wrapped.Value), (string?)requests[1].Json["value"]);
    }

    [Fact]
    public async Task ANewerVaultsScopeChallengeIsHonouredToo()
    {
        _vault.Challenge = $"Bearer authorization=\"https://login.microsoftonline.com/{LocalKeyVault.Tenant}\", scope=\"{LocalKeyVault.Scope}\"";
        var ring = _vault.KeyRing(_credential, _time);

        await ring.WrapKeyAsync(KeyName, RandomNumberGenerator.GetBytes(32), default);

        Assert.Equal([LocalKeyVault.Scope], Assert.Single(_credential.Issued).Context.Scopes);
    }

    [Fact]
    public async Task AChallengeForAnotherServiceGetsNoToken()
    {
        _vault.Challenge = $"Bearer authorization=\"https://login.microsoftonline.com/{LocalKeyVault.Tenant}\", resource=\"https://management.azure.com\"";
        var ring = _vault.KeyRing(_credential, _time);

        await Assert.ThrowsAsync<InvalidOperationException>(() => ring.WrapKeyAsync(KeyName, RandomNumberGenerator.GetBytes(32), default));

        Assert.Equal(0, _credential.Calls);
        Assert.Single(_vault.Requests);
    }

    [Fact]
    public async Task ManyCallsShareOneTokenAndOneChallenge()
    {
        var ring = _vault.KeyRing(_credential, _time);
        var wrapped = await ring.WrapKeyAsync(KeyName, RandomNumberGenerator.GetBytes(32), default);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ring.UnwrapKeyAsync(wrapped, default)));

        Assert.Equal(1, _credential.Calls);
        Assert.Single(_vault.Requests, r => r.Authorization is null);
        Assert.Equal(20, _vault.Requests.Count(r => r.Method == "POST" && r.Authorization == "Bearer token-1"));
    }

    [Fact]
    public async Task AThrottledRequestIsRetriedNoSoonerThanTheVaultsRetryAfter()
    {
        var ring = _vault.KeyRing(_credential, _time);
        var wrapped = await ring.WrapKeyAsync(KeyName, RandomNumberGenerator.GetBytes(32), default);
        _vault.Faults.Enqueue(new VaultFault(429, RetryAfter: "1"));

        await ring.UnwrapKeyAsync(wrapped, default);

        var unwraps = _vault.Requests.Where(r => r.Method == "POST").ToArray();
        Assert.Equal(2, unwraps.Length);
        Assert.Equal(unwraps[0].Body, unwraps[1].Body);
        // The ring's own backoff here is 10-50 ms: only the vault's Retry-After (1 s) explains the wait.
        // The margin is for timers, which may fire a few milliseconds early by the server's stopwatch.
        Assert.True(unwraps[1].At - unwraps[0].At >= TimeSpan.FromMilliseconds(900), $"retried after {(unwraps[1].At - unwraps[0].At).TotalMilliseconds} ms");
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task AServerErrorIsRetriedWithBackoff(int status)
    {
        var ring = _vault.KeyRing(_credential, _time);
        byte[] dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await ring.WrapKeyAsync(KeyName, dataKey, default);
        _vault.Faults.Enqueue(new VaultFault(status));
        _vault.Faults.Enqueue(new VaultFault(status));

        Assert.Equal(dataKey, await ring.UnwrapKeyAsync(wrapped, default));

        Assert.Equal(3, _vault.Requests.Count(r => r.Method == "POST"));
    }

    [Fact]
    public async Task ARefusalIsNotRetriedAndSurfacesWithItsStatus()
    {
        var ring = _vault.KeyRing(_credential, _time);
        var wrapped = await ring.WrapKeyAsync(KeyName, RandomNumberGenerator.GetBytes(32), default);
        _vault.Faults.Enqueue(new VaultFault(403));

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => ring.UnwrapKeyAsync(wrapped, default));

        Assert.Equal(403, error.Status);
        Assert.Single(_vault.Requests, r => r.Method == "POST");
    }

    [Fact]
    public async Task TheNewestVersionIsReReadAfterItsCacheTimeAndOldVersionsStillUnwrap()
    {
        var ring = _vault.KeyRing(_credential, _time);
        byte[] dataKey = RandomNumberGenerator.GetBytes(32);
        var before = await ring.WrapKeyAsync(KeyName, dataKey, default);
        await ring.WrapKeyAsync(KeyName, dataKey, default);
        string rotated = _vault.CreateKeyVersion(KeyName);

        var stillCached = await ring.WrapKeyAsync(KeyName, dataKey, default);
        _time.Advance(KeyVaultKeyRing.NewestVersionFor);
        var after = await ring.WrapKeyAsync(KeyName, dataKey, default);

        Assert.Equal(2, _vault.Requests.Count(r => r is { Method: "GET", Authorization: not null }));
        Assert.Equal(_vault.KeyId(KeyName, _version), stillCached.KeyId);
        Assert.Equal(_vault.KeyId(KeyName, rotated), after.KeyId);
        Assert.Equal(dataKey, await ring.UnwrapKeyAsync(before, default));
        Assert.Equal(dataKey, await ring.UnwrapKeyAsync(after, default));
        Assert.Contains(_vault.Requests, r => r.Path == $"/keys/envelope-wrapping/{_version}/unwrapkey");
        Assert.Contains(_vault.Requests, r => r.Path == $"/keys/envelope-wrapping/{rotated}/unwrapkey");
    }

    [Theory]
    [InlineData("https://other.vault.azure.net/keys/envelope-wrapping/0123abcd")]
    [InlineData("https://kv-test.vault.azure.net/keys/envelope-wrapping/0123abcd")]
    [InlineData("local:envelope-wrapping/0123abcd")]
    public async Task AKeyIdOfAnotherVaultIsRefusedWithoutARequest(string keyId)
    {
        var ring = _vault.KeyRing(_credential, _time);

        await Assert.ThrowsAsync<CryptographicException>(() => ring.UnwrapKeyAsync(new WrappedKey(keyId, new byte[256]), default));

        Assert.Empty(_vault.Requests);
    }

    [Fact]
    public async Task UnwrappedKeysNeverReachTheAzureSdkLog()
    {
        var events = new ConcurrentQueue<string>();
        using var listener = new AzureEventSourceListener((e, message) => events.Enqueue(message + " " + string.Join(" ", e.Payload ?? [])), EventLevel.Verbose);
        var ring = _vault.KeyRing(_credential, _time);
        byte[] dataKey = RandomNumberGenerator.GetBytes(32);
        var wrapped = await ring.WrapKeyAsync(KeyName, dataKey, default);

        await ring.UnwrapKeyAsync(wrapped, default);

        // The pipeline did log this call (so the listener works), but never its body.
        Assert.Contains(events, e => e.Contains("unwrapkey", StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => e.Contains(Base64Url.EncodeToString(dataKey), StringComparison.Ordinal)
            || e.Contains(Convert.ToBase64String(dataKey), StringComparison.Ordinal)
            || e.Contains(Convert.ToHexString(dataKey), StringComparison.OrdinalIgnoreCase));
    }
}
