using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.UnionPay;

/// <summary>
/// The daily settlement file, built from the sandbox's orders at request time: UTF-8 CSV with the header
/// <see cref="Header"/>, one record per consume paid that Beijing day (txnType 01) and per refund made that day
/// (04, naming its consume), amounts in fen, the fee <c>Sandbox:UnionPay:FeeRatePpm</c> parts per million rounded
/// half up (default 5500, 0.55%; negative, returned, on refunds), then <c>TOTAL,N</c>. Lines name transactions by
/// <c>orderId</c>; a route's <c>channelAccountId</c> is the one given at onboarding, or the merId. A line's status is
/// its txnType, so a <c>status</c> mutation shows as a record of a type other than 01 or 04.
/// </summary>
internal sealed class UnionPayStatementSource(UnionPayStore store, IConfiguration configuration) : IStatementSource
{
    public const string Header = "merId,txnType,orderId,queryId,origOrderId,origQryId,completeTime,currencyCode,txnAmt,fee";

    public string Channel => Faults.FaultNames.UnionPay;

    public string MediaType => "text/csv; charset=utf-8";

    private const long Million = 1_000_000;

    private readonly long _feeRatePpm = configuration["Sandbox:UnionPay:FeeRatePpm"] is not { Length: > 0 } setting ? 5_500
        : long.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out long ppm) && ppm <= Million ? ppm
        : throw new InvalidOperationException($"Sandbox:UnionPay:FeeRatePpm '{setting}' must be a whole number of parts per million up to 1000000.");

    public long FeeOn(long fen) => ((fen * _feeRatePpm) + (Million / 2)) / Million;

    public string? ResolveMerchant(string channelAccountId) => (store.MerchantOfAccount(channelAccountId) ?? store.Merchant(channelAccountId))?.MerId;

    public IReadOnlyList<StatementEntry> Entries(string merchant, DateOnly date)
    {
        var entries = new List<StatementEntry>();
        foreach (var order in store.Orders(merchant))
        {
            lock (order.Gate)
            {
                if (order.PaidAt is { } paidAt && UnionPayAcp.Day(paidAt) == date)
                {
                    entries.Add(new StatementEntry(order.OrderId, IsRefund: false, order.QueryId!, null, null, order.Terms.TxnAmt, FeeOn(order.Terms.TxnAmt), "01", paidAt, "CNY", ""));
                }

                foreach (var refund in order.Refunds.Where(r => UnionPayAcp.Day(r.RefundedAt) == date))
                {
                    entries.Add(new StatementEntry(refund.OrderId, IsRefund: true, refund.QueryId, order.OrderId, order.QueryId, refund.TxnAmt, -FeeOn(refund.TxnAmt), "04", refund.RefundedAt, "CNY", ""));
                }
            }
        }

        return entries;
    }

    public StatementEntry Invent(string merchant, DateOnly date, string transactionId, long amount)
    {
        var noon = new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), TimeSpan.FromHours(8));
        return new StatementEntry(transactionId, IsRefund: false, UnionPayAcp.NewQueryId(noon), null, null, amount, FeeOn(amount), "01", noon, "CNY", "statement mutation");
    }

    public byte[] Render(string merchant, IReadOnlyList<StatementEntry> entries)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var entry in entries.OrderBy(e => e.Time))
        {
            text.Append(CultureInfo.InvariantCulture, $"{merchant},{entry.Status},{entry.TransactionId},{entry.ChannelTransactionId},{entry.PaymentId},{entry.PaymentChannelTransactionId},{UnionPayAcp.Time(entry.Time)},156,{entry.Amount},{entry.Fee}\n");
        }

        return Encoding.UTF8.GetBytes(text.Append(CultureInfo.InvariantCulture, $"TOTAL,{entries.Count}\n").ToString());
    }

    /// <summary>The file of <paramref name="settleDate"/> (MMdd): the latest such Beijing day that is not in the future.</summary>
    public static DateOnly? DayOf(string? settleDate, DateTimeOffset now)
    {
        if (settleDate is not { Length: 4 } || !settleDate.All(char.IsAsciiDigit))
        {
            return null;
        }

        var today = UnionPayAcp.Day(now);
        for (int back = 0; back <= 366; back++)
        {
            var day = today.AddDays(-back);
            if (day.ToString("MMdd", CultureInfo.InvariantCulture) == settleDate)
            {
                return day;
            }
        }

        return null;
    }

    public static string NewFileName(DateOnly day, string merId) =>
        $"INN{day:yyMMdd}88ZM_{merId}{RandomNumberGenerator.GetString("0123456789", 2)}";
}
