using Payments.Channels.Alipay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Alipay;

/// <summary>trade_status_sync notifications as Alipay posts them: a signed form.</summary>
public class AlipayNotificationTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];

    private readonly AlipayChannel _channel = new(new HttpClient(), TimeProvider.System);
    private readonly ChannelAccount _account = AlipayTestData.Account(new Uri("http://127.0.0.1:1/"));

    private NotificationParseResult Parse(string body) => _channel.ParseNotification(_account, NoHeaders, body);

    [Fact]
    public void ASignedPaymentNotificationIsValidAndAcknowledgedWithSuccess()
    {
        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"))));

        Assert.Equal((200, "text/plain", "success"), (valid.AckStatusCode, valid.AckContentType, valid.AckBody));
        Assert.Equal("2026112400222100103012345678901234", valid.Notification.NotificationId);
        Assert.Equal("pay_1", valid.Notification.PaymentId);
        Assert.Equal(ChannelPaymentStatus.Succeeded, valid.Notification.State.Status);
        Assert.Equal(new Money(1999, Currency.CNY), valid.Notification.State.PaidAmount);
    }

    [Fact]
    public void ARepeatOfTheSameNotificationCarriesTheSameNotificationId()
    {
        var first = Assert.IsType<NotificationParseResult.Valid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"))));
        var notice = AlipayTestData.PaymentNotice("pay_1");
        notice["notify_time"] = "2026-11-24 10:05:03";
        var retry = Assert.IsType<NotificationParseResult.Valid>(Parse(AlipayTestData.NotificationBody(notice)));

        Assert.Equal(first.Notification.NotificationId, retry.Notification.NotificationId);
    }

    [Fact]
    public void TradeFinishedAfterSuccessIsTheSamePayment()
    {
        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1", "TRADE_FINISHED"))));

        Assert.Equal(ChannelPaymentStatus.Succeeded, valid.Notification.State.Status);
        Assert.Equal("2026112422001412345678901234", valid.Notification.State.ChannelTransactionId);
    }

    [Fact]
    public void AClosedUnpaidTradeIsClosed()
    {
        var notice = AlipayTestData.PaymentNotice("pay_1", "TRADE_CLOSED");
        notice.Remove("gmt_payment");

        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(AlipayTestData.NotificationBody(notice)));

        Assert.Equal(ChannelPaymentStatus.Closed, valid.Notification.State.Status);
        Assert.Null(valid.Notification.RefundId);
    }

    [Fact]
    public void AFullRefundsTradeClosedIsAboutTheRefundNotAClosedPayment()
    {
        var notice = AlipayTestData.PaymentNotice("pay_1", "TRADE_CLOSED");
        notice["out_biz_no"] = "ref_1";
        notice["refund_fee"] = "19.99";
        notice["gmt_refund"] = "2026-11-25 09:00:05.123";
        notice["gmt_close"] = "2026-11-25 09:00:05";

        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(AlipayTestData.NotificationBody(notice)));

        Assert.Equal("ref_1", valid.Notification.RefundId);
        Assert.Equal(ChannelRefundStatus.Succeeded, valid.Notification.RefundState!.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 1, 0, 5, 123, TimeSpan.Zero), valid.Notification.RefundState.SucceededAt);
        Assert.Null(valid.Notification.RefundState.RefundedAmount); // refund_fee is the running total
        Assert.Equal(ChannelPaymentStatus.Succeeded, valid.Notification.State.Status);
    }

    [Fact]
    public void ANotificationForAnotherAppIsRefusedThoughAlipaySignedIt() =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1", appId: "2021000000000999"))));

    [Theory]
    [InlineData("total_amount", "0.01")]
    [InlineData("out_trade_no", "pay_2")]
    [InlineData("trade_status", "TRADE_CLOSED")]
    [InlineData("app_id", "2021000000000999")]
    public void AParameterChangedAfterSigningIsRefused(string name, string value) =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"), tamper: p => p[name] = value)));

    [Fact]
    public void AnAddedParameterIsRefused() =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"), tamper: p => p["out_biz_no"] = "ref_1")));

    [Fact]
    public void ASignatureThatCoversSignTypeIsRefusedBecauseNotificationsLeaveItOut() =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"), signOverSignType: true)));

    [Fact]
    public void ANotificationSignedWithAnotherKeyIsRefused()
    {
        using var other = System.Security.Cryptography.RSA.Create(2048);

        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"), other)));
    }

    [Fact]
    public void AnUnsignedNotificationIsRefused() =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"), tamper: p => p.Remove("sign"))));

    [Fact]
    public void AnRsaSha1SignTypeIsRefused() =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"), tamper: p => p["sign_type"] = "RSA")));

    [Theory]
    [InlineData("19.999")]
    [InlineData("-19.99")]
    [InlineData("1,999")]
    public void ASignedButUnreadableAmountIsRefusedNotRounded(string total) =>
        Assert.IsType<NotificationParseResult.Invalid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1", totalAmount: total))));

    [Fact]
    public void AFormWithANameTwiceIsRefused()
    {
        string body = AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"));

        Assert.IsType<NotificationParseResult.Invalid>(Parse(body + "&total_amount=0.01"));
    }

    [Fact]
    public void PlusSignsAndPercentEscapesDecodeBeforeVerifying()
    {
        // The subject has a space (sent as '+'), an ampersand and Chinese text (percent-encoded UTF-8).
        var valid = Assert.IsType<NotificationParseResult.Valid>(Parse(AlipayTestData.NotificationBody(AlipayTestData.PaymentNotice("pay_1"))));

        Assert.Contains("subject=%E5%92%96%E5%95%A1%E8%B1%86+Coffee+beans+%26+more", valid.Notification.RawResource, StringComparison.Ordinal);
    }
}
