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
        var credit = Assert.Single(lines, l => l.Kind == TransactionKind.Payment);
        Assert.Equal(("pay_01", "COL01", TransactionKind.Payment, 12345L, "CNY", TransactionStatus.Succeeded), (credit.Id, credit.ChannelTransactionId, credit.Kind, credit.Amount.MinorUnits, credit.Amount.Currency.Code, credit.Status));
        Assert.Equal(74L, credit.Fee!.Value.MinorUnits);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero), credit.Time);
        Assert.Null(credit.FoldedAmounts);
        var refund = Assert.Single(lines, l => l.Kind == TransactionKind.Refund);
        Assert.Equal(("re_01", "RTN01", TransactionKind.Refund, 2000L, -12L, "pay_01"), (refund.Id, refund.ChannelTransactionId, refund.Kind, refund.Amount.MinorUnits, refund.Fee!.Value.MinorUnits, refund.PaymentId));
    }

    [Fact]
    public async Task TheCreditsOfOneReferenceFoldIntoOnePaymentLineOfWhatArrivedWithTheFeeChargedOnEach()
    {
        var lines = await ParseAsync(TransferStatement.Header + "\n"
            + "2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,250,2\n"
            + "2026-11-24T02:10:00Z,CREDIT,CR02,COL02,pay_02,,CNY,5000,30\n"
            + "2026-11-24T03:00:00Z,CREDIT,CR03,COL01,pay_01,,CNY,1000,6\n"
            + "2026-11-24T03:00:05Z,RETURN,RTN01,COL01,pay_01,ref_01,CNY,250,-2\n"
            + "2026-11-24T01:00:00Z,CREDIT,CR04,COL01,pay_01,,CNY,100,1\n"
            + "Total Entries,5\n");

        var payments = lines.Where(l => l.Kind == TransactionKind.Payment).ToDictionary(l => l.Id);
        Assert.Equal(["pay_01", "pay_02"], payments.Keys.Order());
        var folded = payments["pay_01"];
        Assert.Equal(("COL01", 1350L, 9L, TransactionStatus.Succeeded, "CREDIT"), (folded.ChannelTransactionId, folded.Amount.MinorUnits, folded.Fee!.Value.MinorUnits, folded.Status, folded.ChannelStatus));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 3, 0, 0, TimeSpan.Zero), folded.Time);
        Assert.Equal([250L, 1000L, 100L], folded.FoldedAmounts!.Select(a => a.MinorUnits));
        Assert.Equal((5000L, 30L), (payments["pay_02"].Amount.MinorUnits, payments["pay_02"].Fee!.Value.MinorUnits));
        Assert.Null(payments["pay_02"].FoldedAmounts);
        var refund = Assert.Single(lines, l => l.Kind == TransactionKind.Refund);
        Assert.Equal(("ref_01", 250L, "pay_01"), (refund.Id, refund.Amount.MinorUnits, refund.PaymentId));
    }

    [Fact]
    public async Task AnUnknownEntryTypeIsNeverFoldedIntoTheCreditsOfItsReference()
    {
        var lines = await ParseAsync(TransferStatement.Header + "\n"
            + "2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,300,2\n"
            + "2026-11-24T02:30:00Z,REVERSAL,CR02,COL01,pay_01,,CNY,300,0\n"
            + "2026-11-24T03:00:00Z,CREDIT,CR03,COL01,pay_01,,CNY,700,4\n"
            + "Total Entries,3\n");

        Assert.Equal(
            new[] { (TransactionStatus.Succeeded, 1000L), (TransactionStatus.Unrecognized, 300L) }.Order(),
            lines.Select(l => (l.Status, l.Amount.MinorUnits)).Order());
    }

    [Fact]
    public async Task CreditsThatOverflowAnAmountMakeTheStatementMalformed() =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(TransferStatement.Header + "\n"
            + $"2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,{long.MaxValue},0\n"
            + "2026-11-24T03:00:00Z,CREDIT,CR02,COL01,pay_01,,CNY,1,0\n"
            + "Total Entries,2\n"));

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
