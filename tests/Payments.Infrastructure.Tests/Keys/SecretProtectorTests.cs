using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Payments.Core.Security;
using Payments.Infrastructure.Keys;

namespace Payments.Infrastructure.Tests.Keys;

public sealed class SecretProtectorTests : IDisposable
{
    private const string Context = "apps/app_1/appSecrets";

    private readonly string _directory = Directory.CreateTempSubdirectory("payments-keys-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CountingKeyRing _ring;

    public SecretProtectorTests() => _ring = new CountingKeyRing(new LocalKeyRing(_directory));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private SecretProtector NewProtector(ILogger<SecretProtector>? logger = null) => new(_ring, KeysOptions.DefaultKeyName, _time, logger);

    [Fact]
    public async Task ASecretRoundTripsAndItsStoredFormShowsNeitherItNorItsBase64()
    {
        const string secret = "sk_live_Zq3vX9pL2mN8rT4w";
        var protector = NewProtector();

        string stored = await protector.ProtectAsync(secret, Context, default);

        Assert.StartsWith(SecretProtector.Prefix + "local:envelope-wrapping/", stored, StringComparison.Ordinal);
        // enc : v1 : local : envelope-wrapping/<version> : <wrapped data key> : <nonce|ciphertext|tag>
        Assert.Equal(6, stored.Split(':').Length);
        Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)).TrimEnd('='), stored, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexString(Encoding.UTF8.GetBytes(secret)), stored, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(secret, await protector.UnprotectAsync(stored, Context, default));
        Assert.Equal(secret, await NewProtector().UnprotectAsync(stored, Context, default));
    }

    [Fact]
    public async Task TheSameSecretSealsDifferentlyEachTime()
    {
        var protector = NewProtector();

        string first = await protector.ProtectAsync("whsec_same", Context, default);
        string second = await protector.ProtectAsync("whsec_same", Context, default);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task AValueMovedToAnotherRecordOrFieldDoesNotOpen()
    {
        var protector = NewProtector();
        string stored = await protector.ProtectAsync("sk_app_1", Context, default);

        var moved = await Assert.ThrowsAsync<ProtectedSecretException>(() => protector.UnprotectAsync(stored, "apps/app_2/appSecrets", default));
        await Assert.ThrowsAsync<ProtectedSecretException>(() => protector.UnprotectAsync(stored, "apps/app_1/webhookSecrets", default));
        Assert.Contains("apps/app_2/appSecrets", moved.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAlteredValueOrHeaderDoesNotOpen()
    {
        var protector = NewProtector();
        string stored = await protector.ProtectAsync("sk_app_1", Context, default);
        string other = await NewProtector().ProtectAsync("sk_app_1", Context, default);
        int last = stored.LastIndexOf(':');
        char flipped = stored[last + 5] == 'A' ? 'B' : 'A';

        string alteredValue = stored[..(last + 5)] + flipped + stored[(last + 6)..];
        // The sealed part of one value under the header (data key) of another.
        string swappedHeader = other[..other.LastIndexOf(':')] + stored[last..];

        await Assert.ThrowsAsync<ProtectedSecretException>(() => protector.UnprotectAsync(alteredValue, Context, default));
        await Assert.ThrowsAsync<ProtectedSecretException>(() => protector.UnprotectAsync(swappedHeader, Context, default));
    }

    [Theory]
    [InlineData("sk_plain_from_before", "unencrypted")]
    [InlineData("enc:v2:whatever", "does not know")]
    [InlineData("enc:v1:onlyonefield", "malformed")]
    [InlineData("enc:v1:local:k/v:not base64!:AAAA", "malformed")]
    public async Task AValueNotInTheFormatFailsClearlyWithoutTheValueInTheMessage(string stored, string expected)
    {
        var error = await Assert.ThrowsAsync<ProtectedSecretException>(() => NewProtector().UnprotectAsync(stored, Context, default));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(Context, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(stored, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneDataKeySealsUntilItsLifetimeEnds()
    {
        var protector = NewProtector();

        var early = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => protector.ProtectAsync("s" + i, Context, default)));
        _time.Advance(SecretProtector.DataKeyLifetime);
        string later = await protector.ProtectAsync("s", Context, default);

        Assert.Equal(2, _ring.Wraps);
        Assert.Single(early.Select(Header).Distinct());
        Assert.NotEqual(Header(early[0]), Header(later));
        Assert.Equal("s0", await protector.UnprotectAsync(early[0], Context, default));
    }

    [Fact]
    public async Task AReaderUnwrapsEachDataKeyOnceAndAgainOnlyAfterTheCacheTime()
    {
        var writer = NewProtector();
        var stored = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => writer.ProtectAsync("secret-" + i, Context, default)));
        var reader = NewProtector();

        var opened = await Task.WhenAll(stored.Select(s => reader.UnprotectAsync(s, Context, default)));
        _time.Advance(SecretProtector.CacheFor - TimeSpan.FromSeconds(1));
        await reader.UnprotectAsync(stored[0], Context, default);
        Assert.Equal(1, _ring.Unwraps);

        _time.Advance(TimeSpan.FromSeconds(1));
        await reader.UnprotectAsync(stored[1], Context, default);

        Assert.Equal(2, _ring.Unwraps);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => "secret-" + i), opened);
    }

    [Fact]
    public async Task AWriterReadsWhatItSealedWithoutUnwrapping()
    {
        var protector = NewProtector();
        string stored = await protector.ProtectAsync("sk", Context, default);
        _time.Advance(SecretProtector.CacheFor * 2);

        Assert.Equal("sk", await protector.UnprotectAsync(stored, Context, default));

        Assert.Equal(0, _ring.Unwraps);
    }

    [Fact]
    public async Task AFailedUnwrapIsTriedAgainByTheNextRead()
    {
        string stored = await NewProtector().ProtectAsync("sk", Context, default);
        var reader = NewProtector();
        _ring.FailNextUnwrap = true;

        await Assert.ThrowsAsync<ProtectedSecretException>(() => reader.UnprotectAsync(stored, Context, default));

        Assert.Equal("sk", await reader.UnprotectAsync(stored, Context, default));
        Assert.Equal(2, _ring.Unwraps);
    }

    [Fact]
    public async Task LogsNameTheKeyButNeverASecretOrADataKey()
    {
        var logs = new CapturingLogger();
        string[] secrets = ["sk_log_Zq3vX9pL2mN8rT4w", "whsec_log_8rT4wZq3vX9p"];
        var stored = new List<string>();
        var writer = NewProtector(logs);
        foreach (string secret in secrets)
        {
            stored.Add(await writer.ProtectAsync(secret, Context, default));
        }

        var reader = NewProtector(logs);
        foreach (string value in stored)
        {
            await reader.UnprotectAsync(value, Context, default);
        }

        Assert.Contains(logs.Lines, l => l.Contains("local:envelope-wrapping/", StringComparison.Ordinal));
        byte[] dataKey = _ring.LastUnwrapped!;
        Assert.All(logs.Lines, line =>
        {
            Assert.All(secrets, s => Assert.DoesNotContain(s, line, StringComparison.Ordinal));
            Assert.DoesNotContain(Convert.ToBase64String(dataKey), line, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(dataKey), line, StringComparison.OrdinalIgnoreCase);
        });
    }

    private static string Header(string stored) => stored[..stored.LastIndexOf(':')];
}

/// <summary>Counts wraps and unwraps of the ring it wraps, and can fail the next unwrap.</summary>
public sealed class CountingKeyRing(IKeyRing inner) : IKeyRing
{
    private int _wraps;
    private int _unwraps;

    public int Wraps => Volatile.Read(ref _wraps);

    public int Unwraps => Volatile.Read(ref _unwraps);

    public bool FailNextUnwrap { get; set; }

    public byte[]? LastUnwrapped { get; private set; }

    public Task<KeySignature> SignAsync(string keyName, byte[] digest, CancellationToken cancellationToken) => inner.SignAsync(keyName, digest, cancellationToken);

    public Task<bool> VerifyAsync(KeySignature signature, byte[] digest, CancellationToken cancellationToken) => inner.VerifyAsync(signature, digest, cancellationToken);

    public Task<WrappedKey> WrapKeyAsync(string keyName, byte[] key, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _wraps);
        return inner.WrapKeyAsync(keyName, key, cancellationToken);
    }

    public async Task<byte[]> UnwrapKeyAsync(WrappedKey wrapped, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _unwraps);
        if (FailNextUnwrap)
        {
            FailNextUnwrap = false;
            throw new CryptographicException("Scripted failure.");
        }

        LastUnwrapped = await inner.UnwrapKeyAsync(wrapped, cancellationToken);
        return LastUnwrapped;
    }
}

/// <summary>Keeps every formatted log line, with its structured values, at every level.</summary>
public sealed class CapturingLogger : ILogger<SecretProtector>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        string values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
        Lines.Enqueue($"{formatter(state, exception)} {values} {exception}");
    }
}
