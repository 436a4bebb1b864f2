using System.Globalization;
using System.Text;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.WeChatPay;

/// <summary>One payment of an order as the trade bill lists it: the order's own, or a duplicate.</summary>
internal sealed record BillPayment(string TransactionId, DateTimeOffset SuccessTime);

internal sealed record BillRefund(
    string TransactionId, string OutRefundNo, string RefundId, int Amount, RefundStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? SucceededAt);

/// <summary>What the trade bill needs of an order, read under the order's lock.</summary>
internal sealed record OrderBill(string OutTradeNo, OrderTerms Terms, IReadOnlyList<BillPayment> Payments, IReadOnlyList<BillRefund> Refunds);

/// <summary>
/// WeChat Pay's trade bill (交易账单, <c>bill_type=ALL</c>) built from the sandbox's orders and refunds at request time:
/// every field prefixed with a backtick, amounts in yuan, fees with five decimals, a summary block at the end.
/// </summary>
/// <remarks>
/// A payment is listed on the China-time day it was paid. A refund is listed on the day it succeeded, or while it is
/// processing (or abnormal: the money has left the merchant) on the day it was asked for; a closed refund moved no
/// money and is not listed. The fee is 0.6%, rounded half up to the fen, and a refund returns the fee on its own
/// amount. A route's <c>channelAccountId</c> is either the channel account id given at onboarding or the mchid.
/// </remarks>
internal sealed class WeChatPayStatementSource(OrderStore orders, MerchantRegistry merchants) : IStatementSource
{
    public const string Header =
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    public const string SummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

    // 0.6%, in thousandths, as the rate column shows it.
    private const long FeePerThousand = 6;
    private const string FeeRateText = "0.60%";
    private const string Digits = "0123456789";
    private const string LineBreak = "\r\n";

    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    public string Channel => Faults.FaultNames.WeChatPay;

    public string MediaType => "text/csv; charset=utf-8";

    /// <summary>The fee on an amount in fen: 0.6%, rounded half up.</summary>
    public static long FeeOn(long amount) => ((amount * FeePerThousand) + 500) / 1000;

    public static DateOnly ChinaDay(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(ChinaOffset).DateTime);

    public string? ResolveMerchant(string channelAccountId) =>
        (merchants.FindByChannelAccount(channelAccountId) ?? merchants.Find(channelAccountId))?.MchId;

    public IReadOnlyList<StatementEntry> Entries(string merchant, DateOnly date)
    {
        var entries = new List<StatementEntry>();
        foreach (var order in orders.OrdersOf(merchant))
        {
            var bill = order.ToBill();
            foreach (var payment in bill.Payments.Where(p => ChinaDay(p.SuccessTime) == date))
            {
                entries.Add(new StatementEntry(
                    bill.OutTradeNo, IsRefund: false, payment.TransactionId, null, null,
                    bill.Terms.Total, FeeOn(bill.Terms.Total), "SUCCESS", payment.SuccessTime, bill.Terms.Currency, bill.Terms.Description));
            }

            foreach (var refund in bill.Refunds)
            {
                DateTimeOffset? listedAt = refund.Status switch
                {
                    RefundStatus.Success => refund.SucceededAt,
                    RefundStatus.Processing or RefundStatus.Abnormal => refund.CreatedAt,
                    _ => null,
                };
                if (listedAt is { } time && ChinaDay(time) == date)
                {
                    entries.Add(new StatementEntry(
                        refund.OutRefundNo, IsRefund: true, refund.RefundId, bill.OutTradeNo, refund.TransactionId,
                        refund.Amount, -FeeOn(refund.Amount), Refund.StatusName(refund.Status), time, bill.Terms.Currency, bill.Terms.Description));
                }
            }
        }

        return entries;
    }

    public StatementEntry Invent(string merchant, DateOnly date, string transactionId, long amount)
    {
        var noon = new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), ChinaOffset);
        string channelId = "4200" + System.Security.Cryptography.RandomNumberGenerator.GetString(Digits, 6)
            + date.ToString("yyyyMMdd", CultureInfo.InvariantCulture)
            + System.Security.Cryptography.RandomNumberGenerator.GetString(Digits, 10);
        return new StatementEntry(transactionId, IsRefund: false, channelId, null, null, amount, FeeOn(amount), "SUCCESS", noon, "CNY", "statement mutation");
    }

    public byte[] Render(string merchant, IReadOnlyList<StatementEntry> entries)
    {
        var text = new StringBuilder(Header.Length + (entries.Count * 320));
        text.Append(Header).Append(LineBreak);
        long settlement = 0;
        long refunded = 0;
        long fees = 0;
        long ordered = 0;
        long requested = 0;
        foreach (var entry in entries)
        {
            long settled = entry.IsRefund ? 0 : entry.Amount;
            long refund = entry.IsRefund ? entry.Amount : 0;
            settlement += settled;
            refunded += refund;
            fees += entry.Fee;
            ordered += settled;
            requested += refund;
            Row(
                text,
                entry.Time.ToOffset(ChinaOffset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                "",
                merchant,
                "0",
                "",
                entry.IsRefund ? entry.PaymentChannelTransactionId! : entry.ChannelTransactionId,
                entry.IsRefund ? entry.PaymentId! : entry.TransactionId,
                "",
                "NATIVE",
                entry.IsRefund ? "REFUND" : entry.Status,
                "OTHERS",
                entry.Currency,
                Yuan(settled),
                Yuan(0),
                entry.IsRefund ? entry.ChannelTransactionId : "0",
                entry.IsRefund ? entry.TransactionId : "0",
                Yuan(refund),
                Yuan(0),
                entry.IsRefund ? "ORIGINAL" : "",
                entry.IsRefund ? entry.Status : "",
                entry.Subject,
                "",
                Fee(entry.Fee),
                FeeRateText,
                Yuan(settled),
                Yuan(refund),
                "");
        }

        text.Append(SummaryHeader).Append(LineBreak);
        Row(text, entries.Count.ToString(CultureInfo.InvariantCulture), Yuan(settlement), Yuan(refunded), Yuan(0), Fee(fees), Yuan(ordered), Yuan(requested));
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static void Row(StringBuilder text, params string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            text.Append(i == 0 ? "`" : ",`").Append(fields[i]);
        }

        text.Append(LineBreak);
    }

    private static string Yuan(long fen) => (fen / 100m).ToString("F2", CultureInfo.InvariantCulture);

    private static string Fee(long fen) => (fen / 100m).ToString("F5", CultureInfo.InvariantCulture);
}
