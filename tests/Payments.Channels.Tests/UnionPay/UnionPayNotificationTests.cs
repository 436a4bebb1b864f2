using System.Security.Cryptography;
using Payments.Channels.UnionPay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.UnionPay;

public sealed class UnionPayNotificationTests : IDisposable
{
    private static readonly string PaymentId = Ids.PaymentId("app_test", "order-1");
    private readonly TestPki _pki = new();
    private readonly UnionPayChannel _channel = new(new HttpClient(), TimeProvider.System);

    public void Dispose() => _pki.Dispose();

    private ChannelAccount Account => UnionPayTestData.Account(new Uri("http://127.0.0.1:9/"), _pki);

    private static Dictionary<string, string> Consume() => new()
    {
        ["version"] = "5.1.0", ["encoding"] = "UTF-8", ["signMethod"] = "01", ["txnType"] = "01", ["txnSubType"] = "07", ["bizType"] = "000000",
        ["accessType"] = "0", ["merId"] = UnionPayTestData.MerId, ["orderId"] = UnionPayOrderId.FromId(PaymentId)!, ["txnTime"] = "20261124100102",
        ["txnAmt"] = "1999", ["currencyCode"] = "156", ["queryId"] = "612411241001020000001", ["traceTime"] = "1124100130", ["respCode"] = "00", ["respMsg"] = "成功",
    };

    private static string Form(Dictionary<string, string> fields) => UnionPayWire.EncodeForm(fields);

    [Fact]
    public void ASignedConsumeNotificationIsASucceededPaymentAcknowledgedWithOk()
    {
        var valid = Assert.IsType<NotificationParseResult.Valid>(_channel.ParseNotification(Account, new Dictionary<string, string>(), Form(_pki.Sign(Consume()))));

        Assert.Equal(("612411241001020000001", PaymentId, 200, "ok"), (valid.Notification.NotificationId, valid.Notification.PaymentId, valid.AckStatusCode, valid.AckBody));
        Assert.Equal(new ChannelPaymentState(ChannelPaymentStatus.Succeeded, "612411241001020000001", new Money(1999, Currency.CNY), new DateTimeOffset(2026, 11, 24, 10, 1, 30, TimeSpan.FromHours(8))), valid.Notification.State);
    }

    [Fact]
    public void ARefundNotificationNamesOurRefundAndItsPayment()
    {
        string refundId = Ids.RefundId(PaymentId, "R-1");
        var fields = Consume();
        fields["txnType"] = "04";
        fields["orderId"] = UnionPayOrderId.FromId(refundId)!;
        fields["queryId"] = "612411241101020000009";
        fields["origQryId"] = "612411241001020000001";
        fields["txnAmt"] = "300";

        var valid = Assert.IsType<NotificationParseResult.Valid>(_channel.ParseNotification(Account, new Dictionary<string, string>(), Form(_pki.Sign(fields))));

        Assert.Equal((PaymentId, refundId, ChannelRefundStatus.Succeeded, 300L), (valid.Notification.PaymentId, valid.Notification.RefundId, valid.Notification.RefundState!.Status, valid.Notification.RefundState.RefundedAmount!.Value.MinorUnits));
    }

    [Fact]
    public void ACertificateThatChainedBeforeIsRefusedOnceItHasExpiredAndForAccountsWithOtherAnchors()
    {
        var clock = new MovableClock { Now = DateTimeOffset.UtcNow };
        var channel = new UnionPayChannel(new HttpClient(), clock);
        string body = Form(_pki.Sign(Consume()));
        var headers = new Dictionary<string, string>();

        Assert.IsType<NotificationParseResult.Valid>(channel.ParseNotification(Account, headers, body));
        Assert.IsType<NotificationParseResult.Valid>(channel.ParseNotification(Account, headers, body));
        using var otherPki = new TestPki();
        Assert.IsType<NotificationParseResult.Invalid>(channel.ParseNotification(UnionPayTestData.Account(new Uri("http://127.0.0.1:9/"), otherPki), headers, body));

        clock.Now = clock.Now.AddYears(2);
        Assert.IsType<NotificationParseResult.Invalid>(channel.ParseNotification(Account, headers, body));
    }

    private sealed class MovableClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void AChangedFieldAForeignKeyAnUnknownMerchantOrNoSignatureAreInvalid()
    {
        var signed = _pki.Sign(Consume());
        var tampered = new Dictionary<string, string>(signed) { ["txnAmt"] = "1" };
        using var forger = RSA.Create(2048);
        var otherKey = _pki.Sign(Consume(), forger);
        var otherMerchant = Consume();
        otherMerchant["merId"] = "777290058110049";
        var unsigned = new Dictionary<string, string>(signed);
        unsigned.Remove("signature");

        foreach (var fields in new[] { tampered, otherKey, _pki.Sign(otherMerchant), unsigned })
        {
            Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(Account, new Dictionary<string, string>(), Form(fields)));
        }
    }

    [Fact]
    public void ABodyThatIsNotAFormIsInvalid() =>
        Assert.IsType<NotificationParseResult.Invalid>(_channel.ParseNotification(Account, new Dictionary<string, string>(), "a=%zz"));
}
