using System.Text;
using Payments.Channels.UnionPay;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Tests.UnionPay;

public sealed class UnionPayTradeBillTests
{
    private static async Task<int> CountAsync(string text)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return (await UnionPayTradeBill.ParseAsync(stream, CancellationToken.None).ToListAsync()).Count;
    }

    private const string Line = "777290058110048,01,ORDER20261124,612411241001020000001,,,20261124100130,156,1999,11\n";

    [Fact]
    public async Task AnOrderIdWeDidNotMakeIsKeptAsTheLineId()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(UnionPayTradeBill.Header + "\n" + Line + "TOTAL,1\n"));
        var line = Assert.Single(await UnionPayTradeBill.ParseAsync(stream, CancellationToken.None).ToListAsync());
        Assert.Equal("ORDER20261124", line.Id);
    }

    [Theory]
    [InlineData("TOTAL,2\n")]
    [InlineData("")]
    [InlineData("TOTAL,1\nextra\n")]
    public async Task ATruncatedOrMiscountedFileThrows(string tail) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => CountAsync(UnionPayTradeBill.Header + "\n" + Line + tail));

    [Theory]
    [InlineData("777290058110048,01,ORDER20261124,612411241001020000001,,,20261124100130,840,1999,11\n")]
    [InlineData("777290058110048,01,ORDER20261124,612411241001020000001,,,20261124100130,156,19.99,11\n")]
    [InlineData("777290058110048,01,ORDER20261124,612411241001020000001,,,2026-11-24,156,1999,11\n")]
    public async Task ARecordThatIsNotFenOf156OrWithoutAValidTimeThrows(string record) =>
        await Assert.ThrowsAsync<InvalidDataException>(() => CountAsync(UnionPayTradeBill.Header + "\n" + record + "TOTAL,1\n"));

    [Fact]
    public async Task ARecordOfAnotherTxnTypeIsAnUnrecognizedLineNamingItsConsumeInsteadOfFailingTheFile()
    {
        const string undo = "777290058110048,31,UNDO20261124,612411241001020000002,ORDER20261124,612411241001020000001,20261124100530,156,1999,-11\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(UnionPayTradeBill.Header + "\n" + Line + undo + "TOTAL,2\n"));

        var lines = await UnionPayTradeBill.ParseAsync(stream, CancellationToken.None).ToListAsync();

        Assert.Equal(TransactionStatus.Succeeded, lines[0].Status);
        Assert.Equal(("UNDO20261124", TransactionKind.Refund, TransactionStatus.Unrecognized, "31", "ORDER20261124"), (lines[1].Id, lines[1].Kind, lines[1].Status, lines[1].ChannelStatus, lines[1].PaymentId));
    }

    [Fact]
    public async Task AnotherHeaderThrows() =>
        await Assert.ThrowsAsync<InvalidDataException>(() => CountAsync("merId,orderId\nTOTAL,0\n"));
}
