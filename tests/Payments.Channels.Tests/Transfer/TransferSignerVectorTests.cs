using Payments.Channels.Transfer;

namespace Payments.Channels.Tests.Transfer;

/// <summary>
/// Fixed vectors: keys, messages and signatures computed outside our code, so a signer that merely agrees with
/// itself fails here.
/// </summary>
public sealed class TransferSignerVectorTests
{
    public const string RequestBody = """{"merchantRef":"pay_01","amount":12345,"currency":"CNY"}""";

    // printf '%s\n%s\n%s\n%s\n%s' POST /transfer/v1/collections 1795500000 <nonce> '<RequestBody>' |
    //   openssl dgst -sha256 -mac HMAC -macopt hexkey:<TransferTestData.ApiKeyHex>
    public const string RequestSignature = "010ecedc7b42c45d6c6a050d676b9a19b98c249f84e637dbb8152425eb037e9c";

    public const string NotificationBody =
        """{"notificationId":"EVT01","eventType":"CREDIT_RECEIVED","corporateId":"CORP01","occurredAt":"2026-11-24T10:01:02+00:00","collection":{"collectionId":"COL01","merchantRef":"pay_01","status":"PAID","currency":"CNY","amountDue":12345,"amountCredited":12345,"amountRefunded":0,"expiresAt":"2026-11-25T10:00:00+00:00","paidAt":"2026-11-24T10:01:00+00:00","credits":[{"creditId":"CR01","amount":12345,"payerAccount":"6217********1234","payerName":"Payer","creditedAt":"2026-11-24T10:01:00+00:00"}]}}""";

    public const string NotificationTimestamp = "1795500000";
    public const string NotificationNonce = "fedcba9876543210fedcba9876543210";

    // printf '%s\n%s\n%s' 1795500000 <NotificationNonce> '<NotificationBody>' |
    //   openssl dgst -sha256 -mac HMAC -macopt hexkey:<TransferTestData.NotifyKeyHex>
    public const string NotificationSignature = "4b98393ad7d057e09ac546b647dc87b1c4174bec097a5339c887cfb4f0c31922";

    [Fact]
    public void TheRequestVectorSignsToTheOpensslSignature() =>
        Assert.Equal(
            RequestSignature,
            TransferSigner.Sign(TransferTestData.ApiKeyHex, TransferSigner.RequestMessage("POST", "/transfer/v1/collections", 1795500000, "0123456789abcdef0123456789abcdef", RequestBody)));

    [Fact]
    public void TheNotificationVectorSignsToTheOpensslSignature() =>
        Assert.Equal(
            NotificationSignature,
            TransferSigner.Sign(TransferTestData.NotifyKeyHex, TransferSigner.NotificationMessage(NotificationTimestamp, NotificationNonce, NotificationBody)));

    [Fact]
    public void ThePublishedHmacSha256VectorSignsToItsDigest() =>
        // HMAC_SHA256("key", "The quick brown fox jumps over the lazy dog"); "key" is 6b6579 in hex.
        Assert.Equal("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", TransferSigner.Sign("6b6579", "The quick brown fox jumps over the lazy dog"));

    [Fact]
    public void TheVectorVerifiesInEitherCaseAndNothingElseDoes()
    {
        string message = TransferSigner.NotificationMessage(NotificationTimestamp, NotificationNonce, NotificationBody);
        Assert.True(TransferSigner.Verify(TransferTestData.NotifyKeyHex, message, NotificationSignature));
        Assert.True(TransferSigner.Verify(TransferTestData.NotifyKeyHex, message, NotificationSignature.ToUpperInvariant()));
        Assert.False(TransferSigner.Verify(TransferTestData.NotifyKeyHex, message.Replace("12345", "12346", StringComparison.Ordinal), NotificationSignature));
        Assert.False(TransferSigner.Verify(TransferTestData.NotifyKeyHex, TransferSigner.NotificationMessage("1795500001", NotificationNonce, NotificationBody), NotificationSignature));
        Assert.False(TransferSigner.Verify(TransferTestData.ApiKeyHex, message, NotificationSignature));
        Assert.False(TransferSigner.Verify(TransferTestData.NotifyKeyHex, message, NotificationSignature[..^2]));
        Assert.False(TransferSigner.Verify(TransferTestData.NotifyKeyHex, message, "zz" + NotificationSignature[2..]));
    }
}
