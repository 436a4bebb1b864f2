using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Payments.Channels.WeChatPay;
using Payments.Core;
using Payments.Core.Reconciliation;

/// <summary>
/// The reconciliation matcher at scale: a generated WeChat Pay trade bill of about a million lines, written gzip'd to a
/// temporary file and read back streaming by the real parser, against a million of our records, with 0.1% of them
/// made to differ in every category. Prints wall time, lines per second and peak memory, and fails unless exactly the
/// injected differences are found.
/// </summary>
internal static class ReconciliationBench
{
    private const string Header =
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

    private const string SummaryHeader = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

    private static readonly DateOnly Day = new(2026, 11, 22);
    private static readonly TimeSpan China = TimeSpan.FromHours(8);
    private static readonly FeeRate Rate = new(6000);

    private enum Injection
    {
        Drop,
        Extra,
        Duplicate,
        Amount,
        Status,
        Fee,
        Currency,
    }

    public static async Task<int> RunAsync(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;

        // One in a thousand records carries a difference, the kinds taking turns.
        const int Every = 1000;
        var injections = Enum.GetValues<Injection>();

        var clock = Stopwatch.StartNew();
        var records = new List<SystemRecord>(count);
        for (int i = 0; i < count; i++)
        {
            records.Add(Record(i, count));
        }

        string path = Path.Combine(Path.GetTempPath(), $"recon-bench-{Guid.NewGuid():N}.csv.gz");
        var expected = new Dictionary<DiscrepancyCategory, int>();
        foreach (var category in DiscrepancyCategories.All)
        {
            expected[category] = 0;
        }

        long lines = 0;
        await using (var file = File.Create(path))
        await using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        await using (var writer = new StreamWriter(gzip, new UTF8Encoding(false), 1 << 16))
        {
            var bill = new BillWriter(writer);
            await writer.WriteAsync(Header + "\r\n");
            for (int i = 0; i < count; i++)
            {
                var record = records[i];
                Injection? injection = i % Every == Every / 2 ? injections[(i / Every) % injections.Length] : null;
                var row = new Row(record);
                switch (injection)
                {
                    case Injection.Drop:
                        expected[DiscrepancyCategory.MissingInChannel]++;
                        continue;
                    case Injection.Extra:
                        await bill.WriteAsync(new Row(Record(count + i, count) with { Id = $"pay_extra_{i:D10}" }));
                        expected[DiscrepancyCategory.MissingInSystem]++;
                        break;
                    case Injection.Duplicate:
                        await bill.WriteAsync(row);
                        expected[DiscrepancyCategory.MissingInSystem]++;
                        break;
                    case Injection.Amount:
                        row = row with { Amount = row.Amount + 1 };
                        expected[DiscrepancyCategory.AmountMismatch]++;
                        break;
                    case Injection.Status:
                        row = row with { Status = record.Kind == TransactionKind.Refund ? "PROCESSING" : "CLOSED" };
                        expected[DiscrepancyCategory.StatusMismatch]++;
                        break;
                    case Injection.Fee:
                        row = row with { Fee = row.Fee + 1 };
                        expected[DiscrepancyCategory.FeeMismatch]++;
                        break;
                    case Injection.Currency:
                        row = row with { Currency = "USD" };
                        expected[DiscrepancyCategory.CurrencyMismatch]++;
                        break;
                }

                await bill.WriteAsync(row);
            }

            await bill.WriteSummaryAsync();
            lines = bill.Rows;
        }

        var generated = clock.Elapsed;
        long fileBytes = new FileInfo(path).Length;
        int injected = expected.Values.Sum();

        // Only what a reconciliation run does from here on is timed: read the gzip'd bill, parse, match.
        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var pauseBefore = GC.GetTotalPauseDuration();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        clock.Restart();
        ReconciliationResult result;
        using (var http = new HttpClient())
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous))
        await using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        {
            var channel = new WeChatPayChannel(http, TimeProvider.System);
            var matcher = new StatementMatcher(ReconciliationOptions.Default with { FeeRate = Rate });
            var input = new ReconciliationInput(Day, records.ToAsyncEnumerable(), AsyncEnumerable.Empty<SystemRecord>(), new ReconciliationCarryOver(Day.AddDays(-1), [], []));
            result = await matcher.MatchAsync(input, channel.ParseStatementAsync(gzip, CancellationToken.None), CancellationToken.None);
        }

        var elapsed = clock.Elapsed;
        File.Delete(path);
        using var process = Process.GetCurrentProcess();
        process.Refresh();

        // The machine may be shared: CPU time says what the work cost even when wall time says who else was running.
        var cpu = process.TotalProcessorTime - cpuBefore;
        var memory = GC.GetGCMemoryInfo(GCKind.Any);

        Console.WriteLine($"Reconciliation matcher: {lines:N0} WeChat Pay bill lines against {count:N0} records, {injected:N0} injected differences");
        Console.WriteLine($"  generated in {generated.TotalSeconds:0.0} s; bill {fileBytes / 1048576.0:0.0} MiB gzip'd");
        Console.WriteLine($"  parse + match wall time  {elapsed.TotalSeconds,8:0.00} s   (target < 20 s)");
        Console.WriteLine($"  CPU time (all threads)   {cpu.TotalSeconds,8:0.00} s");
        Console.WriteLine($"  lines per second         {lines / elapsed.TotalSeconds,8:N0}");
        Console.WriteLine($"  peak working set         {process.PeakWorkingSet64 / 1048576.0,8:0} MiB (target < 1536 MiB; whole process, records included)");
        Console.WriteLine($"  GC heap after            {GC.GetTotalMemory(forceFullCollection: false) / 1048576.0,8:0} MiB; committed {memory.TotalCommittedBytes / 1048576.0:0} MiB");
        Console.WriteLine($"  allocated while matching {(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1048576.0,8:0} MiB");
        Console.WriteLine($"  collections gen0/1/2     {GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3}, pauses {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0} ms, server GC {System.Runtime.GCSettings.IsServerGC}");

        bool ok = true;
        foreach (var category in DiscrepancyCategories.All)
        {
            int found = result.Counts[category];
            bool same = found == expected[category];
            ok &= same;
            Console.WriteLine($"  {category.ToWire(),-20} found {found,6:N0}  injected {expected[category],6:N0}{(same ? "" : "   MISMATCH")}");
        }

        ok &= result.Discrepancies.Count == injected && result.Discrepancies.All(d => !d.Suspected);
        Console.WriteLine(ok
            ? $"  OK: exactly the {injected:N0} injected differences were found."
            : $"  FAILED: {result.Discrepancies.Count:N0} discrepancies found, {injected:N0} injected.");
        return ok ? 0 : 1;
    }

    /// <summary>Deterministic: nine payments to one refund, amounts spread over 0.01 to 10,000.00, times through the
    /// day clear of midnight.</summary>
    private static SystemRecord Record(int i, int count)
    {
        bool refund = i % 10 == 9;
        long amount = 1 + ((i * 7_919L) % 1_000_000);
        var time = new DateTimeOffset(Day.ToDateTime(new TimeOnly(0, 10)), China).AddSeconds((long)i % count * 82_800L / count);
        return refund
            ? new SystemRecord($"ref_{i:D10}", TransactionKind.Refund, $"50300{i:D24}", new Money(amount, Currency.CNY), TransactionStatus.Succeeded, time, PaymentId: $"pay_r{i:D10}")
            : new SystemRecord($"pay_{i:D10}", TransactionKind.Payment, $"4200{i:D24}", new Money(amount, Currency.CNY), TransactionStatus.Succeeded, time);
    }

    private sealed record Row(string Id, string ChannelId, string? PaymentId, bool IsRefund, long Amount, long Fee, string Status, string Currency, DateTimeOffset Time)
    {
        public Row(SystemRecord record)
            : this(
                record.Id,
                record.ChannelTransactionId!,
                record.PaymentId,
                record.Kind == TransactionKind.Refund,
                record.Amount.MinorUnits,
                Rate.For(record.Kind, record.Amount).MinorUnits,
                "SUCCESS",
                "CNY",
                record.Time)
        {
        }
    }

    /// <summary>Writes rows in the trade bill's shape and keeps the totals its summary must show.</summary>
    private sealed class BillWriter(StreamWriter writer)
    {
        private long _settlement;
        private long _refunded;
        private long _fees;

        public long Rows { get; private set; }

        public async Task WriteAsync(Row row)
        {
            long settled = row.IsRefund ? 0 : row.Amount;
            long refund = row.IsRefund ? row.Amount : 0;
            _settlement += settled;
            _refunded += refund;
            _fees += row.Fee;
            Rows++;
            string time = row.Time.ToOffset(China).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
            string line = row.IsRefund
                ? $"`{time},`wx2421b1c4370ec43b,`1230000109,`0,`,`4200{row.PaymentId},`{row.PaymentId},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`REFUND,`OTHERS,`{row.Currency},`0.00,`0.00,`{row.ChannelId},`{row.Id},`{Yuan(refund)},`0.00,`ORIGINAL,`{row.Status},`Bench order,`,`{Fee(row.Fee)},`0.60%,`0.00,`{Yuan(refund)},`\r\n"
                : $"`{time},`wx2421b1c4370ec43b,`1230000109,`0,`,`{row.ChannelId},`{row.Id},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`{row.Status},`OTHERS,`{row.Currency},`{Yuan(settled)},`0.00,`0,`0,`0.00,`0.00,`,`,`Bench order,`,`{Fee(row.Fee)},`0.60%,`{Yuan(settled)},`0.00,`\r\n";
            await writer.WriteAsync(line);
        }

        public async Task WriteSummaryAsync()
        {
            await writer.WriteAsync(SummaryHeader + "\r\n");
            await writer.WriteAsync($"`{Rows},`{Yuan(_settlement)},`{Yuan(_refunded)},`0.00,`{Fee(_fees)},`{Yuan(_settlement)},`{Yuan(_refunded)}\r\n");
        }

        private static string Yuan(long fen) => (fen / 100m).ToString("F2", CultureInfo.InvariantCulture);

        private static string Fee(long fen) => (fen / 100m).ToString("F5", CultureInfo.InvariantCulture);
    }
}
