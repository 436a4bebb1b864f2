using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// Alipay's business detail file (业务明细, bill_type=trade) built from the sandbox's trades at request time: GBK,
/// comment lines, a header row, one row per payment (业务类型 交易) on the Beijing day it was paid and per refund (退款)
/// on the day it was made, each field padded with a tab, then the totals. Refund rows carry the out_request_no and
/// negative amounts. The service fee is 0.6% rounded half up, negative when charged, returned (positive) on refunds.
/// A route's <c>channelAccountId</c> is the one given at onboarding, or the app id.
/// </summary>
internal sealed class AlipayStatementSource(AlipayTradeStore trades, AlipayAppRegistry apps) : IStatementSource
{
    public const string Trade = "交易";
    public const string Refund = "退款";

    public const string DetailStart = "#-----------------------------------------业务明细列表----------------------------------------";
    public const string DetailEnd = "#-----------------------------------------业务明细列表结束------------------------------------";

    public const string Header =
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

    private const long FeePerThousand = 6;
    private const string LineBreak = "\r\n";
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    /// <summary>GBK (code page 936): Alipay's bills and the names in their zip.</summary>
    public static Encoding Gbk { get; } = CreateGbk();

    public string Channel => Faults.FaultNames.Alipay;

    public string MediaType => "text/csv; charset=GBK";

    public static long FeeOn(long fen) => ((fen * FeePerThousand) + 500) / 1000;

    public static DateOnly BeijingDay(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(Beijing).DateTime);

    public string? ResolveMerchant(string channelAccountId) =>
        (apps.FindByChannelAccount(channelAccountId) ?? apps.Find(channelAccountId))?.AppId;

    public IReadOnlyList<StatementEntry> Entries(string merchant, DateOnly date)
    {
        var entries = new List<StatementEntry>();
        foreach (var bill in trades.TradesOf(merchant).Select(t => t.ToBill()))
        {
            if (bill.PaidAt is { } paidAt && BeijingDay(paidAt) == date)
            {
                entries.Add(new StatementEntry(
                    bill.OutTradeNo, IsRefund: false, bill.TradeNo!, null, null, bill.TotalFen, FeeOn(bill.TotalFen), Trade, paidAt, "CNY", bill.Subject));
            }

            foreach (var refund in bill.Refunds.Where(r => BeijingDay(r.RefundedAt) == date))
            {
                entries.Add(new StatementEntry(
                    refund.OutRequestNo, IsRefund: true, bill.TradeNo!, bill.OutTradeNo, bill.TradeNo, refund.AmountFen, -FeeOn(refund.AmountFen), Refund, refund.RefundedAt, "CNY", bill.Subject));
            }
        }

        return entries;
    }

    public StatementEntry Invent(string merchant, DateOnly date, string transactionId, long amount)
    {
        var noon = new DateTimeOffset(date.ToDateTime(new TimeOnly(12, 0)), Beijing);
        string tradeNo = date.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "2200" + RandomNumberGenerator.GetString("0123456789", 16);
        return new StatementEntry(transactionId, IsRefund: false, tradeNo, null, null, amount, FeeOn(amount), Trade, noon, "CNY", "statement mutation");
    }

    public byte[] Render(string merchant, IReadOnlyList<StatementEntry> entries) =>
        Gbk.GetBytes(Detail(merchant, entries, entries.Count > 0 ? BeijingDay(entries[0].Time) : BeijingDay(DateTimeOffset.UtcNow)));

    /// <summary>The zip Alipay serves: the detail and its summary, both GBK, named in GBK without the UTF-8 flag.</summary>
    public byte[] Zip(string merchant, DateOnly date, IReadOnlyList<StatementEntry> entries)
    {
        string prefix = $"2088{merchant.PadLeft(12, '0')[^12..]}0156_{date:yyyyMMdd}";
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Gbk))
        {
            Write(zip, prefix + "_业务明细.csv", Detail(merchant, entries, date));
            Write(zip, prefix + "_业务明细(汇总).csv", Summary(merchant, entries, date));
        }

        return buffer.ToArray();
    }

    private static void Write(ZipArchive zip, string name, string text)
    {
        using var entry = zip.CreateEntry(name).Open();
        entry.Write(Gbk.GetBytes(text));
    }

    private static string Detail(string merchant, IReadOnlyList<StatementEntry> entries, DateOnly date)
    {
        var text = new StringBuilder();
        text.Append("#支付宝业务明细查询").Append(LineBreak);
        text.Append("#账号：[").Append(merchant).Append(']').Append(LineBreak);
        text.Append(CultureInfo.InvariantCulture, $"#起始日期：[{date:yyyy年MM月dd日} 00:00:00]   终止日期：[{date.AddDays(1):yyyy年MM月dd日} 00:00:00]").Append(LineBreak);
        text.Append(DetailStart).Append(LineBreak);
        text.Append(Header).Append(LineBreak);
        long tradeCount = 0, tradeReceived = 0, refundCount = 0, refundReceived = 0;
        foreach (var entry in entries.OrderBy(e => e.Time))
        {
            long signed = entry.IsRefund ? -entry.Amount : entry.Amount;
            if (entry.IsRefund)
            {
                refundCount++;
                refundReceived += signed;
            }
            else
            {
                tradeCount++;
                tradeReceived += signed;
            }

            string time = entry.Time.ToOffset(Beijing).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            Row(
                text,
                entry.ChannelTransactionId,
                entry.IsRefund ? entry.PaymentId! : entry.TransactionId,
                entry.Status,
                entry.Subject,
                time,
                time,
                "",
                "",
                "",
                "",
                "159****5620",
                Yuan(signed),
                Yuan(signed),
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                "",
                "0.00",
                "0.00",
                entry.IsRefund ? entry.TransactionId : "",
                Yuan(-entry.Fee),
                "0.00",
                "");
        }

        text.Append(DetailEnd).Append(LineBreak);
        text.Append(CultureInfo.InvariantCulture, $"#交易合计：{tradeCount}笔，商家实收共{Yuan(tradeReceived)}元，商家优惠共0.00元").Append(LineBreak);
        text.Append(CultureInfo.InvariantCulture, $"#退款合计：{refundCount}笔，商家实收退款共{Yuan(refundReceived)}元，商家优惠退款共0.00元").Append(LineBreak);
        text.Append(CultureInfo.InvariantCulture, $"#导出时间：[{DateTimeOffset.UtcNow.ToOffset(Beijing):yyyy年MM月dd日 HH:mm:ss}]").Append(LineBreak);
        return text.ToString();
    }

    private static string Summary(string merchant, IReadOnlyList<StatementEntry> entries, DateOnly date)
    {
        long trades = entries.Count(e => !e.IsRefund);
        long refunds = entries.Count(e => e.IsRefund);
        long received = entries.Sum(e => e.IsRefund ? -e.Amount : e.Amount);
        long fees = entries.Sum(e => -e.Fee);
        var text = new StringBuilder();
        text.Append("#支付宝业务汇总查询").Append(LineBreak);
        text.Append("#账号：[").Append(merchant).Append(']').Append(LineBreak);
        text.Append(CultureInfo.InvariantCulture, $"#起始日期：[{date:yyyy年MM月dd日} 00:00:00]   终止日期：[{date.AddDays(1):yyyy年MM月dd日} 00:00:00]").Append(LineBreak);
        text.Append("#-----------------------------------------业务汇总列表----------------------------------------").Append(LineBreak);
        text.Append("门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,服务费（元）,实收净额（元）").Append(LineBreak);
        text.Append(CultureInfo.InvariantCulture, $"合计,,{trades},{refunds},{Yuan(received)},{Yuan(received)},{Yuan(fees)},{Yuan(received + fees)}").Append(LineBreak);
        text.Append("#-----------------------------------------业务汇总列表结束-----------------------------------").Append(LineBreak);
        return text.ToString();
    }

    /// <summary>Alipay pads each field with a tab so spreadsheets keep long numbers as text; a field with a comma is quoted.</summary>
    private static void Row(StringBuilder text, params string[] fields)
    {
        for (int i = 0; i < fields.Length; i++)
        {
            string field = fields[i].Contains(',', StringComparison.Ordinal) || fields[i].Contains('"', StringComparison.Ordinal)
                ? "\"" + fields[i].Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
                : fields[i];
            text.Append(i == 0 ? "" : ",").Append(field).Append('\t');
        }

        text.Append(LineBreak);
    }

    private static Encoding CreateGbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936);
    }

    private static string Yuan(long fen) => (fen < 0 ? "-" : "") + AlipaySignatures.Yuan(Math.Abs(fen));
}

/// <summary>Bill zips handed out by the bill query, kept for their download. Like Alipay's, a link is good for 30 seconds.</summary>
internal sealed class AlipayBillDownloads(TimeProvider time)
{
    private static readonly TimeSpan Validity = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (byte[] Zip, DateTimeOffset Expires)> _files = new(StringComparer.Ordinal);

    public string Add(byte[] zip)
    {
        var now = time.GetUtcNow();
        foreach (var (token, file) in _files)
        {
            if (file.Expires <= now)
            {
                _files.TryRemove(token, out _);
            }
        }

        string newToken = RandomNumberGenerator.GetHexString(48, lowercase: true);
        _files[newToken] = (zip, now + Validity);
        return newToken;
    }

    public byte[]? Find(string token) =>
        _files.TryGetValue(token, out var file) && file.Expires > time.GetUtcNow() ? file.Zip : null;
}
