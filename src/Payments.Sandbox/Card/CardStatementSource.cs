using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.Card;

/// <summary>
/// The acquirer's settlement details report built from the sandbox's sessions and refunds at request time: UTF-8
/// CSV, a fixed header, a <c>Settled</c> record per authorisation and a <c>Refunded</c> record per refund on the
/// booking day they happened, booking dates in UTC, amounts in major units, then <c>Total Records,N</c>.
/// </summary>
/// <remarks>
/// Days are booked in the time zone set on the merchant account (<c>Sandbox:Card:ReportTimeZone</c>, default
/// Asia/Shanghai, the platform's business zone, so a report day is a reconciliation day). The merchant service charge
/// is <c>Sandbox:Card:FeeRatePpm</c> parts per million of the amount (default 15000, 1.5%), rounded half up in minor
/// units; a refund returns the charge on its own amount, as the platform's contracted-fee model expects. A route's
/// <c>channelAccountId</c> is the one given at onboarding, or the merchant account.
/// </remarks>
internal sealed class CardStatementSource(CardStore store, IConfiguration configuration) : IStatementSource
{
    public const string Header = "Merchant Account,Merchant Reference,Psp Reference,Payment Reference,Record Type,Booking Date,Currency,Gross,Fee";

    public const string Settled = "Settled";
    public const string Refunded = "Refunded";

    private const long DefaultFeeRatePpm = 15_000;
    private const long Million = 1_000_000;

    private readonly long _feeRatePpm = FeeRatePpm(configuration["Sandbox:Card:FeeRatePpm"]);

    public string Channel => Faults.FaultNames.Card;

    public string MediaType => "text/csv; charset=utf-8";

    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(configuration["Sandbox:Card:ReportTimeZone"] ?? "Asia/Shanghai");

    public DateOnly DayOf(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, Zone).DateTime);

    public long FeeOn(long minor) => ((minor * _feeRatePpm) + (Million / 2)) / Million;

    public string? ResolveMerchant(string channelAccountId) =>
        (store.Merchants.FirstOrDefault(m => m.ChannelAccountId == channelAccountId) ?? store.Merchant(channelAccountId))?.MerchantAccount;

    public IReadOnlyList<StatementEntry> Entries(string merchant, DateOnly date)
    {
        var entries = new List<StatementEntry>();
        foreach (var session in store.Sessions(merchant))
        {
            lock (session.Gate)
            {
                if (session.AuthorisedAt is { } paidAt && DayOf(paidAt) == date)
                {
                    entries.Add(new StatementEntry(
                        session.Reference, IsRefund: false, session.PspReference!, null, null, session.Amount.Value, FeeOn(session.Amount.Value),
                        Settled, paidAt, session.Amount.Currency, session.Description));
                }

                foreach (var refund in session.Refunds.Where(r => r.RefundedAt is { } at && DayOf(at) == date))
                {
                    entries.Add(new StatementEntry(
                        refund.Reference, IsRefund: true, refund.PspReference!, session.Reference, session.PspReference, refund.Amount.Value, -FeeOn(refund.Amount.Value),
                        Refunded, refund.RefundedAt!.Value, refund.Amount.Currency, session.Description));
                }
            }
        }

        return entries;
    }

    /// <summary>An authorisation the acquirer says it settled, in the currency the merchant last used (EUR before any).</summary>
    public StatementEntry Invent(string merchant, DateOnly date, string transactionId, long amount)
    {
        var noon = date.ToDateTime(new TimeOnly(12, 0));
        var at = new DateTimeOffset(noon, Zone.GetUtcOffset(noon));
        string currency = store.Sessions(merchant).Select(s => s.Amount.Currency).LastOrDefault() ?? "EUR";
        return new StatementEntry(
            transactionId, IsRefund: false, "PSP" + RandomNumberGenerator.GetHexString(16), null, null, amount, FeeOn(amount), Settled, at, currency, "statement mutation");
    }

    private static long FeeRatePpm(string? setting) =>
        setting is not { Length: > 0 } ? DefaultFeeRatePpm
        : long.TryParse(setting, NumberStyles.None, CultureInfo.InvariantCulture, out long ppm) && ppm <= Million ? ppm
        : throw new InvalidOperationException($"Sandbox:Card:FeeRatePpm '{setting}' must be a whole number of parts per million up to 1000000.");

    public byte[] Render(string merchant, IReadOnlyList<StatementEntry> entries)
    {
        var text = new StringBuilder(Header.Length + 1 + (entries.Count * 120));
        text.Append(Header).Append('\n');
        foreach (var entry in entries)
        {
            text.Append(CultureInfo.InvariantCulture, $"{merchant},{entry.TransactionId},{entry.ChannelTransactionId},{(entry.IsRefund ? entry.PaymentId : "")},")
                .Append(CultureInfo.InvariantCulture, $"{entry.Status},{entry.Time.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'},{entry.Currency},")
                .Append(CardSandbox.Major(entry.Amount, entry.Currency)).Append(',').Append(CardSandbox.Major(entry.Fee, entry.Currency)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.Append("Total Records,").Append(entries.Count.ToString(CultureInfo.InvariantCulture)).Append('\n').ToString());
    }
}
