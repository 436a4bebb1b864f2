using Payments.Channels.Ecny;
using Payments.Functions.Api.Admin;

namespace Payments.Functions.Tests.Api;

/// <summary>An e-CNY account is refused at creation, not at its first call, when a credential is missing or malformed.</summary>
public sealed class EcnyCredentialRulesTests
{
    private static readonly (string PrivateKeyPem, string PublicKeyPem) Merchant = EcnySigner.GenerateKeyPairPem();
    private static readonly (string PrivateKeyPem, string PublicKeyPem) Platform = EcnySigner.GenerateKeyPairPem();

    private static Dictionary<string, string?> Valid() => new()
    {
        ["merchantNo"] = "890000000000001",
        ["merchantSerialNo"] = "4F2A9C",
        ["merchantSm2PrivateKeyPem"] = Merchant.PrivateKeyPem,
        ["platformSerialNo"] = "EP01",
        ["platformSm2PublicKeyPem"] = Platform.PublicKeyPem,
        ["notifySm4KeyHex"] = "8a1f0c2e4b6d7f9102a3b4c5d6e7f809",
    };

    [Fact]
    public void TheSixEcnyCredentialsAreAccepted() => Assert.Empty(ChannelCredentialRules.Check("ecny", Valid()));

    [Fact]
    public void AMissingPlatformKeyIsNamed()
    {
        var credentials = Valid();
        credentials.Remove("platformSm2PublicKeyPem");
        Assert.Equal([("platformSm2PublicKeyPem", "Required.")], ChannelCredentialRules.Check("ecny", credentials));
    }

    [Fact]
    public void AKeyThatIsNotPemAndANotifyKeyThatIsNotHexAreRefused()
    {
        var credentials = Valid();
        credentials["merchantSm2PrivateKeyPem"] = "MIGTAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBHkwdwIBAQQg";
        credentials["notifySm4KeyHex"] = "not hex";
        Assert.Equal(["merchantSm2PrivateKeyPem", "notifySm4KeyHex"], ChannelCredentialRules.Check("ecny", credentials).Select(p => p.Field).Order());
    }

    [Fact]
    public void AWeChatPayCredentialIsNotAnEcnyOne()
    {
        var credentials = Valid();
        credentials["apiV3Key"] = "0123456789abcdef0123456789abcdef";
        Assert.Equal("apiV3Key", Assert.Single(ChannelCredentialRules.Check("ecny", credentials)).Field);
    }
}
