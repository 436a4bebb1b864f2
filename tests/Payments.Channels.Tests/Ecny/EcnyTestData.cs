using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Ecny;

/// <summary>Keys and accounts for the e-CNY tests. The platform side signs with BouncyCastle directly, not through EcnySigner.</summary>
internal static class EcnyTestData
{
    public const string MerchantNo = "8900000000001";
    public const string MerchantSerial = "MS0001";
    public const string PlatformSerial = "PS0001";
    public const string NotifyKeyHex = "8a1f0c2e4b6d7f9102a3b4c5d6e7f809";

    public static readonly (ECPrivateKeyParameters Private, ECPublicKeyParameters Public, string PrivatePem, string PublicPem) Merchant = NewKey();
    public static readonly (ECPrivateKeyParameters Private, ECPublicKeyParameters Public, string PrivatePem, string PublicPem) Platform = NewKey();

    public static ChannelAccount Account(Uri endpoint, string merchantNo = MerchantNo) => new(
        "ca_ecny_1", "ecny", "sandbox", "mch_1", endpoint, new Dictionary<string, Secret>
        {
            ["merchantNo"] = new(merchantNo),
            ["merchantSerialNo"] = new(MerchantSerial),
            ["merchantSm2PrivateKeyPem"] = new(Merchant.PrivatePem),
            ["platformSerialNo"] = new(PlatformSerial),
            ["platformSm2PublicKeyPem"] = new(Platform.PublicPem),
            ["notifySm4KeyHex"] = new(NotifyKeyHex),
        });

    public static (ECPrivateKeyParameters, ECPublicKeyParameters, string, string) NewKey()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(new ECNamedDomainParameters(GMObjectIdentifiers.sm2p256v1, GMNamedCurves.GetByOid(GMObjectIdentifiers.sm2p256v1)), new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        return (
            (ECPrivateKeyParameters)pair.Private,
            (ECPublicKeyParameters)pair.Public,
            PemEncoding.WriteString("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetEncoded()),
            PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetEncoded()));
    }

    /// <summary>Signs bytes the way the platform does: SM2 over SM3, default user ID, DER, base64.</summary>
    public static string SignAsPlatform(byte[] message, ECPrivateKeyParameters? key = null)
    {
        var signer = new SM2Signer(new SM3Digest());
        signer.Init(true, new ParametersWithRandom(key ?? Platform.Private, new SecureRandom()));
        signer.BlockUpdate(message, 0, message.Length);
        return Convert.ToBase64String(signer.GenerateSignature());
    }

    public static bool VerifyAsPlatform(byte[] message, string signatureBase64)
    {
        var verifier = new SM2Signer(new SM3Digest());
        verifier.Init(false, Merchant.Public);
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(Convert.FromBase64String(signatureBase64));
    }

    /// <summary>Headers for a platform-signed body (an answer or a notification).</summary>
    public static Dictionary<string, string> SignedHeaders(string body, DateTimeOffset at, string serial = PlatformSerial, ECPrivateKeyParameters? key = null)
    {
        string timestamp = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(16);
        return new Dictionary<string, string>
        {
            ["Ecny-Serial"] = serial,
            ["Ecny-Timestamp"] = timestamp,
            ["Ecny-Nonce"] = nonce,
            ["Ecny-Signature"] = SignAsPlatform(Encoding.UTF8.GetBytes($"{timestamp}\n{nonce}\n{body}\n"), key),
        };
    }

    /// <summary>The resource envelope as the platform sends it, encrypted with BouncyCastle's SM4-GCM directly.</summary>
    public static string Encrypted(string associatedData, string plaintext, string keyHex = NotifyKeyHex)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(12);
        var gcm = new Org.BouncyCastle.Crypto.Modes.GcmBlockCipher(new Org.BouncyCastle.Crypto.Engines.SM4Engine());
        gcm.Init(true, new AeadParameters(new KeyParameter(Convert.FromHexString(keyHex)), 128, nonce, Encoding.UTF8.GetBytes(associatedData)));
        byte[] input = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[gcm.GetOutputSize(input.Length)];
        int written = gcm.ProcessBytes(input, 0, input.Length, output, 0);
        written += gcm.DoFinal(output, written);
        return $$"""{"algorithm":"SM4_GCM","ciphertext":"{{Convert.ToBase64String(output, 0, written)}}","nonce":"{{Convert.ToBase64String(nonce)}}","associatedData":"{{associatedData}}"}""";
    }

    public static string Order(string status, string outTradeNo = "pay_01", string extra = "") =>
        $$"""{"merchantNo":"{{MerchantNo}}","outTradeNo":"{{outTradeNo}}","orderNo":"EC20261124000000000000000001","tradeType":"QR","status":"{{status}}","amount":1999,"currency":"CNY"{{extra}}}""";

    public static string Refund(string status, string outRefundNo = "rf_01", long amount = 500, string merchantNo = MerchantNo) =>
        $$"""{"merchantNo":"{{merchantNo}}","outTradeNo":"pay_01","orderNo":"EC20261124000000000000000001","outRefundNo":"{{outRefundNo}}","refundNo":"ER1","status":"{{status}}","refundAmount":{{amount}},"currency":"CNY","successTime":"2026-11-24T10:05:00+08:00"}""";
}
