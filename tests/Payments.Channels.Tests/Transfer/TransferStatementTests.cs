using System.Text;
using Payments.Channels.Transfer;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.Transfer;

public sealed class TransferStatementTests
{
    private static Task<List<StatementLine>> ParseAsync(string text) =>
        TransferStatement.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None).ToListAsync().AsTask();

    [Fact]
    public async Task CreditsArePaymentLinesAndReturnsAreRefundLinesOfTheirPayment()
    {
        var lines = await ParseAsync(TransferStatement.Header + "\n"
            + "2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,12345,74\n"
            + "2026-11-24T03:00:00Z,RETURN,RTN01,COL01,pay_01,re_01,CNY,2000,-12\n"
            + "Total Entries,2\n");

        Assert.Equal(2, lines.Count);
        var credit = lines[0];
        Assert.Equal(("pay_01", "COL01", TransactionKind.Payment, 12345L, "CNY", TransactionStatus.Succeeded), (credit.Id, credit.ChannelTransactionId, credit.Kind, credit.Amount.MinorUnits, credit.Amount.Currency.Code, credit.Status));
        Assert.Equal(74L, credit.Fee!.Value.MinorUnits);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero), credit.Time);
        var refund = lines[1];
        Assert.Equal(("re_01", "RTN01", TransactionKind.Refund, 2000L, -12L, "pay_01"), (refund.Id, refund.ChannelTransactionId, refund.Kind, refund.Amount.MinorUnits, refund.Fee!.Value.MinorUnits, refund.PaymentId));
    }

    [Fact]
    public async Task AnEntryTypeTheMappingDoesNotKnowSurfacesAsUnrecognized()
    {
        var line = Assert.Single(await ParseAsync(TransferStatement.Header + "\n2026-11-24T02:00:00Z,REVERSAL,CR01,COL01,pay_01,,CNY,100,0\nTotal Entries,1\n"));
        Assert.Equal((TransactionStatus.Unrecognized, "REVERSAL", TransactionKind.Payment), (line.Status, line.ChannelStatus, line.Kind));
    }

    [Theory]
    [InlineData("Value Time,Type\nTotal Entries,0\n")]
    [InlineData(TransferStatement.Header + "\n2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,12345,0\n")]
    [InlineData(TransferStatement.Header + "\n2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,12345,0\nTotal Entries,2\n")]
    [InlineData(TransferStatement.Header + "\n2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,123.45,0\nTotal Entries,1\n")]
    [InlineData(TransferStatement.Header + "\n2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,12345,0.5\nTotal Entries,1\n")]
    [InlineData(TransferStatement.Header + "\n2026-11-24 02:00,CREDIT,CR01,COL01,pay_01,,CNY,12345,0\nTotal Entries,1\n")]
    [InlineData(TransferStatement.Header + "\n2026-11-24T02:00:00Z,CREDIT,CR01,COL01,,,CNY,12345,0\nTotal Entries,1\n")]
    [InlineData(TransferStatement.Header + "\n2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,CNY,12345,0\nTotal Entries,1\n")]
    [InlineData(TransferStatement.Header + "\nTotal Entries,0\nmore\n")]
    public async Task AMalformedOrTruncatedStatementThrows(string text) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(text));
}
