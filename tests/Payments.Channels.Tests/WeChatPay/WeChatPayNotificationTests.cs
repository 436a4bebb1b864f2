using System.Security.Cryptography;
using Payments.Channels.Tests.Support;
using Payments.Channels.WeChatPay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.WeChatPay;

public class WeChatPayNotificationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 2, 1, 3, TimeSpan.Zero);

    private readonly WeChatPayChannel _channel;
    private readonly ChannelAccount _account = WeChatPayTestData.Account(new Uri("http://127.0.0.1:9"));

    public WeChatPayNotificationTests()
    {
        // Parsing a notification makes no HTTP call; the client is only there to satisfy the constructor.
        _channel = new WeChatPayChannel(new HttpClient(), new FixedTimeProvider(Now));
    }

    [Fact]
    public void AValidNotificationParsesToThePaymentItsStatusAndItsPaidAmount()
    {
        string transaction = WeChatPayTestData.Transaction("pay_01J9ZQ", total: 1999);
        string body = WeChatPayTestData.NotificationBody(transaction);

        var result = _channel.ParseNotification(_account, SignedHeaders(body), body);

        var valid = Assert.IsType<NotificationParseResult.Valid>(result);
        Assert.Equal("EV-2018022511223320873", valid.Notification.NotificationId);
        Assert.Equal("pay_01J9ZQ", valid.Notification.PaymentId);
        Assert.Equal(ChannelPaymentStatus.Succeeded, valid.Notification.State.Status);
        Assert.Equal(new Money(1999, Currency.CNY), valid.Notification.State.PaidAmount);
        Assert.Equal("4200000000202611241234567890", valid.Notification.State.ChannelTransactionId);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 1, 2, TimeSpan.FromHours(8)), valid.Notification.State.PaidAt);
        Assert.Equal(transaction, valid.Notification.RawResource);
        Assert.Equal(204, valid.AckStatusCode);
        Assert.Equal("", valid.AckBody);
    }

    [Fact]
    public void HeaderNamesAreMatchedWhateverTheirCase()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"));
        var lowerCase = SignedHeaders(body).ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value, StringComparer.Ordinal);

        Assert.IsType<NotificationParseResult.Valid>(_channel.ParseNotification(_account, lowerCase, body));
    }

    [Fact]
    public void ANotificationFourMinutesOldIsStillAccepted()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"));

        var result = _channel.ParseNotification(_account, SignedHeaders(body, at: Now.AddMinutes(-4)), body);

        Assert.IsType<NotificationParseResult.Valid>(result);
    }

    [Fact]
    public void ATamperedBodyIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"));
        var headers = SignedHeaders(body);
        string tampered = body.Replace("EV-2018022511223320873", "EV-2018022511223320874", StringComparison.Ordinal);

        AssertInvalid(_channel.ParseNotification(_account, headers, tampered), "signature");
    }

    [Fact]
    public void ANotificationSignedWithAnotherKeyIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"));
        using var otherKey = RSA.Create(2048);

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body, key: otherKey), body), "signature");
    }

    [Fact]
    public void ANotificationFromAnotherPlatformSerialIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"));

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body, serial: "0000000000000000000000000000000000000000"), body), "serial");
    }

    [Fact]
    public void AResourceSealedWithAnotherApiV3KeyIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"), apiV3Key: "00000000000000000000000000000000");

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body), body), "decrypt");
    }

    [Theory]
    [InlineData(-6)]
    [InlineData(6)]
    public void ATimestampMoreThanFiveMinutesAwayIsInvalid(int minutes)
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"));

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body, at: Now.AddMinutes(minutes)), body), "window");
    }

    [Theory]
    [InlineData("Wechatpay-Timestamp")]
    [InlineData("Wechatpay-Nonce")]
    [InlineData("Wechatpay-Serial")]
    [InlineData("Wechatpay-Signature")]
    public void ANotificationWithoutASignatureHeaderIsInvalid(string header)
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1"));
        var headers = SignedHeaders(body);
        headers.Remove(header);

        AssertInvalid(_channel.ParseNotification(_account, headers, body), header);
    }

    [Fact]
    public void ANotificationForAnotherMerchantIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1", mchId: "1900000000"));

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body), body), "merchant");
    }

    [Fact]
    public void ANotificationInAnUnknownCurrencyIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(WeChatPayTestData.Transaction("pay_1", currency: "XXX"));

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body), body), "currency");
    }

    [Fact]
    public void ASignedBodyThatIsNotJsonIsInvalid()
    {
        const string Body = "not json";

        Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(_account, SignedHeaders(Body), Body));
    }

    [Fact]
    public void ARefundSuccessNotificationParsesToThePaidPaymentAndTheSucceededRefund()
    {
        string notice = WeChatPayTestData.RefundNotice("pay_01J9ZQ", "ref_01JA0B", "SUCCESS", refund: 500, total: 1999);
        string body = WeChatPayTestData.NotificationBody(notice, resourceType: "refund", eventType: "REFUND.SUCCESS");

        var result = _channel.ParseNotification(_account, SignedHeaders(body), body);

        var valid = Assert.IsType<NotificationParseResult.Valid>(result);
        var notification = valid.Notification;
        Assert.Equal("EV-2018022511223320873", notification.NotificationId);
        Assert.Equal("pay_01J9ZQ", notification.PaymentId);
        Assert.Equal(new ChannelPaymentState(ChannelPaymentStatus.Succeeded, "4200000000202611241234567890", null, null), notification.State);
        Assert.Equal("ref_01JA0B", notification.RefundId);
        Assert.Equal(
            new ChannelRefundState(
                ChannelRefundStatus.Succeeded,
                "50000000382019052709732678859",
                new Money(500, Currency.CNY),
                new DateTimeOffset(2026, 11, 25, 9, 0, 5, TimeSpan.FromHours(8))),
            notification.RefundState);
        Assert.Equal(notice, notification.RawResource);
        Assert.Equal(204, valid.AckStatusCode);
    }

    [Fact]
    public void ARefundAbnormalNotificationIsAStuckRefundStillInFlight()
    {
        string body = WeChatPayTestData.NotificationBody(
            WeChatPayTestData.RefundNotice("pay_1", "ref_1", "ABNORMAL"), resourceType: "refund", eventType: "REFUND.ABNORMAL");

        var result = _channel.ParseNotification(_account, SignedHeaders(body), body);

        var notification = Assert.IsType<NotificationParseResult.Valid>(result).Notification;
        Assert.Equal("ref_1", notification.RefundId);
        var refund = Assert.IsType<ChannelRefundState>(notification.RefundState);
        Assert.Equal(ChannelRefundStatus.Processing, refund.Status);
        Assert.Equal(ChannelRefundState.Stuck, refund.FailureCode);
        Assert.Null(refund.SucceededAt);
        Assert.Equal(ChannelPaymentStatus.Succeeded, notification.State.Status);
    }

    [Fact]
    public void ARefundNotificationForAnotherMerchantIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(
            WeChatPayTestData.RefundNotice("pay_1", "ref_1", mchId: "1900000000"), resourceType: "refund", eventType: "REFUND.SUCCESS");

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body), body), "merchant");
    }

    [Fact]
    public void ARefundNotificationWithAStatusWeDoNotKnowIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(
            WeChatPayTestData.RefundNotice("pay_1", "ref_1", "SOMETHING_NEW"), resourceType: "refund", eventType: "REFUND.SUCCESS");

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body), body), "refund status");
    }

    [Fact]
    public void AResourceOfAnotherTypeIsInvalid()
    {
        string body = WeChatPayTestData.NotificationBody(
            WeChatPayTestData.RefundNotice("pay_1", "ref_1"), resourceType: "complaint", eventType: "COMPLAINT.CREATE");

        AssertInvalid(_channel.ParseNotification(_account, SignedHeaders(body), body), "unsupported resource");
    }

    private static Dictionary<string, string> SignedHeaders(string body, DateTimeOffset? at = null, RSA? key = null, string serial = WeChatPayTestData.PlatformSerialNo)
    {
        string timestamp = (at ?? Now).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        const string Nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Wechatpay-Timestamp"] = timestamp,
            ["Wechatpay-Nonce"] = Nonce,
            ["Wechatpay-Serial"] = serial,
            ["Wechatpay-Signature"] = WeChatPayTestData.SignAsPlatform(timestamp, Nonce, body, key),
        };
    }

    // The reason is checked too, so a notification refused for the wrong reason does not pass.
    private static void AssertInvalid(NotificationParseResult result, string reasonContains)
    {
        var invalid = Assert.IsType<NotificationParseResult.Invalid>(result);
        Assert.Contains(reasonContains, invalid.Reason, StringComparison.OrdinalIgnoreCase);
    }
}
