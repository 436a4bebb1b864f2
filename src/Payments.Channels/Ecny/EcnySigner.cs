using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Payments.Channels.Ecny;

/// <summary>
/// SM2 signatures (GB/T 32918.2) with SM3 (GB/T 32905) as the e-CNY wire uses them: the signer's
/// Z value is computed with the default user ID <c>1234567812345678</c> (GM/T 0009), and the
/// signature travels as base64 of the DER <c>SEQUENCE { r INTEGER, s INTEGER }</c> (GM/T 0009's
/// SM2Signature), which is also what OpenSSL and most SDKs emit.
/// </summary>
public static class EcnySigner
{
    /// <summary>The GM/T 0009 default user ID, used by both sides when none is agreed.</summary>
    public const string DefaultUserId = "1234567812345678";

    /// <summary>The curve every e-CNY key must be on.</summary>
    public static readonly X9ECParameters Sm2P256V1 = GMNamedCurves.GetByOid(GMObjectIdentifiers.sm2p256v1);

    private static readonly byte[] DefaultUserIdBytes = Encoding.ASCII.GetBytes(DefaultUserId);

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The message a request signature covers: <c>METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n</c>, the body
    /// line present (empty) when there is no body.
    /// </summary>
    public static string BuildRequestMessage(string method, string pathAndQuery, string timestamp, string nonce, string body) =>
        $"{method}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{body}\n";

    /// <summary>The message an answer or notification signature covers: <c>TIMESTAMP\nNONCE\nBODY\n</c>.</summary>
    public static string BuildResponseMessage(string timestamp, string nonce, string body) =>
        $"{timestamp}\n{nonce}\n{body}\n";

    /// <summary>SM3 of <paramref name="data"/> (32 bytes).</summary>
    public static byte[] Sm3(ReadOnlySpan<byte> data)
    {
        var digest = new SM3Digest();
        digest.BlockUpdate(data);
        var hash = new byte[digest.GetDigestSize()];
        digest.DoFinal(hash, 0);
        return hash;
    }

    /// <summary>Signs the UTF-8 bytes of <paramref name="message"/>; base64 of the DER signature.</summary>
    public static string Sign(ECPrivateKeyParameters privateKey, string message) =>
        Convert.ToBase64String(SignBytes(privateKey, Utf8.GetBytes(message), DefaultUserIdBytes, random: null));

    /// <summary>
    /// Signs raw bytes and returns the DER signature. <paramref name="random"/> supplies k; null uses a
    /// fresh <see cref="SecureRandom"/> (published vectors inject a fixed k through it).
    /// </summary>
    public static byte[] SignBytes(ECPrivateKeyParameters privateKey, ReadOnlySpan<byte> message, byte[] userId, SecureRandom? random)
    {
        var signer = new SM2Signer(StandardDsaEncoding.Instance, new SM3Digest());
        signer.Init(true, new ParametersWithID(new ParametersWithRandom(privateKey, random ?? new SecureRandom()), userId));
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }

    /// <summary>
    /// True only when <paramref name="signatureBase64"/> is a valid DER SM2 signature of the UTF-8 bytes of
    /// <paramref name="message"/>. Malformed input is a failed verification: it arrives from the network.
    /// </summary>
    public static bool Verify(ECPublicKeyParameters publicKey, string message, string signatureBase64)
    {
        var verifier = BeginVerify(publicKey);
        verifier.BlockUpdate(Utf8.GetBytes(message));
        return EndVerify(verifier, signatureBase64);
    }

    /// <summary>A verifier to feed incrementally (a statement file is verified as it streams past).</summary>
    public static ISigner BeginVerify(ECPublicKeyParameters publicKey)
    {
        var verifier = new SM2Signer(StandardDsaEncoding.Instance, new SM3Digest());
        verifier.Init(false, new ParametersWithID(publicKey, DefaultUserIdBytes));
        return verifier;
    }

    /// <summary>Completes <see cref="BeginVerify"/>; false for a malformed or wrong signature.</summary>
    public static bool EndVerify(ISigner verifier, string signatureBase64)
    {
        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureBase64);
        }
        catch (FormatException)
        {
            return false;
        }

        try
        {
            return verifier.VerifySignature(signature);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            return false;
        }
    }

    /// <summary>Reads an SM2 private key from PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>, curve sm2p256v1).</summary>
    /// <exception cref="ArgumentException">Not a PKCS#8 SM2 private key.</exception>
    public static ECPrivateKeyParameters ImportPrivateKeyPem(string pem) =>
        Import(pem, "PRIVATE KEY", PrivateKeyFactory.CreateKey) is ECPrivateKeyParameters key && IsSm2(key.Parameters)
            ? key
            : throw new ArgumentException("The 'PRIVATE KEY' PEM block is not an SM2 (sm2p256v1) key.", nameof(pem));

    /// <summary>Reads an SM2 public key from SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    /// <exception cref="ArgumentException">Not an SM2 SubjectPublicKeyInfo.</exception>
    public static ECPublicKeyParameters ImportPublicKeyPem(string pem) =>
        Import(pem, "PUBLIC KEY", PublicKeyFactory.CreateKey) is ECPublicKeyParameters key && IsSm2(key.Parameters)
            ? key
            : throw new ArgumentException("The 'PUBLIC KEY' PEM block is not an SM2 (sm2p256v1) key.", nameof(pem));

    /// <summary>A new sm2p256v1 key pair as PKCS#8 and SubjectPublicKeyInfo PEM, for onboarding.</summary>
    public static (string PrivateKeyPem, string PublicKeyPem) GenerateKeyPairPem()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(new ECNamedDomainParameters(GMObjectIdentifiers.sm2p256v1, Sm2P256V1), new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        string privatePem = PemEncoding.WriteString("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetEncoded());
        string publicPem = PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetEncoded());
        return (privatePem, publicPem);
    }

    private static bool IsSm2(ECDomainParameters parameters) =>
        parameters.Curve.Equals(Sm2P256V1.Curve) && parameters.G.Equals(Sm2P256V1.G);

    // Strict about the armour label: a private key pasted where the platform public key belongs is a
    // configuration mistake to report, not to work around.
    private static AsymmetricKeyParameter Import(string pem, string label, Func<byte[], AsymmetricKeyParameter> create)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || !pem.AsSpan()[fields.Label].SequenceEqual(label))
        {
            throw new ArgumentException($"Expected a PEM block labelled '{label}'.", nameof(pem));
        }

        try
        {
            return create(Convert.FromBase64String(pem[fields.Base64Data]));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or IOException or SecurityUtilityException)
        {
            throw new ArgumentException($"The '{label}' PEM block is not a key.", nameof(pem), ex);
        }
    }
}
