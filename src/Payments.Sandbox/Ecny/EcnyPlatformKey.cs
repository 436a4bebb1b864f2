using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Payments.Sandbox.Ecny;

/// <summary>
/// The platform's SM2 key and the sandbox's side of the signatures: "SM3withSM2" with the library's default
/// user ID (1234567812345678), DER-encoded, base64. Made once per process, like a platform certificate.
/// </summary>
internal sealed class EcnyPlatformKey
{
    private readonly ECPrivateKeyParameters _private;

    public EcnyPlatformKey()
    {
        var curve = GMNamedCurves.GetByOid(GMObjectIdentifiers.sm2p256v1);
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(new ECNamedDomainParameters(GMObjectIdentifiers.sm2p256v1, curve), new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        _private = (ECPrivateKeyParameters)pair.Private;
        PublicKeyPem = PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetEncoded());
        SerialNo = "EP" + RandomNumberGenerator.GetHexString(30);
    }

    public string SerialNo { get; }

    public string PublicKeyPem { get; }

    /// <summary>Signs <c>TIMESTAMP\nNONCE\n</c> + body bytes + <c>\n</c>.</summary>
    public string Sign(string timestamp, string nonce, ReadOnlySpan<byte> body)
    {
        var signer = SignerUtilities.GetSigner("SM3withSM2");
        signer.Init(true, new ParametersWithRandom(_private, new SecureRandom()));
        signer.BlockUpdate(Encoding.UTF8.GetBytes($"{timestamp}\n{nonce}\n"));
        signer.BlockUpdate(body);
        signer.Update((byte)'\n');
        return Convert.ToBase64String(signer.GenerateSignature());
    }

    /// <summary>True when <paramref name="signatureBase64"/> is the merchant's signature of <paramref name="message"/>.</summary>
    public static bool Verify(ECPublicKeyParameters merchantKey, byte[] message, string signatureBase64)
    {
        try
        {
            var verifier = SignerUtilities.GetSigner("SM3withSM2");
            verifier.Init(false, merchantKey);
            verifier.BlockUpdate(message);
            return verifier.VerifySignature(Convert.FromBase64String(signatureBase64));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or IOException or CryptoException)
        {
            return false;
        }
    }

    /// <summary>An SM2 SubjectPublicKeyInfo PEM, or null with the reason (wrong label, not SM2, a private key).</summary>
    public static ECPublicKeyParameters? ReadMerchantKey(string pem, out string problem)
    {
        problem = "merchantSm2PublicKeyPem must be an SM2 public key in a PEM block labelled PUBLIC KEY";
        if (!PemEncoding.TryFind(pem, out var fields) || !pem.AsSpan()[fields.Label].SequenceEqual("PUBLIC KEY"))
        {
            return null;
        }

        try
        {
            var sm2 = GMNamedCurves.GetByOid(GMObjectIdentifiers.sm2p256v1);
            return PublicKeyFactory.CreateKey(Convert.FromBase64String(pem[fields.Base64Data])) is ECPublicKeyParameters key
                && key.Parameters.Curve.Equals(sm2.Curve) && key.Parameters.G.Equals(sm2.G)
                ? key
                : null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or IOException or SecurityUtilityException)
        {
            return null;
        }
    }
}
