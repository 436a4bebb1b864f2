using Payments.Channels.Card;

namespace Payments.Channels.Tests.Card;

/// <summary>
/// Fixed vectors: key, message and signature computed outside our code, so a signer that merely agrees
/// with itself fails here.
/// </summary>
public sealed class CardSignerVectorTests
{
    // The notification body below, signed with CardTestData.HmacKeyHex by
    // `openssl dgst -sha256 -mac HMAC -macopt hexkey:<key>` over the exact bytes.
    public const string NotificationBody =
        """{"notificationId":"ntf_1","eventCode":"AUTHORISATION","success":true,"merchantAccount":"TestMerchant","merchantReference":"pay_01","pspReference":"PSP0123456789ABCDEF","amount":{"value":1999,"currency":"EUR"},"eventDate":"2026-11-24T10:01:02+00:00","card":{"brand":"visa","last4":"1111"}}""";

    public const string NotificationSignature = "6d465932a1e435f27bbaa293b54539bab0ad686ec13987540238e2a75e437e4a";

    [Fact]
    public void TheNotificationVectorSignsToTheOpensslSignature() =>
        Assert.Equal(NotificationSignature, CardSigner.Sign(CardTestData.HmacKeyHex, NotificationBody));

    [Fact]
    public void ThePublishedHmacSha256VectorSignsToItsDigest() =>
        // HMAC_SHA256("key", "The quick brown fox jumps over the lazy dog"); "key" is 6b6579 in hex.
        Assert.Equal(
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8",
            CardSigner.Sign("6b6579", "The quick brown fox jumps over the lazy dog"));

    [Fact]
    public void TheVectorVerifiesInEitherCaseAndNothingElseDoes()
    {
        Assert.True(CardSigner.Verify(CardTestData.HmacKeyHex, NotificationBody, NotificationSignature));
        Assert.True(CardSigner.Verify(CardTestData.HmacKeyHex, NotificationBody, NotificationSignature.ToUpperInvariant()));
        Assert.False(CardSigner.Verify(CardTestData.HmacKeyHex, NotificationBody.Replace("1999", "1998", StringComparison.Ordinal), NotificationSignature));
        Assert.False(CardSigner.Verify(CardTestData.HmacKeyHex.Replace('4', '5'), NotificationBody, NotificationSignature));
        Assert.False(CardSigner.Verify(CardTestData.HmacKeyHex, NotificationBody, NotificationSignature[..^2]));
        Assert.False(CardSigner.Verify(CardTestData.HmacKeyHex, NotificationBody, "zz" + NotificationSignature[2..]));
    }
}
