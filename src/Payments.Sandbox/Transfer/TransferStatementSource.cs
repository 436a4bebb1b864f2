using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.Transfer;

/// <summary>
/// The bank's daily statement of the collection account, built from the sandbox's collections at request time: UTF-8
/// CSV, a fixed header, a <c>CREDIT</c> entry per credit that reached a reference and a <c>RETURN</c> entry per refund,
/// on the value day they happened, value times in UTC, amounts and fees in fen, then <c>Total Entries,N</c>. Credits
/// the bank returned itself never reached the account and are not listed.
/// </summary>
/// <remarks>Value days are in <c>Sandbox:Transfer:StatementTimeZone</c> (default Asia/Shanghai, the platform's business
/// zone). The collection fee is <c>Sandbox:Transfer:FeeRatePpm</c> parts per million of a credit (default 0, none),
/// rounded half up in fen; a return gives back the fee on its own amount, as the platform's contracted-fee model
/// expects. A route's <c>channelAccountId</c> is the one given at onboarding, or the corporate id.</remarks>
internal sealed class TransferStatementSource(TransferStore store, IConfiguration configuration) : IStatementSource
{
    public const string Header = "Value Time,Entry Type,Entry Id,Collection Id,Merchant Ref,Refund Ref,Currency,Amount,Fee";

    public const string Credit = "CREDIT";
    public const string Return = "RETURN";

    private readonly Lazy<TimeZoneInfo> _zone = new(() =>
        TimeZoneInfo.FindSystemTimeZoneById(configuration["Sandbox:Transfer:StatementTimeZone"] ?? "Asia/Shanghai"));

    private const long Million = 1_000_000;

    private readonly Lazy<long> _feeRatePpm = new(() =>
        configuration["Sandbox:Transfer:FeeRatePpm"] is { Length: > 0 } text ? long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : 0);

    public string Channel => Faults.FaultNames.Transfer;

    public string MediaType => "text/csv; charset=utf-8";

    public DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, _zone.Value).DateTime);

    public long FeeOn(long fen) => ((fen * _feeRatePpm.Value) + (Million / 2)) / Million;

    public string? ResolveMerchant(string channelAccountId) =>
        (store.Merchants.FirstOrDefault(m => m.ChannelAccountId == channelAccountId) ?? store.Merchant(channelAccountId))?.CorporateId;

    public IReadOnlyList<StatementEntry> Entries(string merchant, DateOnly date)
    {
        var entries = new List<StatementEntry>();
        foreach (var collection in store.Collections(merchant))
        {
            lock (collection.Gate)
            {
                foreach (var credit in collection.Credits.Where(c => DayOf(c.CreditedAt) == date))
                {
                    entries.Add(new StatementEntry(
                        collection.MerchantRef, IsRefund: false, credit.CreditId, null, collection.Id, credit.Amount, FeeOn(credit.Amount), Credit, credit.CreditedAt, collection.Currency, collection.Remark));
                }

                foreach (var refund in collection.Refunds.Where(r => r.Status == "SUCCEEDED" && r.ReturnedAt is { } at && DayOf(at) == date))
                {
                    entries.Add(new StatementEntry(
                        refund.RefundRef, IsRefund: true, refund.RefundId, collection.MerchantRef, collection.Id, refund.Amount, -FeeOn(refund.Amount), Return, refund.ReturnedAt!.Value, refund.Currency, collection.Remark));
                }
            }
        }

        return entries;
    }

    /// <summary>A credit the bank says reached a reference of the caller's choosing, in CNY.</summary>
    public StatementEntry Invent(string merchant, DateOnly date, string transactionId, long amount)
    {
        var noon = date.ToDateTime(new TimeOnly(12, 0));
        var at = new DateTimeOffset(noon, _zone.Value.GetUtcOffset(noon));
        return new StatementEntry(
            transactionId, IsRefund: false, "CR" + RandomNumberGenerator.GetHexString(20), null, "COL" + RandomNumberGenerator.GetHexString(20), amount, FeeOn(amount), Credit, at, "CNY", "statement mutation");
    }

    public byte[] Render(string merchant, IReadOnlyList<StatementEntry> entries)
    {
        var text = new StringBuilder(Header.Length + 1 + (entries.Count * 120));
        text.Append(Header).Append('\n');
        foreach (var entry in entries)
        {
            string merchantRef = entry.IsRefund ? entry.PaymentId ?? "" : entry.TransactionId;
            string refundRef = entry.IsRefund ? entry.TransactionId : "";
            text.Append(CultureInfo.InvariantCulture, $"{entry.Time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'},{entry.Status},{entry.ChannelTransactionId},{entry.PaymentChannelTransactionId},")
                .Append(CultureInfo.InvariantCulture, $"{merchantRef},{refundRef},{entry.Currency},{entry.Amount},{entry.Fee}\n");
        }

        return Encoding.UTF8.GetBytes(text.Append("Total Entries,").Append(entries.Count.ToString(CultureInfo.InvariantCulture)).Append('\n').ToString());
    }
}
