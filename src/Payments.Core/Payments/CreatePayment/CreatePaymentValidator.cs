using System.Net;
using System.Text.RegularExpressions;

namespace Payments.Core.Payments.CreatePayment;

public static partial class CreatePaymentValidator
{
    public const long MaxAmountMinorUnits = 100_000_000_000; // one billion in major units: far above any channel's limit
    public const int DefaultExpiresInSeconds = 1800;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex OrderNoPattern();

    public static Dictionary<string, string[]> Validate(CreatePaymentCommand c, int minExpiresInSeconds = 60)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
            {
                errors[field] = list = [];
            }

            list.Add(message);
        }

        if (string.IsNullOrEmpty(c.MerchantOrderNo))
        {
            Add("merchantOrderNo", "Required.");
        }
        else if (!OrderNoPattern().IsMatch(c.MerchantOrderNo))
        {
            Add("merchantOrderNo", "Must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'.");
        }

        if (c.Amount is null)
        {
            Add("amount", "Required: an integer count of minor units.");
        }
        else if (c.Amount < 1)
        {
            Add("amount", "Must be at least 1 minor unit.");
        }
        else if (c.Amount > MaxAmountMinorUnits)
        {
            Add("amount", $"Must be at most {MaxAmountMinorUnits} minor units.");
        }

        if (string.IsNullOrEmpty(c.Currency))
        {
            Add("currency", "Required: an ISO 4217 code in upper case.");
        }
        else if (!Core.Currency.TryParse(c.Currency, out _))
        {
            Add("currency", $"Unknown or unsupported currency '{Truncate(c.Currency)}'.");
        }

        if (string.IsNullOrEmpty(c.Channel))
        {
            Add("channel", "Required.");
        }
        else if (!KnownChannels.Methods.TryGetValue(c.Channel, out var methods))
        {
            Add("channel", $"Unknown channel; one of: {string.Join(", ", KnownChannels.Methods.Keys)}.");
        }
        else if (string.IsNullOrEmpty(c.Method))
        {
            Add("method", "Required.");
        }
        else if (!methods.Contains(c.Method))
        {
            Add("method", $"Channel '{c.Channel}' supports: {string.Join(", ", methods)}.");
        }

        if (string.IsNullOrWhiteSpace(c.Subject))
        {
            Add("subject", "Required.");
        }
        else
        {
            CheckText("subject", c.Subject, 128, Add);
        }

        if (c.Description is not null)
        {
            CheckText("description", c.Description, 1000, Add);
        }

        CheckUrl("notifyUrl", c.NotifyUrl, Add);
        CheckUrl("returnUrl", c.ReturnUrl, Add);

        if (c.ExpiresInSeconds is { } expires && (expires < minExpiresInSeconds || expires > 86_400))
        {
            Add("expiresInSeconds", $"Must be between {minExpiresInSeconds} and 86400.");
        }

        if (c.Payer is { } payer)
        {
            if (payer.Id is not null)
            {
                CheckText("payer.id", payer.Id, 64, Add);
            }

            if (payer.Ip is not null && !IPAddress.TryParse(payer.Ip, out _))
            {
                Add("payer.ip", "Must be an IPv4 or IPv6 address.");
            }
        }

        if (c.Metadata is { } metadata)
        {
            if (metadata.Count > 20)
            {
                Add("metadata", "At most 20 keys.");
            }

            foreach (var (key, value) in metadata)
            {
                if (key.Length is 0 or > 40 || HasControlCharacters(key))
                {
                    Add("metadata", "Keys must be 1 to 40 printable characters.");
                }

                if (value is null || value.Length > 500 || HasControlCharacters(value))
                {
                    Add("metadata", $"Value of '{Truncate(key)}' must be a string of at most 500 printable characters.");
                }
            }
        }

        return errors.ToDictionary(e => e.Key, e => e.Value.Distinct().ToArray());
    }

    private static void CheckText(string field, string value, int max, Action<string, string> add)
    {
        if (value.Length > max)
        {
            add(field, $"At most {max} characters.");
        }

        if (HasControlCharacters(value))
        {
            add(field, "Control characters are not allowed.");
        }
    }

    private static void CheckUrl(string field, string? value, Action<string, string> add)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > 1024
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            add(field, "Must be an absolute http(s) URL of at most 1024 characters.");
        }
    }

    private static bool HasControlCharacters(string s) => !PrintableText.IsPrintable(s);

    private static string Truncate(string s) => s.Length <= 16 ? s : s[..16] + "…";
}
