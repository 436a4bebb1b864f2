using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Payments.Core;
using Payments.Core.Reconciliation;

namespace Payments.Channels.Alipay;

/// <summary>
/// Alipay's business detail file (业务明细, <c>bill_type=trade</c>): GBK text, comment lines starting with
/// <c>#</c>, a header row, one row per completed payment (业务类型 交易) or refund (退款), then totals.
/// Fields are unquoted and padded with tabs; amounts are yuan with two decimals. Refund rows carry the
/// refund's out_request_no (退款批次号/请求号) and negative amounts; the service fee (服务费) is negative
/// when charged and positive when a refund returns it.
/// </summary>
public static partial class AlipayTradeBill
{
    public const string DetailStart = "#-----------------------------------------业务明细列表----------------------------------------";
    public const string DetailEnd = "#-----------------------------------------业务明细列表结束------------------------------------";

    public const string Header =
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";

    /// <summary>The business type of a payment row.</summary>
    public const string Trade = "交易";

    /// <summary>The business type of a refund row.</summary>
    public const string Refund = "退款";

    private const string TradeNoColumn = "支付宝交易号";
    private const string OutTradeNoColumn = "商户订单号";
    private const string TypeColumn = "业务类型";
    private const string CreatedColumn = "创建时间";
    private const string FinishedColumn = "完成时间";
    private const string AmountColumn = "订单金额（元）";
    private const string ReceivedColumn = "商家实收（元）";
    private const string RequestNoColumn = "退款批次号/请求号";
    private const string FeeColumn = "服务费（元）";

    private static readonly string[] RequiredColumns = [TradeNoColumn, OutTradeNoColumn, TypeColumn, FinishedColumn, AmountColumn, ReceivedColumn, RequestNoColumn, FeeColumn];

    /// <summary>GBK (code page 936), the encoding of Alipay's bill files and of the names inside their zip.</summary>
    public static Encoding Gbk { get; } = CreateGbk();

    /// <summary>
    /// Reads the file line by line, yielding each row as it goes; never holds the file. The totals at the
    /// end are checked against the rows, so a truncated or altered file throws <see cref="InvalidDataException"/>
    /// once its rows have been read.
    /// </summary>
    public static async IAsyncEnumerable<StatementLine> ParseAsync(Stream statement, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(statement, Gbk, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16, leaveOpen: true);
        string? line;
        int lineNumber = 0;

        while (true)
        {
            line = await reader.ReadLineAsync(ct);
            lineNumber++;
            if (line is null)
            {
                throw new InvalidDataException("Not an Alipay business detail file: no detail list.");
            }

            if (line.Trim() == DetailStart)
            {
                break;
            }

            if (!line.StartsWith('#') && line.Trim().Length > 0)
            {
                throw new InvalidDataException($"Line {lineNumber}: text before the detail list.");
            }
        }

        line = await reader.ReadLineAsync(ct);
        lineNumber++;
        string[] header = line is null ? [] : Split(line, lineNumber);
        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
        {
            columns.TryAdd(header[i], i);
        }

        if (RequiredColumns.FirstOrDefault(c => !columns.ContainsKey(c)) is { } missing)
        {
            throw new InvalidDataException($"Line {lineNumber}: the header has no column '{missing}'.");
        }

        int rows = 0;
        long received = 0;
        while (true)
        {
            line = await reader.ReadLineAsync(ct);
            lineNumber++;
            if (line is null)
            {
                throw new InvalidDataException("The file ends inside the detail list: truncated.");
            }

            if (line.StartsWith('#'))
            {
                if (line.Trim() != DetailEnd)
                {
                    throw new InvalidDataException($"Line {lineNumber}: a comment inside the detail list.");
                }

                break;
            }

            if (line.Trim().Length == 0)
            {
                continue;
            }

            string[] fields = Split(line, lineNumber);
            if (fields.Length != header.Length)
            {
                throw new InvalidDataException($"Line {lineNumber}: {fields.Length} fields under a header of {header.Length}.");
            }

            string Field(string column) => fields[columns[column]];
            rows++;
            received = checked(received + Fen(Field(ReceivedColumn), ReceivedColumn, lineNumber));
            yield return ToLine(Field, lineNumber);
        }

        await CheckTotalsAsync(reader, rows, received, lineNumber, ct);
    }

    /// <summary>The file of a day without a single row, as this adapter presents a bill Alipay says does not exist.</summary>
    public static byte[] Empty(DateOnly date) => Gbk.GetBytes(
        "#支付宝业务明细查询\r\n"
        + $"#起始日期：[{date:yyyy年MM月dd日} 00:00:00]   终止日期：[{date.AddDays(1):yyyy年MM月dd日} 00:00:00]\r\n"
        + DetailStart + "\r\n"
        + Header + "\r\n"
        + DetailEnd + "\r\n"
        + "#交易合计：0笔，商家实收共0.00元，商家优惠共0.00元\r\n"
        + "#退款合计：0笔，商家实收退款共0.00元，商家优惠退款共0.00元\r\n");

    private static StatementLine ToLine(Func<string, string> field, int lineNumber)
    {
        string type = field(TypeColumn);
        string requestNo = field(RequestNoColumn);

        // A word this mapping does not know keeps its kind from the refund number, and surfaces as Unrecognized.
        bool isRefund = type == Refund || (type != Trade && requestNo.Length > 0);
        var status = type is Trade or Refund ? TransactionStatus.Succeeded : TransactionStatus.Unrecognized;
        long amount = Math.Abs(Fen(field(AmountColumn), AmountColumn, lineNumber));
        string fee = field(FeeColumn);
        string time = field(FinishedColumn).Length > 0 ? field(FinishedColumn) : field(CreatedColumn);
        if (!AlipayStatusMapping.TryParseTime(time, out var at))
        {
            throw new InvalidDataException($"Line {lineNumber}: '{time}' is not a time.");
        }

        return new StatementLine(
            isRefund ? requestNo : field(OutTradeNoColumn),
            field(TradeNoColumn) is { Length: > 0 } tradeNo ? tradeNo : null,
            isRefund ? TransactionKind.Refund : TransactionKind.Payment,
            new Money(amount, Currency.CNY),
            fee.Length == 0 ? null : new Money(-Fen(fee, FeeColumn, lineNumber), Currency.CNY),
            type,
            status,
            at,
            isRefund ? field(OutTradeNoColumn) : null);
    }

    private static async Task CheckTotalsAsync(StreamReader reader, int rows, long received, int lineNumber, CancellationToken ct)
    {
        long? tradeCount = null, tradeReceived = null, refundCount = null, refundReceived = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lineNumber++;
            if (TradeTotal().Match(line) is { Success: true } trade)
            {
                tradeCount = long.Parse(trade.Groups[1].Value, CultureInfo.InvariantCulture);
                tradeReceived = Fen(trade.Groups[2].Value, "交易合计", lineNumber);
            }
            else if (RefundTotal().Match(line) is { Success: true } refund)
            {
                refundCount = long.Parse(refund.Groups[1].Value, CultureInfo.InvariantCulture);
                refundReceived = Fen(refund.Groups[2].Value, "退款合计", lineNumber);
            }
        }

        if (tradeCount is null || refundCount is null)
        {
            throw new InvalidDataException("The totals after the detail list are missing: truncated.");
        }

        if (tradeCount + refundCount != rows || tradeReceived + refundReceived != received)
        {
            throw new InvalidDataException(
                $"The totals say {tradeCount + refundCount} rows and {tradeReceived + refundReceived} fen received; the rows add up to {rows} and {received}.");
        }
    }

    /// <summary>Fields split on commas and stripped of the padding tabs; a quoted field may hold commas.</summary>
    private static string[] Split(string line, int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.ToString().Trim().Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw new InvalidDataException($"Line {lineNumber}: an unterminated quote.");
        }

        fields.Add(field.ToString().Trim());
        return [.. fields];
    }

    /// <summary>Yuan with exactly two decimals, signed, as fen; anything else is a malformed file.</summary>
    private static long Fen(string text, string column, int lineNumber)
    {
        if (!AmountPattern().IsMatch(text))
        {
            throw new InvalidDataException($"Line {lineNumber}: '{text}' in {column} is not an amount in yuan.");
        }

        bool negative = text[0] == '-';
        string digits = (negative ? text[1..] : text).Replace(".", "", StringComparison.Ordinal);
        long fen = long.Parse(digits, CultureInfo.InvariantCulture);
        return negative ? -fen : fen;
    }

    private static Encoding CreateGbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
    }

    [GeneratedRegex(@"^-?[0-9]{1,15}\.[0-9]{2}\z", RegexOptions.CultureInvariant)]
    private static partial Regex AmountPattern();

    [GeneratedRegex(@"^#交易合计：([0-9]+)笔，商家实收共(-?[0-9]+\.[0-9]{2})元", RegexOptions.CultureInvariant)]
    private static partial Regex TradeTotal();

    [GeneratedRegex(@"^#退款合计：([0-9]+)笔，商家实收退款共(-?[0-9]+\.[0-9]{2})元", RegexOptions.CultureInvariant)]
    private static partial Regex RefundTotal();
}
