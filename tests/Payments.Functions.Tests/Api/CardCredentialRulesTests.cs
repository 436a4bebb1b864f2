using Payments.Functions.Api.Admin;

namespace Payments.Functions.Tests.Api;

/// <summary>A card account is refused at creation, not at its first webhook, when a credential is missing or malformed.</summary>
public sealed class CardCredentialRulesTests
{
    private static Dictionary<string, string?> Valid() => new()
    {
        ["merchantAccount"] = "DemoMerchant",
        ["apiKey"] = "ak_0123456789abcdef",
        ["hmacKeyHex"] = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056",
    };

    [Fact]
    public void TheThreeCardCredentialsAreAccepted() => Assert.Empty(ChannelCredentialRules.Check("card", Valid()));

    [Fact]
    public void AMissingApiKeyIsNamed()
    {
        var credentials = Valid();
        credentials.Remove("apiKey");
        Assert.Equal([("apiKey", "Required.")], ChannelCredentialRules.Check("card", credentials));
    }

    [Theory]
    [InlineData("not-hex-at-all")]
    [InlineData("ABC")]
    public void AnHmacKeyThatIsNotHexIsRefused(string key)
    {
        var credentials = Valid();
        credentials["hmacKeyHex"] = key;
        Assert.Equal("hmacKeyHex", Assert.Single(ChannelCredentialRules.Check("card", credentials)).Field);
    }

    [Fact]
    public void ACardNumberIsNotACredential()
    {
        var credentials = Valid();
        credentials["cardNumber"] = "4111111111111111";
        Assert.Equal("cardNumber", Assert.Single(ChannelCredentialRules.Check("card", credentials)).Field);
    }
}
