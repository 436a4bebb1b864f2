using System.Security.Cryptography;
using System.Text;
using Payments.Channels.Transfer;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Transfer;

public sealed class TransferNotificationTests
{
    private static readonly TransferChannel Channel = new(new HttpClient());
    private static readonly ChannelAccount Account = TransferTestData.Account(new Uri("https://bank.example/"));

    private static Dictionary<string, string> Headers(string body, string keyHex = TransferTestData.NotifyKeyHex, string timestamp = "1795500000", string nonce = "fedcba9876543210fedcba9876543210") => new()
    {
        ["x-bank-timestamp"] = timestamp,
        ["X-Bank-Nonce"] = nonce,
        ["X-BANK-SIGNATURE"] = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(keyHex), Encoding.UTF8.GetBytes($"{timestamp}\n{nonce}\n{body}"))),
    };

    private static string Notice(string eventType, string collection, string refund = "", string corporateId = TransferTestData.CorporateId) =>
        $$"""{"notificationId":"EVT01","eventType":"{{eventType}}","corporateId":"{{corporateId}}","occurredAt":"2026-11-24T10:01:02+00:00","collection":{{collection}}{{refund}}}""";

    private static ChannelNotification Valid(string body)
    {
        var valid = Assert.IsType<NotificationParseResult.Valid>(Channel.ParseNotification(Account, Headers(body), body));
        Assert.Equal((200, """{"code":"SUCCESS"}"""), (valid.AckStatusCode, valid.AckBody));
        return valid.Notification;
    }

    [Fact]
    public void TheOpensslVectorVerifiesAndAnExactCreditSucceedsThePayment()
    {
        var headers = new Dictionary<string, string>
        {
            ["X-Bank-Timestamp"] = TransferSignerVectorTests.NotificationTimestamp,
            ["X-Bank-Nonce"] = TransferSignerVectorTests.NotificationNonce,
            ["X-Bank-Signature"] = TransferSignerVectorTests.NotificationSignature,
        };
        var valid = Assert.IsType<NotificationParseResult.Valid>(Channel.ParseNotification(Account, headers, TransferSignerVectorTests.NotificationBody));
        Assert.Equal(("EVT01", "pay_01"), (valid.Notification.NotificationId, valid.Notification.PaymentId));
        Assert.Equal(
            new ChannelPaymentState(ChannelPaymentStatus.Succeeded, "COL01", new Money(12345, Currency.CNY), new DateTimeOffset(2026, 11, 24, 10, 1, 0, TimeSpan.Zero), PayerSetsAmount: true),
            valid.Notification.State);
    }

    [Fact]
    public void AWrongKeyAnAlteredBodyAMissingHeaderOrAnotherCorporateIsInvalid()
    {
        string body = Notice("CREDIT_RECEIVED", TransferTestData.Collection("PAID", credits: [12345]));
        Assert.IsType<NotificationParseResult.Invalid>(Channel.ParseNotification(Account, Headers(body, TransferTestData.ApiKeyHex), body));
        Assert.IsType<NotificationParseResult.Invalid>(Channel.ParseNotification(Account, Headers(body), body.Replace("12345", "99999", StringComparison.Ordinal)));
        var unsigned = Headers(body);
        unsigned.Remove("X-BANK-SIGNATURE");
        Assert.IsType<NotificationParseResult.Invalid>(Channel.ParseNotification(Account, unsigned, body));

        string foreign = Notice("CREDIT_RECEIVED", TransferTestData.Collection("PAID", credits: [12345]), corporateId: "CORP99");
        Assert.IsType<NotificationParseResult.Invalid>(Channel.ParseNotification(Account, Headers(foreign), foreign));
        Assert.IsType<NotificationParseResult.Invalid>(Channel.ParseNotification(Account, Headers("not json"), "not json"));
    }

    [Fact]
    public void APartialAnExcessOrMoneyHeldAtCloseTravelsAsTheCumulativeCreditWithThePayerSetAmountMark()
    {
        foreach (var (eventType, collection, status, credited) in new[]
        {
            ("CREDIT_RECEIVED", TransferTestData.Collection("PARTIALLY_PAID", credits: [5000]), ChannelPaymentStatus.Pending, 5000L),
            ("CREDIT_RECEIVED", TransferTestData.Collection("PAID", credits: [20000]), ChannelPaymentStatus.Succeeded, 20000L),
            ("CREDIT_RECEIVED", TransferTestData.Collection("PAID", credits: [5000, 7345]), ChannelPaymentStatus.Succeeded, 12345L),
            ("COLLECTION_CLOSED", TransferTestData.Collection("EXPIRED", credits: [5000]), ChannelPaymentStatus.Closed, 5000L),
        })
        {
            var state = Valid(Notice(eventType, collection)).State;
            Assert.Equal((status, (Money?)new Money(credited, Currency.CNY), "COL01", true), (state.Status, state.PaidAmount, state.ChannelTransactionId, state.PayerSetsAmount));
        }
    }

    [Fact]
    public void AReferenceClosedWithNothingCreditedClosesThePayment()
    {
        var state = Valid(Notice("COLLECTION_CLOSED", TransferTestData.Collection("EXPIRED"))).State;
        Assert.Equal((ChannelPaymentStatus.Closed, (Money?)null), (state.Status, state.PaidAmount));
    }

    [Fact]
    public void ARefundNotificationCarriesTheRefundByOurRefundId()
    {
        string refund = ""","refund":{"refundRef":"re_01","refundId":"RTN01","collectionId":"COL01","merchantRef":"pay_01","status":"SUCCEEDED","amount":2000,"currency":"CNY","returnedAt":"2026-11-24T10:05:00+00:00"}""";
        var notification = Valid(Notice("REFUND_SETTLED", TransferTestData.Collection("PAID", credits: [12345], refunded: 2000), refund));
        Assert.Equal("re_01", notification.RefundId);
        Assert.Equal(new ChannelRefundState(ChannelRefundStatus.Succeeded, "RTN01", new Money(2000, Currency.CNY), new DateTimeOffset(2026, 11, 24, 10, 5, 0, TimeSpan.Zero)), notification.RefundState);

        string failed = refund.Replace("SUCCEEDED", "FAILED", StringComparison.Ordinal);
        Assert.Equal(ChannelRefundStatus.Failed, Valid(Notice("REFUND_FAILED", TransferTestData.Collection("PAID", credits: [12345]), failed)).RefundState!.Status);
    }

    [Fact]
    public void AnEventTheAdapterDoesNotKnowIsInvalid()
    {
        string body = Notice("ACCOUNT_FROZEN", TransferTestData.Collection("OPEN"));
        Assert.IsType<NotificationParseResult.Invalid>(Channel.ParseNotification(Account, Headers(body), body));
    }
}
