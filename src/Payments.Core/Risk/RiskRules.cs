using System.Net;

namespace Payments.Core.Risk;

/// <summary>Limits over one business day (see docs/risk.md for when a day starts).</summary>
public sealed record DailyLimit(Money? MaxAmount, long? MaxCount);

/// <summary>At most <see cref="MaxCount"/> payments in each fixed window of <see cref="WindowSeconds"/>.</summary>
public sealed record VelocityLimit(long MaxCount, int WindowSeconds);

/// <summary>A merchant's risk rules, validated. Every rule is optional; a merchant without rules is
/// never checked (and costs no storage write).</summary>
public sealed record RiskRules
{
    public static RiskRules None { get; } = new();

    /// <summary>The currency of every amount limit; null when no amount limit is set.</summary>
    public Currency? Currency { get; init; }

    public Money? SinglePaymentMax { get; init; }

    /// <summary>A payment above this amount is let through and marked for review.</summary>
    public Money? ReviewAbove { get; init; }

    public DailyLimit? MerchantDaily { get; init; }

    public DailyLimit? PayerDaily { get; init; }

    public VelocityLimit? PayerVelocity { get; init; }

    public VelocityLimit? IpVelocity { get; init; }

    public IReadOnlyList<string> BlockedPayerIds { get; init; } = [];

    /// <summary>Single addresses are held as a network of full prefix length.</summary>
    public IReadOnlyList<IPNetwork> BlockedIps { get; init; } = [];

    public bool IsEmpty =>
        SinglePaymentMax is null && ReviewAbove is null && MerchantDaily is null && PayerDaily is null
        && PayerVelocity is null && IpVelocity is null && BlockedPayerIds.Count == 0 && BlockedIps.Count == 0;
}

public sealed record DailyLimitDto(long? MaxAmount = null, long? MaxCount = null);

public sealed record VelocityLimitDto(long? MaxCount = null, int? WindowSeconds = null);

/// <summary>The rules as operators send and read them (PUT/GET /api/v1/admin/merchants/{id}/risk-rules),
/// and as they are stored. Amounts are minor units of <see cref="Currency"/>.</summary>
public sealed record RiskRulesDto(
    string? Currency = null,
    long? SinglePaymentMax = null,
    long? ReviewAbove = null,
    DailyLimitDto? MerchantDaily = null,
    DailyLimitDto? PayerDaily = null,
    VelocityLimitDto? PayerVelocity = null,
    VelocityLimitDto? IpVelocity = null,
    IReadOnlyList<string>? BlockedPayerIds = null,
    IReadOnlyList<string>? BlockedIps = null)
{
    public static RiskRulesDto From(RiskRules r) => new(
        r.Currency?.Code,
        r.SinglePaymentMax?.MinorUnits,
        r.ReviewAbove?.MinorUnits,
        Daily(r.MerchantDaily),
        Daily(r.PayerDaily),
        Velocity(r.PayerVelocity),
        Velocity(r.IpVelocity),
        r.BlockedPayerIds,
        r.BlockedIps.Select(RiskRulesValidator.Format).ToList());

    private static DailyLimitDto? Daily(DailyLimit? d) => d is null ? null : new(d.MaxAmount?.MinorUnits, d.MaxCount);

    private static VelocityLimitDto? Velocity(VelocityLimit? v) => v is null ? null : new(v.MaxCount, v.WindowSeconds);
}

/// <summary>Turns what an operator sent into <see cref="RiskRules"/>, or a validation problem whose
/// errors name each offending field by its JSON path.</summary>
public static class RiskRulesValidator
{
    public const long MaxDailyAmountMinorUnits = 1_000_000_000_000_000;
    public const long MaxCount = 1_000_000_000;
    public const int MaxWindowSeconds = 86_400;

    /// <summary>Rules are one stored entity; these caps keep it far below Table Storage's 64 KiB property
    /// limit. Longer lists would be rows of their own.</summary>
    public const int MaxBlockedEntries = 200;

    public static Result<RiskRules> Validate(RiskRulesDto? dto)
    {
        if (dto is null)
        {
            return Problem.Validation(new Dictionary<string, string[]> { ["body"] = ["Expected a JSON object."] });
        }

        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        bool anyAmount = dto.SinglePaymentMax is not null || dto.ReviewAbove is not null
            || dto.MerchantDaily?.MaxAmount is not null || dto.PayerDaily?.MaxAmount is not null;
        Currency? currency = null;
        if (dto.Currency is not null)
        {
            if (Core.Currency.TryParse(dto.Currency, out var parsed))
            {
                currency = parsed;
            }
            else
            {
                Add("currency", "Unknown or unsupported currency.");
            }
        }
        else if (anyAmount)
        {
            Add("currency", "Required when any amount limit is set: amounts are minor units of this currency.");
        }

        Money? Amount(string field, long? value, long max)
        {
            if (value is null)
            {
                return null;
            }

            if (value < 1 || value > max)
            {
                Add(field, $"Must be between 1 and {max} minor units.");
                return null;
            }

            return currency is { } c ? new Money(value.Value, c) : null;
        }

        long? Count(string field, long? value)
        {
            if (value is not null && (value < 1 || value > MaxCount))
            {
                Add(field, $"Must be between 1 and {MaxCount}.");
                return null;
            }

            return value;
        }

        DailyLimit? Daily(string field, DailyLimitDto? d)
        {
            if (d is null)
            {
                return null;
            }

            if (d.MaxAmount is null && d.MaxCount is null)
            {
                Add(field, "Set maxAmount, maxCount or both (or leave the limit out).");
                return null;
            }

            return new DailyLimit(Amount(field + ".maxAmount", d.MaxAmount, MaxDailyAmountMinorUnits), Count(field + ".maxCount", d.MaxCount));
        }

        VelocityLimit? Velocity(string field, VelocityLimitDto? v)
        {
            if (v is null)
            {
                return null;
            }

            if (v.MaxCount is null)
            {
                Add(field + ".maxCount", "Required.");
            }

            if (v.WindowSeconds is null)
            {
                Add(field + ".windowSeconds", "Required.");
            }
            else if (v.WindowSeconds < 1 || v.WindowSeconds > MaxWindowSeconds)
            {
                Add(field + ".windowSeconds", $"Must be between 1 and {MaxWindowSeconds}.");
            }

            long? count = Count(field + ".maxCount", v.MaxCount);
            return count is { } c && v.WindowSeconds is >= 1 and <= MaxWindowSeconds ? new VelocityLimit(c, v.WindowSeconds.Value) : null;
        }

        var rules = new RiskRules
        {
            Currency = anyAmount ? currency : null,
            SinglePaymentMax = Amount("singlePaymentMax", dto.SinglePaymentMax, Payments.CreatePayment.CreatePaymentValidator.MaxAmountMinorUnits),
            ReviewAbove = Amount("reviewAbove", dto.ReviewAbove, Payments.CreatePayment.CreatePaymentValidator.MaxAmountMinorUnits),
            MerchantDaily = Daily("merchantDaily", dto.MerchantDaily),
            PayerDaily = Daily("payerDaily", dto.PayerDaily),
            PayerVelocity = Velocity("payerVelocity", dto.PayerVelocity),
            IpVelocity = Velocity("ipVelocity", dto.IpVelocity),
            BlockedPayerIds = PayerIds(dto.BlockedPayerIds, Add),
            BlockedIps = Networks(dto.BlockedIps, Add),
        };

        return errors.Count > 0
            ? Problem.Validation(errors.ToDictionary(e => e.Key, e => e.Value.Distinct().ToArray()))
            : rules;
    }

    /// <summary>A single address as itself, a network in CIDR notation.</summary>
    public static string Format(IPNetwork network) =>
        network.PrefixLength == MaxPrefix(network.BaseAddress) ? network.BaseAddress.ToString() : network.ToString();

    /// <summary>IPv4 written as IPv6 (::ffff:a.b.c.d) is the IPv4 address: both spellings reach the same payer.</summary>
    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static List<string> PayerIds(IReadOnlyList<string>? ids, Action<string, string> add)
    {
        if (ids is null)
        {
            return [];
        }

        if (ids.Count > MaxBlockedEntries)
        {
            add("blockedPayerIds", $"At most {MaxBlockedEntries} entries.");
            return [];
        }

        for (int i = 0; i < ids.Count; i++)
        {
            string? id = ids[i];
            if (string.IsNullOrEmpty(id) || id.Length > 64 || id.Any(char.IsControl))
            {
                add($"blockedPayerIds[{i}]", "Must be 1 to 64 printable characters, like payer.id.");
            }
        }

        return ids.Distinct(StringComparer.Ordinal).ToList();
    }

    private static List<IPNetwork> Networks(IReadOnlyList<string>? entries, Action<string, string> add)
    {
        var networks = new List<IPNetwork>();
        if (entries is null)
        {
            return networks;
        }

        if (entries.Count > MaxBlockedEntries)
        {
            add("blockedIps", $"At most {MaxBlockedEntries} entries.");
            return networks;
        }

        for (int i = 0; i < entries.Count; i++)
        {
            if (TryParseNetwork(entries[i], out var network))
            {
                networks.Add(network);
            }
            else
            {
                add($"blockedIps[{i}]", "Must be an IPv4 or IPv6 address, or a network in CIDR notation without host bits (198.51.100.0/24).");
            }
        }

        return networks.Distinct().ToList();
    }

    private static bool TryParseNetwork(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        if (!text.Contains('/', StringComparison.Ordinal))
        {
            if (!IPAddress.TryParse(text, out var address))
            {
                return false;
            }

            address = Normalize(address);
            network = new IPNetwork(address, MaxPrefix(address));
            return true;
        }

        // The parser silently clears host bits; 198.51.100.7/24 is more likely a typo than a wish to
        // block 256 addresses, so it is refused instead.
        if (!IPNetwork.TryParse(text, out var parsed)
            || !IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/', StringComparison.Ordinal)), out var written)
            || !written.Equals(parsed.BaseAddress))
        {
            return false;
        }

        // ::ffff:198.51.100.0/120 blocks the same payers as 198.51.100.0/24.
        network = parsed.BaseAddress.IsIPv4MappedToIPv6 && parsed.PrefixLength >= 96
            ? new IPNetwork(parsed.BaseAddress.MapToIPv4(), parsed.PrefixLength - 96)
            : parsed;
        return true;
    }

    private static int MaxPrefix(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
}
