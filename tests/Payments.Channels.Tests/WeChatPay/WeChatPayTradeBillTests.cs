using System.IO.Pipelines;
using System.Text;
using Payments.Channels.WeChatPay;
using Payments.Core;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.WeChatPay;

public class WeChatPayTradeBillTests
{
    public const string Header =
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    public const string SummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

    public const string PaidRow =
        "`2026-11-22 09:15:02,`wxd678efh567hg6787,`1230000109,`0,`,`4200002026112200000001,`pay_01JD7K3M,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`19.99,`0.00,`0,`0,`0.00,`0.00,`,`,`Order A-1001,`,`0.12000,`0.60%,`19.99,`0.00,`";

    // The merchant's own attach holds ",`": the columns after it must still be read from the right place.
    public const string PaidRowWithAwkwardText =
        "`2026-11-22 13:40:11,`wxd678efh567hg6787,`1230000109,`0,`,`4200002026112200000002,`pay_01JD7K9Q,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`CMB_DEBIT,`CNY,`100.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Mug, blue,`a,`b,`0.60000,`0.60%,`100.00,`0.00,`";

    public const string RefundRow =
        "`2026-11-22 18:02:45,`wxd678efh567hg6787,`1230000109,`0,`,`4200002026112200000001,`pay_01JD7K3M,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300002026112200000001,`ref_01JD8A1B,`5.00,`0.00,`ORIGINAL,`SUCCESS,`Order A-1001,`,`-0.03000,`0.60%,`0.00,`5.00,`";

    public const string Summary = "`3,`119.99,`5.00,`0.00,`0.69000,`119.99,`5.00";

    private static readonly WeChatPayChannel Channel = new(new HttpClient(), TimeProvider.System);

    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    [Fact]
    public async Task TheSampleBillReadsAsPaymentsAndRefundsInOurTerms()
    {
        var lines = await ParseAsync(Bill(PaidRow, PaidRowWithAwkwardText, RefundRow, SummaryHeader, Summary));

        Assert.Equal(
            [
                new StatementLine(
                    "pay_01JD7K3M", "4200002026112200000001", TransactionKind.Payment, Cny(1999), Cny(12),
                    "SUCCESS", TransactionStatus.Succeeded, new DateTimeOffset(2026, 11, 22, 9, 15, 2, China)),
                new StatementLine(
                    "pay_01JD7K9Q", "4200002026112200000002", TransactionKind.Payment, Cny(10000), Cny(60),
                    "SUCCESS", TransactionStatus.Succeeded, new DateTimeOffset(2026, 11, 22, 13, 40, 11, China)),
                new StatementLine(
                    "ref_01JD8A1B", "50300002026112200000001", TransactionKind.Refund, Cny(500), Cny(-3),
                    "SUCCESS", TransactionStatus.Succeeded, new DateTimeOffset(2026, 11, 22, 18, 2, 45, China), "pay_01JD7K3M"),
            ],
            lines);
    }

    [Fact]
    public async Task AByteOrderMarkAndWindowsLineEndingsAreAccepted()
    {
        string bill = "\uFEFF" + string.Join("\r\n", Header, PaidRow, SummaryHeader, "`1,`19.99,`0.00,`0.00,`0.12000,`19.99,`0.00") + "\r\n\r\n";

        var line = Assert.Single(await ParseAsync(bill));

        Assert.Equal("pay_01JD7K3M", line.Id);
    }

    [Fact]
    public async Task AnEmptyDayIsAHeaderAndAZeroSummary()
    {
        Assert.Empty(await ParseAsync(Bill(SummaryHeader, "`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00")));
    }

    [Theory]
    [InlineData("SUCCESS", TransactionStatus.Succeeded)]
    [InlineData("REFUND", TransactionStatus.Refunded)]
    [InlineData("NOTPAY", TransactionStatus.Processing)]
    [InlineData("USERPAYING", TransactionStatus.Processing)]
    [InlineData("CLOSED", TransactionStatus.Closed)]
    [InlineData("REVOKED", TransactionStatus.Closed)]
    [InlineData("PAYERROR", TransactionStatus.Failed)]
    [InlineData("SOMETHING_NEW", TransactionStatus.Unrecognized)]
    public async Task APaymentRowsTradeStateBecomesOurs(string tradeState, TransactionStatus expected)
    {
        var line = Assert.Single(await ParseAsync(Bill(PaidRow.Replace("`SUCCESS,", "`" + tradeState + ",", StringComparison.Ordinal), SummaryHeader, OneRowSummary)));

        Assert.Equal(TransactionKind.Payment, line.Kind);
        Assert.Equal(expected, line.Status);
        Assert.Equal(tradeState, line.ChannelStatus);
    }

    [Theory]
    [InlineData("SUCCESS", TransactionStatus.Succeeded)]
    [InlineData("PROCESSING", TransactionStatus.Processing)]
    [InlineData("CLOSED", TransactionStatus.Failed)]
    [InlineData("ABNORMAL", TransactionStatus.Failed)]
    [InlineData("CHANGE", TransactionStatus.Failed)]
    [InlineData("WHATEVER", TransactionStatus.Unrecognized)]
    public async Task ARefundRowsRefundStatusBecomesOurs(string refundStatus, TransactionStatus expected)
    {
        string row = RefundRow.Replace("`ORIGINAL,`SUCCESS,", "`ORIGINAL,`" + refundStatus + ",", StringComparison.Ordinal);

        var line = Assert.Single(await ParseAsync(Bill(row, SummaryHeader, "`1,`0.00,`5.00,`0.00,`-0.03000,`0.00,`5.00")));

        Assert.Equal(TransactionKind.Refund, line.Kind);
        Assert.Equal(expected, line.Status);
        Assert.Equal(refundStatus, line.ChannelStatus);
    }

    [Theory]
    [InlineData("19.999")]
    [InlineData("19.990")]
    [InlineData("1e3")]
    [InlineData("19,99")]
    [InlineData("")]
    [InlineData(".5")]
    [InlineData("19.")]
    public async Task AnAmountThatIsNotYuanWithAtMostTwoDecimalsIsRefused(string amount)
    {
        string row = PaidRow.Replace("`0.60%,`19.99,", "`0.60%,`" + amount + ",", StringComparison.Ordinal);

        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Bill(row, SummaryHeader, OneRowSummary)));
    }

    [Fact]
    public async Task AFeeBelowTheFenIsRefusedRatherThanRounded()
    {
        string row = PaidRow.Replace("`0.12000,", "`0.11994,", StringComparison.Ordinal);

        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Bill(row, SummaryHeader, OneRowSummary)));
    }

    [Fact]
    public async Task ABillThatEndsBeforeItsSummaryIsTruncated()
    {
        var read = new List<StatementLine>();

        await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var line in Channel.ParseStatementAsync(Utf8(Bill(PaidRow, RefundRow)), CancellationToken.None))
            {
                read.Add(line);
            }
        });
        Assert.Equal(2, read.Count);
    }

    [Theory]
    [InlineData("`2,`19.99,`0.00,`0.00,`0.12000,`19.99,`0.00")]
    [InlineData("`1,`19.98,`0.00,`0.00,`0.12000,`19.99,`0.00")]
    [InlineData("`1,`19.99,`0.01,`0.00,`0.12000,`19.99,`0.00")]
    public async Task ASummaryThatDisagreesWithTheRowsIsRefused(string summary)
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Bill(PaidRow, SummaryHeader, summary)));
    }

    [Fact]
    public async Task ASummaryHeaderWithoutItsRowIsTruncated()
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Bill(PaidRow, SummaryHeader)));
    }

    [Fact]
    public async Task AHeaderWithoutTheColumnsWeReadIsRefused()
    {
        string header = Header.Replace(",申请退款金额", "", StringComparison.Ordinal);

        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(string.Join('\n', header, SummaryHeader, OneRowSummary)));
    }

    [Fact]
    public async Task ARowWithTooFewFieldsIsRefused()
    {
        string row = PaidRow[..PaidRow.LastIndexOf(",`", StringComparison.Ordinal)];

        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Bill(row, SummaryHeader, OneRowSummary)));
    }

    [Fact]
    public async Task AnUnknownCurrencyIsRefused()
    {
        string row = PaidRow.Replace("`CNY,", "`XYZ,", StringComparison.Ordinal);

        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Bill(row, SummaryHeader, OneRowSummary)));
    }

    [Fact]
    public async Task LinesAreYieldedWhileTheRestOfTheBillHasNotArrived()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(Header + "\n" + PaidRow + "\n"));
        await pipe.Writer.FlushAsync();

        await using var lines = Channel.ParseStatementAsync(pipe.Reader.AsStream(), CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await lines.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("pay_01JD7K3M", lines.Current.Id);

        var next = lines.MoveNextAsync().AsTask();
        Assert.False(next.IsCompleted, "the parser cannot have a second line before it is written");
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(RefundRow + "\n" + SummaryHeader + "\n" + "`2,`19.99,`5.00,`0.00,`0.09000,`19.99,`5.00\n"));
        await pipe.Writer.CompleteAsync();

        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("ref_01JD8A1B", lines.Current.Id);
        Assert.False(await lines.MoveNextAsync());
    }

    private const string OneRowSummary = "`1,`19.99,`0.00,`0.00,`0.12000,`19.99,`0.00";

    public static string Bill(params string[] lines) => string.Join('\n', [Header, .. lines]) + "\n";

    private static Money Cny(long fen) => new(fen, Currency.CNY);

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    private static async Task<List<StatementLine>> ParseAsync(string bill) =>
        await Channel.ParseStatementAsync(Utf8(bill), CancellationToken.None).ToListAsync();
}
