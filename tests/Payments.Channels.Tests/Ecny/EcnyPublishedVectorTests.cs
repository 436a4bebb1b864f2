using System.Text;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Math.EC;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;
using Payments.Channels.Ecny;

namespace Payments.Channels.Tests.Ecny;

/// <summary>Fixed vectors from the standards and from an independent implementation, never only round trips.</summary>
public sealed class EcnyPublishedVectorTests
{
    [Fact]
    public void Sm3OfAbcIsTheGbT32905ExampleOne() =>
        Assert.Equal(
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0",
            Convert.ToHexStringLower(EcnySigner.Sm3("abc"u8)));

    [Fact]
    public void Sm3OfSixteenAbcdIsTheGbT32905ExampleTwo() =>
        Assert.Equal(
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732",
            Convert.ToHexStringLower(EcnySigner.Sm3(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcd", 16))))));

    /// <summary>
    /// GB/T 32918.2 / GM/T 0003.2 Annex A: the example curve over Fp-256, user ID ALICE123@YAHOO.COM, message
    /// "message digest", the published private key and k; r and s as printed there (and in BouncyCastle's SM2SignerTest).
    /// </summary>
    [Fact]
    public void TheSignerReproducesTheStandardsExampleSignatureWithItsFixedK()
    {
        var p = new BigInteger("8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3", 16);
        var a = new BigInteger("787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498", 16);
        var b = new BigInteger("63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A", 16);
        var n = new BigInteger("8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7", 16);
        var curve = new FpCurve(p, a, b, n, BigInteger.One);
        var g = curve.CreatePoint(
            new BigInteger("421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D", 16),
            new BigInteger("0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2", 16));
        var domain = new ECDomainParameters(curve, g, n, BigInteger.One);
        var key = new ECPrivateKeyParameters(new BigInteger("128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263", 16), domain);

        byte[] signature = EcnySigner.SignBytes(
            key, "message digest"u8, Encoding.ASCII.GetBytes("ALICE123@YAHOO.COM"),
            new FixedK("6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F"));

        var (r, s) = Decode(signature);
        Assert.Equal("40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1", r);
        Assert.Equal("6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7", s);
    }

    /// <summary>The same on the production curve sm2p256v1, from BouncyCastle's SM2SignerTest (DoSignerTestFpStandardSM3).</summary>
    [Fact]
    public void TheSignerReproducesTheSm2P256V1VectorWithItsFixedK()
    {
        var x9 = GMNamedCurves.GetByOid(GMObjectIdentifiers.sm2p256v1);
        var key = new ECPrivateKeyParameters(
            new BigInteger("110E7973206F68C19EE5F7328C036F26911C8C73B4E4F36AE3291097F8984FFC", 16),
            new ECDomainParameters(x9.Curve, x9.G, x9.N, x9.H));

        byte[] signature = EcnySigner.SignBytes(
            key, "hi chappy"u8, Encoding.ASCII.GetBytes("sm2test@example.com"),
            new FixedK("3174C6FFC3C279D2422F3FC0A9F3E574674A4490FE45A5325CAF7D3EC4C8F96C"));

        var (r, s) = Decode(signature);
        Assert.Equal("05890B9077B92E47B17A1FF42A814280E556AFD92B4A98B9670BF8B1A274C2FA", r);
        Assert.Equal("E3ABBB8DB2B6ECD9B24ECCEA7F679FB9A4B1DB52F4AA985E443AD73237FA1993", s);
    }

    // Made with OpenSSL 3.0 outside this code base:
    //   openssl genpkey -algorithm SM2 -out sm2.pem && openssl pkey -in sm2.pem -pubout
    //   printf '1700000000\nNONCE123\n{"id":"EN1"}\n' > msg.txt
    //   openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt distid:1234567812345678 -inkey sm2.pem -in msg.txt | base64 -w0
    private const string OpenSslPublicKeyPem = """
        -----BEGIN PUBLIC KEY-----
        MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEChtIX+i/PfZIt0iPkj6kbOw1YutY
        kGMnMS0Z7Ki9J3/UDskrGgHQbhVtekfped2IObeAO3vy+ksGCZUOu17POg==
        -----END PUBLIC KEY-----
        """;

    private const string OpenSslSignature = "MEUCIDug1oZRzHXjMJg1fwEg3jzZX3WQSPM5nx40xIGup1jQAiEAp0O2Gbei369Bl80U2HAWzz0VdInZfzM6r+umlzkHO4o=";

    [Fact]
    public void ASignatureMadeByOpenSslWithTheDefaultUserIdVerifies()
    {
        var key = EcnySigner.ImportPublicKeyPem(OpenSslPublicKeyPem);
        Assert.True(EcnySigner.Verify(key, EcnySigner.BuildResponseMessage("1700000000", "NONCE123", """{"id":"EN1"}"""), OpenSslSignature));
    }

    [Fact]
    public void TheOpenSslSignatureFailsForAnyOtherMessage()
    {
        var key = EcnySigner.ImportPublicKeyPem(OpenSslPublicKeyPem);
        Assert.False(EcnySigner.Verify(key, EcnySigner.BuildResponseMessage("1700000001", "NONCE123", """{"id":"EN1"}"""), OpenSslSignature));
        Assert.False(EcnySigner.Verify(key, EcnySigner.BuildResponseMessage("1700000000", "NONCE123", """{"id":"EN2"}"""), OpenSslSignature));
        Assert.False(EcnySigner.Verify(key, EcnySigner.BuildResponseMessage("1700000000", "NONCE123", """{"id":"EN1"}"""), "not base64!"));
    }

    [Fact]
    public void AnRsaOrP256KeyIsRefusedWhereAnSm2KeyBelongs()
    {
        using var p256 = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentException>(() => EcnySigner.ImportPublicKeyPem(p256.ExportSubjectPublicKeyInfoPem()));
        Assert.Throws<ArgumentException>(() => EcnySigner.ImportPrivateKeyPem(p256.ExportPkcs8PrivateKeyPem()));
        Assert.Throws<ArgumentException>(() => EcnySigner.ImportPublicKeyPem(EcnyTestData.Merchant.PrivatePem));
    }

    /// <summary>RFC 8998 Appendix A.1, the SM4-GCM example.</summary>
    [Fact]
    public void Sm4GcmReproducesTheRfc8998Example()
    {
        byte[] key = Convert.FromHexString("0123456789ABCDEFFEDCBA9876543210");
        byte[] nonce = Convert.FromHexString("00001234567800000000ABCD");
        byte[] aad = Convert.FromHexString("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2");
        byte[] plaintext = Convert.FromHexString(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
        const string Expected =
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
            + "83DE3541E4C2B58177E065A9BF7B62EC";

        Assert.Equal(Expected, Convert.ToHexString(EcnySm4Gcm.Encrypt(key, nonce, aad, plaintext)));
        Assert.Equal(plaintext, EcnySm4Gcm.Decrypt(key, nonce, aad, Convert.FromHexString(Expected)));

        byte[] tampered = Convert.FromHexString(Expected);
        tampered[^1] ^= 1;
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => EcnySm4Gcm.Decrypt(key, nonce, aad, tampered));
    }

    private static (string R, string S) Decode(byte[] der)
    {
        var sequence = Asn1Sequence.GetInstance(der);
        return (
            DerInteger.GetInstance(sequence[0]).Value.ToString(16).ToUpperInvariant().PadLeft(64, '0'),
            DerInteger.GetInstance(sequence[1]).Value.ToString(16).ToUpperInvariant().PadLeft(64, '0'));
    }
}

/// <summary>
/// A "random" source that hands out one fixed k, as the standards' examples prescribe (BouncyCastle's own tests use
/// TestRandomBigInteger, which is not in the shipped library). Any second draw fails the test instead of repeating k.
/// </summary>
internal sealed class FixedK(string hex) : SecureRandom(new DigestRandomGenerator(new Org.BouncyCastle.Crypto.Digests.Sha256Digest()))
{
    private byte[]? _k = Convert.FromHexString(hex);

    public override void NextBytes(byte[] buf) => NextBytes(buf.AsSpan());

    public override void NextBytes(byte[] buf, int off, int len) => NextBytes(buf.AsSpan(off, len));

    public override void NextBytes(Span<byte> buffer)
    {
        if (_k is null || buffer.Length != _k.Length)
        {
            throw new InvalidOperationException($"unexpected draw of {buffer.Length} bytes");
        }

        _k.CopyTo(buffer);
        _k = null;
    }
}
