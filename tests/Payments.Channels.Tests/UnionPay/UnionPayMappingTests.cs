using Payments.Channels.UnionPay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.UnionPay;

public sealed class UnionPayMappingTests
{
    [Theory]
    [InlineData("00", ChannelPaymentStatus.Succeeded)]
    [InlineData("03", ChannelPaymentStatus.Pending)]
    [InlineData("04", ChannelPaymentStatus.Pending)]
    [InlineData("05", ChannelPaymentStatus.Pending)]
    [InlineData("01", ChannelPaymentStatus.Failed)]
    [InlineData("61", ChannelPaymentStatus.Failed)]
    public void OrigRespCodesBecomeOurPaymentStatuses(string code, ChannelPaymentStatus expected) =>
        Assert.Equal(expected, UnionPayStatusMapping.ToPaymentStatus(code));

    [Theory]
    [InlineData("00", ChannelRefundStatus.Succeeded)]
    [InlineData("05", ChannelRefundStatus.Processing)]
    [InlineData("01", ChannelRefundStatus.Failed)]
    public void OrigRespCodesBecomeOurRefundStatuses(string code, ChannelRefundStatus expected) =>
        Assert.Equal(expected, UnionPayStatusMapping.ToRefundStatus(code));

    [Theory]
    [InlineData("12", true)]
    [InlineData("30", true)]
    [InlineData("01", false)]
    [InlineData("03", false)]
    [InlineData("06", false)]
    public void OnlyRefusalsThatCannotHideATransactionAreDefinite(string code, bool definite) =>
        Assert.Equal(definite, UnionPayStatusMapping.IsDefiniteRefusal(code));

    [Theory]
    [InlineData(1L, "1")]
    [InlineData(1999L, "1999")]
    [InlineData(123456789012L, "123456789012")]
    public void AmountsAreWholeFenBothWays(long fen, string txnAmt)
    {
        Assert.Equal(txnAmt, UnionPayStatusMapping.ToTxnAmt(new Money(fen, Currency.CNY)));
        Assert.True(UnionPayStatusMapping.TryToMoney(txnAmt, out var money));
        Assert.Equal(new Money(fen, Currency.CNY), money);
    }

    [Theory]
    [InlineData("")]
    [InlineData("19.99")]
    [InlineData("-1")]
    [InlineData("0199")]
    [InlineData("1e3")]
    public void TextThatIsNotWholeFenIsNotAnAmount(string txnAmt) =>
        Assert.False(UnionPayStatusMapping.TryToMoney(txnAmt, out _));

    [Fact]
    public void OurIdsBecomeOrderIdsOfAtMostFortyLettersAndDigitsAndComeBackExactly()
    {
        for (int i = 0; i < 200; i++)
        {
            string paymentId = Ids.PaymentId("app_" + i, "order-" + i);
            string refundId = Ids.RefundId(paymentId, "R-" + i);
            foreach (string id in new[] { paymentId, refundId })
            {
                string orderId = UnionPayOrderId.FromId(id)!;
                Assert.InRange(orderId.Length, 8, 40);
                Assert.True(orderId.All(char.IsAsciiLetterOrDigit), orderId);
                Assert.Equal(id, UnionPayOrderId.ToId(orderId));
            }
        }
    }

    [Theory]
    [InlineData("ORDER20261124")]
    [InlineData("payTOOSHORT")]
    [InlineData("refzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")]
    public void AnOrderIdWeDidNotMakeMapsToNoId(string orderId) =>
        Assert.Null(UnionPayOrderId.ToId(orderId));

    [Fact]
    public void TimesAreBeijingTime()
    {
        Assert.Equal("20261124100102", UnionPayWire.FormatTime(new DateTimeOffset(2026, 11, 24, 2, 1, 2, TimeSpan.Zero)));
        Assert.True(UnionPayWire.TryParseTraceTime("0101000501", "20261231235900", out var paidAt));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 5, 1, TimeSpan.FromHours(8)), paidAt);
    }

    [Fact]
    public void AnswersAreReadRawWithBracedValuesKeptWhole()
    {
        var fields = UnionPayWire.ParseAnswer("respCode=00&reserved={a=1&b=2}&signPubKeyCert=-----BEGIN CERTIFICATE-----\r\nMII+/=\r\n-----END CERTIFICATE-----");
        Assert.NotNull(fields);
        Assert.Equal("{a=1&b=2}", fields!["reserved"]);
        Assert.Equal("-----BEGIN CERTIFICATE-----\r\nMII+/=\r\n-----END CERTIFICATE-----", fields["signPubKeyCert"]);
        Assert.Null(UnionPayWire.ParseAnswer("respCode=00&respCode=34"));
    }
}
