using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Payments.Core;
using Payments.Core.Reconciliation;

namespace Payments.Channels.WeChatPay;

/// <summary>
/// Reads WeChat Pay's trade bill (交易账单, <c>bill_type=ALL</c>) one line at a time: a header line, detail rows whose
/// every field starts with a backtick, a summary header (<c>总交易单数,…</c>) and one summary row. This is the one
/// place where the bill's trade and refund states become ours.
/// </summary>
/// <remarks>
/// Columns are found by their header names, not by position, so WeChat adding a column does not shift what we read.
/// The summary's row count and totals are checked against the rows read: a bill that does not add up, or that ends
/// before its summary, is truncated or corrupt and throws <see cref="InvalidDataException"/> rather than let
/// reconciliation report the missing rows as differences.
/// </remarks>
internal static class WeChatPayTradeBill
{
    public const string TradeTime = "交易时间";
    public const string TransactionId = "微信订单号";
    public const string OutTradeNo = "商户订单号";
    public const string TradeState = "交易状态";
    public const string CurrencyColumn = "货币种类";
    public const string SettlementAmount = "应结订单金额";
    public const string RefundId = "微信退款单号";
    public const string OutRefundNo = "商户退款单号";
    public const string RefundAmount = "退款金额";
    public const string RefundStatus = "退款状态";
    public const string ProductName = "商品名称";
    public const string Attach = "商户数据包";
    public const string Fee = "手续费";
    public const string OrderAmount = "订单金额";
    public const string RequestedRefundAmount = "申请退款金额";

    public const string SummaryCount = "总交易单数";
    public const string SummarySettlementTotal = "应结订单总金额";
    public const string SummaryRefundTotal = "退款总金额";

    /// <summary>The trade state of a refund row; the refund's own state is in 退款状态.</summary>
    public const string RefundTradeState = "REFUND";

    private const char FieldMark = '`';
    private const int MaxAmountDecimals = 2;

    // The bill writes fees with five decimals ("0.06000"); anything below the fen must still be zero.
    private const int MaxFeeDecimals = 5;

    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);
    private static readonly string[] TimeFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd  HH:mm:ss"];

    public static async IAsyncEnumerable<StatementLine> ParseAsync(Stream statement, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(statement);
        using var reader = new StreamReader(statement, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);

        string header = await reader.ReadLineAsync(ct) ?? throw new InvalidDataException("The trade bill is empty.");
        var layout = Layout.FromHeader(header);
        long rows = 0;
        long settlementTotal = 0;
        long refundTotal = 0;
        long lineNumber = 1;

        while (await reader.ReadLineAsync(ct) is { } text)
        {
            lineNumber++;
            if (text.Length == 0)
            {
                continue;
            }

            if (text[0] != FieldMark)
            {
                await VerifySummaryAsync(reader, text, lineNumber, rows, settlementTotal, refundTotal, ct);
                yield break;
            }

            var row = layout.Read(text, lineNumber);
            rows++;
            settlementTotal = checked(settlementTotal + row.SettlementMinorUnits);
            refundTotal = checked(refundTotal + row.RefundMinorUnits);
            yield return row.Line;
        }

        throw new InvalidDataException($"The trade bill ends after {rows} rows without its summary: it is truncated.");
    }

    /// <summary>Our status for a payment row's 交易状态.</summary>
    public static TransactionStatus PaymentStatus(string tradeState) => tradeState switch
    {
        "SUCCESS" => TransactionStatus.Succeeded,
        "REFUND" => TransactionStatus.Refunded,
        "NOTPAY" or "USERPAYING" => TransactionStatus.Processing,
        "CLOSED" or "REVOKED" => TransactionStatus.Closed,
        "PAYERROR" => TransactionStatus.Failed,
        _ => TransactionStatus.Unrecognized,
    };

    /// <summary>Our status for a refund row's 退款状态 (API v3 words and the bill's older ones).</summary>
    public static TransactionStatus RefundStatusOf(string refundStatus) => refundStatus switch
    {
        "SUCCESS" => TransactionStatus.Succeeded,
        "PROCESSING" => TransactionStatus.Processing,

        // ABNORMAL / CHANGE: the money left the merchant but never reached the payer, which to us is a failed refund.
        "CLOSED" or "ABNORMAL" or "CHANGE" or "REFUNDCLOSE" or "FAIL" => TransactionStatus.Failed,
        _ => TransactionStatus.Unrecognized,
    };

    private static async Task VerifySummaryAsync(
        StreamReader reader, string summaryHeader, long lineNumber, long rows, long settlementTotal, long refundTotal, CancellationToken ct)
    {
        string[] names = SplitHeader(summaryHeader);
        int countColumn = Array.IndexOf(names, SummaryCount);
        int settlementColumn = Array.IndexOf(names, SummarySettlementTotal);
        int refundColumn = Array.IndexOf(names, SummaryRefundTotal);
        if (countColumn < 0 || settlementColumn < 0 || refundColumn < 0)
        {
            throw new InvalidDataException($"Line {lineNumber} is neither a detail row nor the summary header.");
        }

        string? values;
        do
        {
            values = await reader.ReadLineAsync(ct);
            lineNumber++;
        }
        while (values is { Length: 0 });

        if (values is null || values[0] != FieldMark)
        {
            throw new InvalidDataException("The trade bill's summary header has no summary row: it is truncated.");
        }

        string[] fields = values[1..].Split(",`");
        if (fields.Length != names.Length)
        {
            throw new InvalidDataException($"The summary row has {fields.Length} fields; its header names {names.Length}.");
        }

        if (!long.TryParse(fields[countColumn], NumberStyles.None, CultureInfo.InvariantCulture, out long count) || count != rows)
        {
            throw new InvalidDataException($"The summary counts {fields[countColumn]} rows; the bill has {rows}.");
        }

        long settlement = ParseYuan(fields[settlementColumn], MaxAmountDecimals, SummarySettlementTotal, lineNumber);
        long refund = ParseYuan(fields[refundColumn], MaxAmountDecimals, SummaryRefundTotal, lineNumber);
        if (settlement != settlementTotal || refund != refundTotal)
        {
            throw new InvalidDataException(
                $"The summary totals ({fields[settlementColumn]}, {fields[refundColumn]}) are not the sums of the rows ({settlementTotal}, {refundTotal} fen).");
        }

        while (await reader.ReadLineAsync(ct) is { } trailing)
        {
            if (trailing.Length > 0)
            {
                throw new InvalidDataException("The trade bill goes on after its summary row.");
            }
        }
    }

    private static string[] SplitHeader(string header) =>
        [.. header.TrimStart('\uFEFF').Split(',').Select(name => name.Trim().TrimStart(FieldMark))];

    /// <summary>Yuan with at most <paramref name="maxDecimals"/> decimals, digits beyond the fen all zero, as fen.</summary>
    private static long ParseYuan(ReadOnlySpan<char> text, int maxDecimals, string column, long lineNumber)
    {
        int start = text.Length > 0 && text[0] == '-' ? 1 : 0;
        int point = text.IndexOf('.');
        int integerDigits = point < 0 ? text.Length - start : point - start;
        int decimals = point < 0 ? 0 : text.Length - point - 1;
        bool wellFormed = integerDigits > 0
            && decimals <= maxDecimals
            && (point < 0 || decimals > 0)
            && IsDigits(text[start..(start + integerDigits)])
            && (point < 0 || IsDigits(text[(point + 1)..]));
        if (!wellFormed
            || !decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal yuan))
        {
            throw new InvalidDataException($"Line {lineNumber}: {column} '{text}' is not an amount in yuan with at most {maxDecimals} decimals.");
        }

        decimal fen = yuan * 100m;
        if (fen != decimal.Truncate(fen) || fen > long.MaxValue || fen < long.MinValue)
        {
            throw new InvalidDataException($"Line {lineNumber}: {column} '{text}' is not a whole number of fen.");
        }

        return (long)fen;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct Row(StatementLine Line, long SettlementMinorUnits, long RefundMinorUnits);

    /// <summary>Where each column we read sits in this bill.</summary>
    private sealed class Layout
    {
        private int _time;
        private int _transactionId;
        private int _outTradeNo;
        private int _tradeState;
        private int _currency;
        private int _settlementAmount;
        private int _refundId;
        private int _outRefundNo;
        private int _refundAmount;
        private int _refundStatus;
        private int _fee;
        private int _orderAmount;
        private int _requestedRefundAmount;

        // Free text the merchant controls (product name, attach) may itself contain ",`"; columns after it are
        // then counted from the end of the row.
        private int _firstFreeText;
        private int _lastFreeText;
        private Range[] _bounds = [];

        public int ColumnCount { get; private set; }

        public static Layout FromHeader(string header)
        {
            string[] names = SplitHeader(header);
            int Column(string name) => Array.IndexOf(names, name) is >= 0 and int index
                ? index
                : throw new InvalidDataException($"The trade bill's header has no {name} column; is it a bill_type=ALL trade bill?");

            int productName = Array.IndexOf(names, ProductName);
            int attach = Array.IndexOf(names, Attach);
            return new Layout
            {
                ColumnCount = names.Length,
                _time = Column(TradeTime),
                _transactionId = Column(TransactionId),
                _outTradeNo = Column(OutTradeNo),
                _tradeState = Column(TradeState),
                _currency = Column(CurrencyColumn),
                _settlementAmount = Column(SettlementAmount),
                _refundId = Column(RefundId),
                _outRefundNo = Column(OutRefundNo),
                _refundAmount = Column(RefundAmount),
                _refundStatus = Column(RefundStatus),
                _fee = Column(Fee),
                _orderAmount = Column(OrderAmount),
                _requestedRefundAmount = Column(RequestedRefundAmount),
                _firstFreeText = productName < 0 ? attach : (attach < 0 ? productName : Math.Min(productName, attach)),
                _lastFreeText = Math.Max(productName, attach),
                _bounds = new Range[names.Length + 4],
            };
        }

        public Row Read(string text, long lineNumber)
        {
            ReadOnlySpan<char> line = text.AsSpan();
            int fields = Split(line);
            int extra = fields - ColumnCount;
            if (extra < 0 || (extra > 0 && _firstFreeText < 0))
            {
                throw new InvalidDataException($"Line {lineNumber} has {fields} fields; the header names {ColumnCount}.");
            }

            var currencyCode = Field(line, _currency, extra);
            if (!Currency.TryParse(currencyCode.SequenceEqual("CNY") ? "CNY" : currencyCode.ToString(), out var currency))
            {
                throw new InvalidDataException($"Line {lineNumber}: unknown currency '{currencyCode}'.");
            }

            var time = ParseTime(Field(line, _time, extra), lineNumber);
            string tradeState = Word(Field(line, _tradeState, extra));
            long settlement = ParseYuan(Field(line, _settlementAmount, extra), MaxAmountDecimals, SettlementAmount, lineNumber);
            long refunded = ParseYuan(Field(line, _refundAmount, extra), MaxAmountDecimals, RefundAmount, lineNumber);
            long fee = ParseYuan(Field(line, _fee, extra), MaxFeeDecimals, Fee, lineNumber);
            var outRefundNo = Field(line, _outRefundNo, extra);
            var refundId = Field(line, _refundId, extra);
            bool isRefund = tradeState == RefundTradeState && (HasValue(outRefundNo) || HasValue(refundId));

            StatementLine statementLine;
            if (isRefund)
            {
                string refundStatus = Word(Field(line, _refundStatus, extra));
                long requested = ParseYuan(Field(line, _requestedRefundAmount, extra), MaxAmountDecimals, RequestedRefundAmount, lineNumber);
                statementLine = new StatementLine(
                    HasValue(outRefundNo) ? outRefundNo.ToString() : string.Empty,
                    HasValue(refundId) ? refundId.ToString() : null,
                    TransactionKind.Refund,
                    new Money(requested, currency),
                    new Money(fee, currency),
                    refundStatus,
                    RefundStatusOf(refundStatus),
                    time,
                    Field(line, _outTradeNo, extra).ToString());
            }
            else
            {
                var transactionId = Field(line, _transactionId, extra);
                long ordered = ParseYuan(Field(line, _orderAmount, extra), MaxAmountDecimals, OrderAmount, lineNumber);
                statementLine = new StatementLine(
                    Field(line, _outTradeNo, extra).ToString(),
                    transactionId.IsEmpty ? null : transactionId.ToString(),
                    TransactionKind.Payment,
                    new Money(ordered, currency),
                    new Money(fee, currency),
                    tradeState,
                    PaymentStatus(tradeState),
                    time);
            }

            return new Row(statementLine, settlement, refunded);
        }

        /// <summary>A column's text; columns after the free text shift right by the extra fields it held.</summary>
        private ReadOnlySpan<char> Field(ReadOnlySpan<char> line, int column, int extra) =>
            line[_bounds[extra > 0 && column > _lastFreeText ? column + extra : column]];

        /// <summary>Splits <c>`a,`b,`c</c> into field ranges without allocating strings; returns the field count.</summary>
        private int Split(ReadOnlySpan<char> line)
        {
            int count = 0;
            int start = 1;
            while (true)
            {
                int separator = line[start..].IndexOf(",`");
                int end = separator < 0 ? line.Length : start + separator;
                if (count == _bounds.Length)
                {
                    Array.Resize(ref _bounds, _bounds.Length * 2);
                }

                _bounds[count++] = start..end;
                if (separator < 0)
                {
                    return count;
                }

                start = end + 2;
            }
        }

        /// <summary>The payment rows write 0 where a refund number would go.</summary>
        private static bool HasValue(ReadOnlySpan<char> field) => !field.IsEmpty && !field.SequenceEqual("0");

        private static DateTimeOffset ParseTime(ReadOnlySpan<char> text, long lineNumber) =>
            DateTime.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
                ? new DateTimeOffset(local, ChinaOffset)
                : throw new InvalidDataException($"Line {lineNumber}: {TradeTime} '{text}' is not yyyy-MM-dd HH:mm:ss.");

        /// <summary>The known status words as shared literals: a million rows need not allocate a million "SUCCESS".</summary>
        private static string Word(ReadOnlySpan<char> text) => text switch
        {
            "SUCCESS" => "SUCCESS",
            "REFUND" => "REFUND",
            "PROCESSING" => "PROCESSING",
            "CLOSED" => "CLOSED",
            "REVOKED" => "REVOKED",
            "NOTPAY" => "NOTPAY",
            "USERPAYING" => "USERPAYING",
            "PAYERROR" => "PAYERROR",
            "ABNORMAL" => "ABNORMAL",
            "CHANGE" => "CHANGE",
            _ => text.ToString(),
        };
    }
}
