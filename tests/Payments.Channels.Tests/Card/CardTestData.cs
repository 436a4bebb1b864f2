using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Card;

internal static class CardTestData
{
    public const string MerchantAccount = "TestMerchant";
    public const string ApiKey = "ak_test_0123456789";

    /// <summary>A 32-byte HMAC key written as hex, as the acquirer hands it out.</summary>
    public const string HmacKeyHex = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056";

    public static ChannelAccount Account(Uri endpoint, string merchantAccount = MerchantAccount) => new(
        "ca_card_test",
        "card",
        "sandbox",
        "mch_test",
        endpoint,
        new Dictionary<string, Secret>
        {
            ["merchantAccount"] = new(merchantAccount),
            ["apiKey"] = new(ApiKey),
            ["hmacKeyHex"] = new(HmacKeyHex),
        });
}
