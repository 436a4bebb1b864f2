using System.Security.Cryptography;
using System.Text;
using Payments.Core.Security;
using Payments.Infrastructure.Keys;

namespace Payments.Infrastructure.Tests.Keys;

public sealed class LocalKeyRingTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "payments-keys-" + Guid.NewGuid().ToString("N"), "keys");

    public void Dispose()
    {
        string parent = Path.GetDirectoryName(_directory)!;
        if (Directory.Exists(parent))
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    private static byte[] Digest(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task AKeyIsCreatedOnFirstUseAsAPemFileOnlyItsOwnerCanRead()
    {
        using var ring = new LocalKeyRing(_directory);
        Assert.False(Directory.Exists(_directory));

        var wrapped = await ring.WrapKeyAsync("envelope-wrapping", RandomNumberGenerator.GetBytes(32), default);

        string file = Path.Combine(_directory, "envelope-wrapping.pem");
        Assert.StartsWith("local:envelope-wrapping/", wrapped.KeyId, StringComparison.Ordinal);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", await File.ReadAllTextAsync(file), StringComparison.Ordinal);
        Assert.Equal([Path.GetFileName(file)], Directory.GetFiles(_directory).Select(Path.GetFileName));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        }
    }

    [Fact]
    public async Task ALaterRunReadsTheKeyTheFirstOneCreated()
    {
        byte[] dataKey = RandomNumberGenerator.GetBytes(32);
        byte[] digest = Digest("payload");
        WrappedKey wrapped;
        KeySignature signature;
        using (var first = new LocalKeyRing(_directory))
        {
            wrapped = await first.WrapKeyAsync("envelope-wrapping", dataKey, default);
            signature = await first.SignAsync("signing", digest, default);
        }

        using var second = new LocalKeyRing(_directory);

        Assert.Equal(dataKey, await second.UnwrapKeyAsync(wrapped, default));
        Assert.True(await second.VerifyAsync(signature, digest, default));
        Assert.Equal(wrapped.KeyId, (await second.WrapKeyAsync("envelope-wrapping", dataKey, default)).KeyId);
    }

    [Fact]
    public async Task SignaturesAreRs256ThatTheStandardRsaApiVerifies()
    {
        using var ring = new LocalKeyRing(_directory);
        byte[] digest = Digest("order 42");

        var signature = await ring.SignAsync("signing", digest, default);

        using var rsa = RSA.Create();
        rsa.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(_directory, "signing.pem")));
        Assert.True(rsa.VerifyHash(digest, signature.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.False(await ring.VerifyAsync(signature, Digest("order 43"), default));
        await Assert.ThrowsAsync<ArgumentException>(() => ring.SignAsync("signing", Encoding.UTF8.GetBytes("not a digest"), default));
    }

    [Fact]
    public async Task AKeyFileReplacedSinceTheWrapIsReportedNotMisused()
    {
        WrappedKey wrapped;
        using (var first = new LocalKeyRing(_directory))
        {
            wrapped = await first.WrapKeyAsync("envelope-wrapping", RandomNumberGenerator.GetBytes(32), default);
        }

        File.Delete(Path.Combine(_directory, "envelope-wrapping.pem"));
        using var second = new LocalKeyRing(_directory);

        var error = await Assert.ThrowsAsync<CryptographicException>(() => second.UnwrapKeyAsync(wrapped, default));
        Assert.Contains("replaced", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RingsStartingTogetherAgreeOnOneKey()
    {
        var rings = Enumerable.Range(0, 8).Select(_ => new LocalKeyRing(_directory)).ToList();
        try
        {
            var wrapped = await Task.WhenAll(rings.Select(r => Task.Run(() => r.WrapKeyAsync("envelope-wrapping", [1, 2, 3], default))));

            Assert.Single(wrapped.Select(w => w.KeyId).Distinct());
            Assert.Single(Directory.GetFiles(_directory));
        }
        finally
        {
            rings.ForEach(r => r.Dispose());
        }
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("a/b")]
    [InlineData("")]
    public async Task AKeyNameThatIsNotAPlainNameIsRefused(string name)
    {
        using var ring = new LocalKeyRing(_directory);

        await Assert.ThrowsAsync<ArgumentException>(() => ring.WrapKeyAsync(name, [1], default));

        Assert.False(Directory.Exists(_directory));
    }
}
