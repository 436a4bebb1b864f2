using System.Text.Json;
using Payments.Channels.Ecny;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Ecny;

public sealed class EcnyNotificationTests
{
    private readonly EcnyChannel _channel = new(new HttpClient(), TimeProvider.System);
    private readonly ChannelAccount _account = EcnyTestData.Account(new Uri("https://ecny.example/"));

    private static string Notification(string eventType, string resourceType, string resource, string? associatedData = null, string keyHex = EcnyTestData.NotifyKeyHex) =>
        $$"""{"id":"EN0001","eventType":"{{eventType}}","createTime":"2026-11-24T10:01:01+08:00","resourceType":"{{resourceType}}","resource":{{EcnyTestData.Encrypted(associatedData ?? resourceType, resource, keyHex)}}}""";

    [Fact]
    public void APaidOrderNotificationSignedByThePlatformBecomesASucceededPayment()
    {
        string body = Notification("PAYMENT.SUCCESS", "order", EcnyTestData.Order("SUCCESS", extra: ""","payTime":"2026-11-24T10:01:00+08:00" """));
        var valid = Assert.IsType<NotificationParseResult.Valid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow), body));

        Assert.Equal(("EN0001", "pay_01", ChannelPaymentStatus.Succeeded, 1999L), (valid.Notification.NotificationId, valid.Notification.PaymentId, valid.Notification.State.Status, valid.Notification.State.PaidAmount!.Value.MinorUnits));
        Assert.Null(valid.Notification.RefundId);
        Assert.Equal((200, "SUCCESS"), (valid.AckStatusCode, JsonDocument.Parse(valid.AckBody).RootElement.GetProperty("code").GetString()));
        Assert.Equal("pay_01", JsonDocument.Parse(valid.Notification.RawResource).RootElement.GetProperty("outTradeNo").GetString());
    }

    [Fact]
    public void AFailedPaymentCarriesTheWalletsReason()
    {
        string body = Notification("PAYMENT.FAILED", "order", EcnyTestData.Order("FAILED", extra: ""","failCode":"PAYER_DECLINED","failMessage":"付款方取消支付" """));
        var valid = Assert.IsType<NotificationParseResult.Valid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow), body));
        Assert.Equal((ChannelPaymentStatus.Failed, "PAYER_DECLINED"), (valid.Notification.State.Status, valid.Notification.State.FailureCode));
    }

    [Fact]
    public void ARefundNotificationNamesThePaymentAndTheRefund()
    {
        string body = Notification("REFUND.SUCCESS", "refund", EcnyTestData.Refund("SUCCESS", amount: 300));
        var valid = Assert.IsType<NotificationParseResult.Valid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow), body));
        Assert.Equal(("pay_01", "rf_01", ChannelRefundStatus.Succeeded, new Money(300, Currency.CNY)),
            (valid.Notification.PaymentId, valid.Notification.RefundId, valid.Notification.RefundState!.Status, valid.Notification.RefundState.RefundedAmount!.Value));
    }

    [Fact]
    public void ANotificationSignedWithAnotherKeyIsInvalid()
    {
        string body = Notification("PAYMENT.SUCCESS", "order", EcnyTestData.Order("SUCCESS"));
        var forger = EcnyTestData.NewKey();
        var invalid = Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow, key: forger.Item1), body));
        Assert.Contains("does not verify", invalid.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAlteredBodyIsInvalid()
    {
        string body = Notification("PAYMENT.SUCCESS", "order", EcnyTestData.Order("SUCCESS"));
        var headers = EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow);
        Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, headers, body.Replace("EN0001", "EN0002", StringComparison.Ordinal)));
    }

    [Fact]
    public void StaleWrongSerialAndMissingHeadersAreInvalid()
    {
        string body = Notification("PAYMENT.SUCCESS", "order", EcnyTestData.Order("SUCCESS"));
        Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow.AddMinutes(-6)), body));
        Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow, serial: "PS9999"), body));
        var headers = EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow);
        headers.Remove("Ecny-Nonce");
        Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, headers, body));
    }

    [Fact]
    public void HeaderNamesAreMatchedWithoutCase()
    {
        string body = Notification("PAYMENT.SUCCESS", "order", EcnyTestData.Order("SUCCESS"));
        var lower = EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow).ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value);
        Assert.IsType<NotificationParseResult.Valid>(_channel.ParseNotification(_account, lower, body));
    }

    [Fact]
    public void AResourceEncryptedWithAnotherKeyIsInvalidThoughSigned()
    {
        string body = Notification("PAYMENT.SUCCESS", "order", EcnyTestData.Order("SUCCESS"), keyHex: "00000000000000000000000000000000");
        var invalid = Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow), body));
        Assert.Contains("decrypt", invalid.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AResourceWhoseAssociatedDataIsNotItsTypeIsInvalid()
    {
        string body = Notification("REFUND.SUCCESS", "refund", EcnyTestData.Refund("SUCCESS"), associatedData: "order");
        Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow), body));
    }

    [Fact]
    public void AnotherMerchantsOrderIsInvalidEvenWhenThePlatformSignedIt()
    {
        string body = Notification("REFUND.SUCCESS", "refund", EcnyTestData.Refund("SUCCESS", merchantNo: "8900000000999"));
        var invalid = Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, EcnyTestData.SignedHeaders(body, DateTimeOffset.UtcNow), body));
        Assert.Contains("8900000000999", invalid.Reason, StringComparison.Ordinal);
    }
}
