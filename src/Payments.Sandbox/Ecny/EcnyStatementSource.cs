using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.Ecny;

/// <summary>
/// The daily statement built from the sandbox's orders at request time: UTF-8 CSV, a header row, one <c>PAY</c>
/// row per order paid that Beijing day and one <c>REFUND</c> row per refund made that day, times in Beijing time,
/// amounts and fees in fen, and the trailer <c>TOTAL,records,payment fen,refund fen</c>. The fee is
/// <c>Sandbox:Ecny:FeeRatePpm</c> parts per million rounded half up (default 0: e-CNY acceptance is commonly free to
/// merchants); a refund returns the fee on its own amount. A route's <c>channelAccountId</c> is the one given at
/// onboarding, or the merchant number.
/// </summary>
internal sealed class EcnyStatementSource(EcnyStore store, IConfiguration configuration) : IStatementSource
{
    public const string Header = "recordType,tradeTime,merchantNo,outTradeNo,orderNo,outRefundNo,refundNo,status,amount,fee";

    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    private readonly long _feeRatePpm = long.TryParse(configuration["Sandbox:Ecny:FeeRatePpm"] ?? "0", NumberStyles.None, CultureInfo.InvariantCulture, out long ppm) && ppm <= 1_000_000
        ? ppm
        : throw new InvalidOperationException("Sandbox:Ecny:FeeRatePpm must be a whole number of parts per million.");

    private long FeeOn(long fen) => ((fen * _feeRatePpm) + 500_000) / 1_000_000;

    public string Channel => Faults.FaultNames.Ecny;

    public string MediaType => "text/csv; charset=utf-8";

    public string? ResolveMerchant(string channelAccountId) =>
        (store.MerchantOfChannelAccount(channelAccountId) ?? store.Merchant(channelAccountId))?.MerchantNo;

    public IReadOnlyList<StatementEntry> Entries(string merchant, DateOnly date)
    {
        var entries = new List<StatementEntry>();
        foreach (var order in store.Orders(merchant))
        {
            lock (order.Gate)
            {
                if (order.PaidAt is { } paidAt && EcnyTime.BeijingDay(paidAt) == date)
                {
                    entries.Add(new StatementEntry(order.OutTradeNo, IsRefund: false, order.OrderNo, null, null, order.Amount, FeeOn(order.Amount), "SUCCESS", paidAt, "CNY", order.Subject));
                }

                for (int i = 0; i < order.Refunds.Count; i++)
                {
                    var refund = order.Refunds[i];
                    if (EcnyTime.BeijingDay(order.RefundTimes[i]) == date)
                    {
                        entries.Add(new StatementEntry(
                            refund.OutRefundNo, IsRefund: true, refund.RefundNo, order.OutTradeNo, order.OrderNo, refund.RefundAmount, -FeeOn(refund.RefundAmount), refund.Status, order.RefundTimes[i], "CNY", order.Subject));
                    }
                }
            }
        }

        return entries;
    }

    public StatementEntry Invent(string merchant, DateOnly date, string transactionId, long amount)
    {
        var noon = new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), Beijing);
        string orderNo = "EC" + date.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + RandomNumberGenerator.GetString("0123456789", 18);
        return new StatementEntry(transactionId, IsRefund: false, orderNo, null, null, amount, FeeOn(amount), "SUCCESS", noon, "CNY", "statement mutation");
    }

    public byte[] Render(string merchant, IReadOnlyList<StatementEntry> entries)
    {
        var text = new StringBuilder(Header).Append('\n');
        long payments = 0, refunds = 0;
        foreach (var entry in entries.OrderBy(e => e.Time))
        {
            string time = entry.Time.ToOffset(Beijing).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            if (entry.IsRefund)
            {
                refunds += entry.Amount;
                text.Append(CultureInfo.InvariantCulture, $"REFUND,{time},{merchant},{entry.PaymentId},{entry.PaymentChannelTransactionId},{entry.TransactionId},{entry.ChannelTransactionId},{entry.Status},{entry.Amount},{entry.Fee}\n");
            }
            else
            {
                payments += entry.Amount;
                text.Append(CultureInfo.InvariantCulture, $"PAY,{time},{merchant},{entry.TransactionId},{entry.ChannelTransactionId},,,{entry.Status},{entry.Amount},{entry.Fee}\n");
            }
        }

        text.Append(CultureInfo.InvariantCulture, $"TOTAL,{entries.Count},{payments},{refunds}\n");
        return Encoding.UTF8.GetBytes(text.ToString());
    }
}
