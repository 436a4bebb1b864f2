using Payments.Functions.Api.Admin;

namespace Payments.Functions.Tests.Api;

/// <summary>A bank transfer account is refused at creation, not at its first notification, when a credential is missing or malformed.</summary>
public sealed class TransferCredentialRulesTests
{
    private static Dictionary<string, string?> Valid() => new()
    {
        ["corporateId"] = "CORP01",
        ["apiKeyHex"] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
        ["notifyKeyHex"] = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
    };

    [Fact]
    public void TheThreeTransferCredentialsAreAccepted() => Assert.Empty(ChannelCredentialRules.Check("transfer", Valid()));

    [Fact]
    public void AMissingNotificationKeyIsNamed()
    {
        var credentials = Valid();
        credentials.Remove("notifyKeyHex");
        Assert.Equal([("notifyKeyHex", "Required.")], ChannelCredentialRules.Check("transfer", credentials));
    }

    [Theory]
    [InlineData("apiKeyHex")]
    [InlineData("notifyKeyHex")]
    public void AKeyThatIsNotHexIsRefused(string name)
    {
        var credentials = Valid();
        credentials[name] = "not-hex";
        Assert.Equal(name, Assert.Single(ChannelCredentialRules.Check("transfer", credentials)).Field);
    }

    [Fact]
    public void AnotherChannelsCredentialIsUnknownHere()
    {
        var credentials = Valid();
        credentials["hmacKeyHex"] = "00";
        Assert.Equal("hmacKeyHex", Assert.Single(ChannelCredentialRules.Check("transfer", credentials)).Field);
    }
}
