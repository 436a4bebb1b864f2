using Payments.Channels.Card;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Card;

public sealed class CardNotificationTests
{
    private static readonly ChannelAccount Account = CardTestData.Account(new Uri("http://127.0.0.1:1/"));
    private static readonly CardChannel Channel = new(new HttpClient());

    private static NotificationParseResult Parse(string body, string? signature = null, ChannelAccount? account = null) =>
        Channel.ParseNotification(
            account ?? Account,
            new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["x-card-signature"] = signature ?? CardSigner.Sign(CardTestData.HmacKeyHex, body) },
            body);

    private static string Body(string eventCode, bool success, string? refundReference = null, string? reason = null) =>
        $$"""{"notificationId":"ntf_9","eventCode":"{{eventCode}}","success":{{(success ? "true" : "false")}},"merchantAccount":"TestMerchant","merchantReference":"pay_01","pspReference":"PSPX","amount":{"value":300,"currency":"EUR"},"eventDate":"2026-11-24T10:01:02+00:00"{{(refundReference is null ? "" : $",\"refundReference\":\"{refundReference}\"")}}{{(reason is null ? "" : $",\"reason\":\"{reason}\"")}}}""";

    [Fact]
    public void TheSignedVectorIsASucceededPaymentWithThePspReferenceAndAmount()
    {
        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(CardSignerVectorTests.NotificationBody, CardSignerVectorTests.NotificationSignature));
        Assert.Equal(("ntf_1", "pay_01"), (valid.Notification.NotificationId, valid.Notification.PaymentId));
        Assert.Equal(ChannelPaymentStatus.Succeeded, valid.Notification.State.Status);
        Assert.Equal("PSP0123456789ABCDEF", valid.Notification.State.ChannelTransactionId);
        Assert.Equal(new Money(1999, Currency.Parse("EUR")), valid.Notification.State.PaidAmount);
        Assert.Equal((200, CardChannel.Acknowledgement), (valid.AckStatusCode, valid.AckBody));
    }

    [Fact]
    public void ARefusedAuthorisationIsAFailedPaymentWithTheReason()
    {
        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(Body("AUTHORISATION", success: false, reason: "card_declined")));
        Assert.Equal((ChannelPaymentStatus.Failed, "card_declined"), (valid.Notification.State.Status, valid.Notification.State.FailureMessage));
    }

    [Theory]
    [InlineData("EXPIRY")]
    [InlineData("CANCELLATION")]
    public void ExpiryAndCancellationCloseThePayment(string eventCode) =>
        Assert.Equal(ChannelPaymentStatus.Closed, Assert.IsType<NotificationParseResult.Valid>(Parse(Body(eventCode, success: true))).Notification.State.Status);

    [Fact]
    public void ARefundNotificationNamesTheRefundAndItsAmount()
    {
        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(Body("REFUND", success: true, refundReference: "rf_1")));
        Assert.Equal("rf_1", valid.Notification.RefundId);
        Assert.Equal(ChannelRefundStatus.Succeeded, valid.Notification.RefundState!.Status);
        Assert.Equal(300, valid.Notification.RefundState.RefundedAmount!.Value.MinorUnits);
    }

    [Fact]
    public void AnAlteredBodyAMissingSignatureAndAnotherKeysSignatureAreRefused()
    {
        string body = CardSignerVectorTests.NotificationBody;
        Assert.IsType<NotificationParseResult.Invalid>(Parse(body.Replace("1999", "9999", StringComparison.Ordinal), CardSignerVectorTests.NotificationSignature));
        Assert.IsType<NotificationParseResult.Invalid>(Channel.ParseNotification(Account, new Dictionary<string, string>(), body));
        Assert.IsType<NotificationParseResult.Invalid>(Parse(body, CardSigner.Sign("00" + CardTestData.HmacKeyHex[2..], body)));
    }

    [Fact]
    public void ANotificationForAnotherMerchantAccountIsRefusedEvenWhenSigned() =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(Body("AUTHORISATION", success: true), account: CardTestData.Account(new Uri("http://127.0.0.1:1/"), "OtherMerchant")));

    [Fact]
    public void AnUnknownEventCodeIsRefused() =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(Body("CHARGEBACK", success: true)));
}
