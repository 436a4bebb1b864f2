using Payments.Channels.WeChatPay;

namespace Payments.Channels.Tests.WeChatPay;

/// <summary>
/// The vectors published in WeChat Pay's own SDK test suites (see /work/shared/design/vectors.md).
/// A round trip through our own code proves nothing about the real channel; these do.
/// </summary>
public class WeChatPayPublishedVectorTests
{
    // wechatpay-apiv3/wechatpay-java, AeadAesCipherTest and TestConfig.
    private const string AeadKey = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    private const string AeadNonce = "uluk4a9R25RW";
    private const string AeadAssociatedData = "associatedData";
    private const string AeadPlaintext = "message";
    private const string AeadCiphertext = "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=";

    // wechatpay-apiv3/wechatpay-go, utils/sign_test.go.
    private const string SignatureOfSource =
        "BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==";

    [Fact]
    public void DecryptingThePublishedCiphertextGivesThePublishedMessage() =>
        Assert.Equal(AeadPlaintext, WeChatPayAead.Decrypt(AeadKey, AeadNonce, AeadAssociatedData, AeadCiphertext));

    [Fact]
    public void EncryptingThePublishedMessageGivesThePublishedCiphertext() =>
        Assert.Equal(AeadCiphertext, WeChatPayAead.Encrypt(AeadKey, AeadNonce, AeadAssociatedData, AeadPlaintext));

    [Fact]
    public void ThePublishedCiphertextDoesNotDecryptUnderOtherAssociatedData() =>
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(
            () => WeChatPayAead.Decrypt(AeadKey, AeadNonce, "otherData", AeadCiphertext));

    [Fact]
    public void SigningSourceWithTheWeChatPayGoTestKeyGivesThePublishedSignature()
    {
        using var key = WeChatPaySigner.ImportPrivateKeyPem(WeChatPayTestData.WeChatPayGoTestKeyPem);

        Assert.Equal(SignatureOfSource, WeChatPaySigner.Sign(key, "source"));
    }

    [Fact]
    public void ThePublishedSignatureVerifiesForSourceButNotForWrongSource()
    {
        using var publicKey = WeChatPaySigner.ImportPublicKeyPem(WeChatPayTestData.MerchantPublicKeyPem);

        Assert.True(WeChatPaySigner.Verify(publicKey, "source", SignatureOfSource));
        Assert.False(WeChatPaySigner.Verify(publicKey, "wrong source", SignatureOfSource));
    }

    [Fact]
    public void AnEmptyRequestBodyStillEndsTheMessageWithTwoNewlines() =>
        Assert.Equal(
            "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n",
            WeChatPaySigner.BuildRequestMessage("GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", ""));

    [Fact]
    public void AResponseMessageIsTimestampNonceAndBodyEachEndingInANewline() =>
        Assert.Equal("1554208460\nnonce\n{\"a\":1}\n", WeChatPaySigner.BuildResponseMessage("1554208460", "nonce", "{\"a\":1}"));

    [Fact]
    public void APrivateKeyIsNotAcceptedWhereThePlatformPublicKeyBelongs() =>
        Assert.Throws<ArgumentException>(() => WeChatPaySigner.ImportPublicKeyPem(WeChatPayTestData.WeChatPayGoTestKeyPem));
}
