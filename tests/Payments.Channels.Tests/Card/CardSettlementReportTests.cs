using System.Text;
using Payments.Channels.Card;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.Card;

public sealed class CardSettlementReportTests
{
    private const string Report = CardSettlementReport.Header + "\n"
        + "TestMerchant,pay_01,PSPA,,Settled,2026-11-24T10:01:02Z,EUR,19.99,0.30\n"
        + "TestMerchant,rf_1,RFD1,pay_01,Refunded,2026-11-24T11:00:00Z,EUR,3.00,0.00\n"
        + "Total Records,2\n";

    private static async Task<List<StatementLine>> ParseAsync(string text)
    {
        var lines = new List<StatementLine>();
        await foreach (var line in CardSettlementReport.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None))
        {
            lines.Add(line);
        }

        return lines;
    }

    [Fact]
    public async Task SettledAndRefundedRecordsBecomePaymentAndRefundLines()
    {
        var lines = await ParseAsync(Report);
        Assert.Equal(2, lines.Count);
        Assert.Equal(("pay_01", "PSPA", TransactionKind.Payment, 1999L, 30L, TransactionStatus.Succeeded), (lines[0].Id, lines[0].ChannelTransactionId, lines[0].Kind, lines[0].Amount.MinorUnits, lines[0].Fee!.Value.MinorUnits, lines[0].Status));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 1, 2, TimeSpan.Zero), lines[0].Time);
        Assert.Equal(("rf_1", TransactionKind.Refund, 300L, "pay_01"), (lines[1].Id, lines[1].Kind, lines[1].Amount.MinorUnits, lines[1].PaymentId));
    }

    [Theory]
    [InlineData("TestMerchant,pay_01,PSPA,,Settled,2026-11-24T10:01:02Z,EUR,19.99,0.30\nTotal Records,1\n")]
    [InlineData(Report + "extra\n")]
    public async Task AReportWithoutItsHeaderOrWithTextAfterTheTrailerIsRefused(string text) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(text));

    [Fact]
    public async Task ATruncatedReportOrAWrongCountIsRefused()
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Report[..Report.IndexOf("Total", StringComparison.Ordinal)]));
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Report.Replace("Total Records,2", "Total Records,3", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("Settled,2026-11-24,EUR")]
    [InlineData("Settled,2026-11-24T10:01:02Z,EURO")]
    public async Task AMalformedRecordIsRefused(string replacement) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => ParseAsync(Report.Replace("Settled,2026-11-24T10:01:02Z,EUR", replacement, StringComparison.Ordinal)));

    [Fact]
    public async Task ARecordTypeTheMappingDoesNotKnowIsAnUnrecognizedLineOfItsKind()
    {
        var lines = await ParseAsync(Report.Replace(",Settled,", ",Chargeback,", StringComparison.Ordinal).Replace(",Refunded,", ",CLOSED,", StringComparison.Ordinal));

        Assert.Equal(
            [("pay_01", TransactionKind.Payment, "Chargeback", TransactionStatus.Unrecognized, (string?)null), ("rf_1", TransactionKind.Refund, "CLOSED", TransactionStatus.Unrecognized, "pay_01")],
            lines.Select(l => (l.Id, l.Kind, l.ChannelStatus, l.Status, l.PaymentId)));
    }

    [Fact]
    public async Task ARefundReturnsItsFeeAsANegativeAmount()
    {
        var lines = await ParseAsync(Report.Replace("3.00,0.00", "3.00,-0.05", StringComparison.Ordinal));

        Assert.Equal(-5L, lines[1].Fee!.Value.MinorUnits);
    }
}
