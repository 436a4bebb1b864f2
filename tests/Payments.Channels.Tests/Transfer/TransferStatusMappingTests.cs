using Payments.Channels.Transfer;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Transfer;

/// <summary>The collection in our terms, read through the query flow (the mapping's only caller besides notifications).</summary>
public sealed class TransferStatusMappingTests : IAsyncLifetime
{
    private FakeTransferBank _bank = null!;
    private TransferChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _bank = await FakeTransferBank.StartAsync();
        _channel = new TransferChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(30) });
    }

    public async Task DisposeAsync() => await _bank.DisposeAsync();

    private async Task<ChannelPaymentState> QueryAsync(string collection)
    {
        _bank.Respond = _ => new BankAnswer(200, collection);
        return Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(TransferTestData.Account(_bank.Endpoint), "pay_01", CancellationToken.None)).Value;
    }

    private static Money Fen(long fen) => new(fen, Currency.CNY);

    [Fact]
    public async Task AnOpenReferenceWithNothingCreditedIsPendingWithoutAnAmount()
    {
        var state = await QueryAsync(TransferTestData.Collection("OPEN"));
        Assert.Equal((ChannelPaymentStatus.Pending, (Money?)null, true, "COL01"), (state.Status, state.PaidAmount, state.PayerSetsAmount, state.ChannelTransactionId));
    }

    [Fact]
    public async Task APartlyPaidReferenceIsPendingWithTheCumulativeCredit()
    {
        var state = await QueryAsync(TransferTestData.Collection("PARTIALLY_PAID", credits: [2000, 3000]));
        Assert.Equal((ChannelPaymentStatus.Pending, (Money?)Fen(5000), true, "COL01"), (state.Status, state.PaidAmount, state.PayerSetsAmount, state.ChannelTransactionId));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 2, 0, TimeSpan.Zero), state.PaidAt);
    }

    [Fact]
    public async Task APaidReferenceSucceedsWithEverythingCreditedEvenMoreThanDue()
    {
        var exact = await QueryAsync(TransferTestData.Collection("PAID", credits: [12345]));
        Assert.Equal((ChannelPaymentStatus.Succeeded, (Money?)Fen(12345), true), (exact.Status, exact.PaidAmount, exact.PayerSetsAmount));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 9, 0, TimeSpan.Zero), exact.PaidAt);

        var over = await QueryAsync(TransferTestData.Collection("PAID", credits: [10000, 5000]));
        Assert.Equal((ChannelPaymentStatus.Succeeded, (Money?)Fen(15000), "COL01"), (over.Status, over.PaidAmount, over.ChannelTransactionId));
    }

    [Theory]
    [InlineData("CLOSED")]
    [InlineData("EXPIRED")]
    public async Task AClosedOrExpiredReferenceIsClosedHoldingWhatArrived(string status)
    {
        var empty = await QueryAsync(TransferTestData.Collection(status));
        Assert.Equal((ChannelPaymentStatus.Closed, (Money?)null), (empty.Status, empty.PaidAmount));

        var holding = await QueryAsync(TransferTestData.Collection(status, credits: [4000]));
        Assert.Equal((ChannelPaymentStatus.Closed, (Money?)Fen(4000), true, "COL01"), (holding.Status, holding.PaidAmount, holding.PayerSetsAmount, holding.ChannelTransactionId));
    }

    [Fact]
    public async Task AStatusWordTheMappingDoesNotKnowIsNoAnswer()
    {
        _bank.Respond = _ => new BankAnswer(200, TransferTestData.Collection("SUSPENDED"));
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(TransferTestData.Account(_bank.Endpoint), "pay_01", CancellationToken.None));
    }

    [Fact]
    public void RefundAndStatementWordsMapAndUnknownOnesDoNot()
    {
        Assert.Equal(ChannelRefundStatus.Processing, TransferStatusMapping.ToRefundStatus("PROCESSING"));
        Assert.Equal(ChannelRefundStatus.Succeeded, TransferStatusMapping.ToRefundStatus("SUCCEEDED"));
        Assert.Equal(ChannelRefundStatus.Failed, TransferStatusMapping.ToRefundStatus("FAILED"));
        Assert.Null(TransferStatusMapping.ToRefundStatus("succeeded"));
        Assert.Equal(Core.Reconciliation.TransactionKind.Payment, TransferStatusMapping.ToKind("CREDIT"));
        Assert.Equal(Core.Reconciliation.TransactionKind.Refund, TransferStatusMapping.ToKind("RETURN"));
        Assert.Null(TransferStatusMapping.ToKind("FEE"));
    }
}
