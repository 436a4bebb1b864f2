using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Payments.Channels.Alipay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Alipay;

public class AlipayAmountAndStatusTests
{
    [Theory]
    [InlineData("0.01", 1)]
    [InlineData("0.1", 10)]
    [InlineData("0.10", 10)]
    [InlineData("5", 500)]
    [InlineData("19.99", 1999)]
    [InlineData("100000000.00", 10_000_000_000)]
    public void YuanReadExactlyAsFen(string yuan, long fen)
    {
        Assert.True(AlipayStatusMapping.TryParseYuan(yuan, out var amount));
        Assert.Equal(new Money(fen, Currency.CNY), amount);
    }

    [Theory]
    [InlineData("19.999")]
    [InlineData("1e3")]
    [InlineData("-1.00")]
    [InlineData("+1.00")]
    [InlineData(" 1.00")]
    [InlineData("1,00")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("01.00")]
    [InlineData("")]
    [InlineData(null)]
    public void AnythingButPlainYuanIsRefused(string? yuan) =>
        Assert.False(AlipayStatusMapping.TryParseYuan(yuan, out _));

    [Property]
    public Property FenWrittenAsYuanReadsBackAsTheSameFen(PositiveInt fen) =>
        Prop.ForAll(Gen.Choose(0, 99).ToArbitrary(), cents =>
        {
            var amount = new Money(((long)fen.Get * 100) + cents, Currency.CNY);
            string yuan = AlipayStatusMapping.ToYuan(amount);
            return yuan.Split('.')[1].Length == 2 && AlipayStatusMapping.TryParseYuan(yuan, out var back) && back == amount;
        });

    [Fact]
    public void OnlyCnyIsWrittenAsYuan() =>
        Assert.Throws<ArgumentException>(() => AlipayStatusMapping.ToYuan(new Money(100, Currency.Parse("JPY"))));

    [Theory]
    [InlineData("WAIT_BUYER_PAY", false, ChannelPaymentStatus.Pending)]
    [InlineData("TRADE_SUCCESS", true, ChannelPaymentStatus.Succeeded)]
    [InlineData("TRADE_FINISHED", true, ChannelPaymentStatus.Succeeded)]
    [InlineData("TRADE_CLOSED", false, ChannelPaymentStatus.Closed)]
    [InlineData("TRADE_CLOSED", true, ChannelPaymentStatus.Succeeded)]
    public void EveryTradeStatusHasOneMeaning(string tradeStatus, bool wasPaid, ChannelPaymentStatus expected) =>
        Assert.Equal(expected, AlipayStatusMapping.ToStatus(tradeStatus, wasPaid));

    [Theory]
    [InlineData("TRADE_PENDING")]
    [InlineData("trade_success")]
    [InlineData("")]
    [InlineData(null)]
    public void AnUnknownTradeStatusIsNotGuessed(string? tradeStatus) =>
        Assert.Null(AlipayStatusMapping.ToStatus(tradeStatus, wasPaid: true));

    [Fact]
    public void APaidTradeWithoutATradeNoCannotBeRead() =>
        Assert.False(AlipayStatusMapping.TryToState("TRADE_SUCCESS", null, "1.00", "2026-11-24 10:01:02", out _, out _));

    [Fact]
    public void GatewayTimesAreBeijingTime()
    {
        var instant = new DateTimeOffset(2026, 11, 23, 18, 30, 0, TimeSpan.Zero);

        Assert.Equal("2026-11-24 02:30:00", AlipayStatusMapping.FormatTime(instant));
        Assert.True(AlipayStatusMapping.TryParseTime("2026-11-24 02:30:00", out var back));
        Assert.Equal(instant, back);
    }
}
