using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// Alipay's own signing key, generated once per process: a new key each run keeps adapters honest
/// about taking it from onboarding rather than pinning one.
/// </summary>
internal sealed class AlipayKey : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    // RSA instances are not documented as safe for concurrent use.
    private readonly Lock _gate = new();

    public AlipayKey() => PublicKeyPem = _key.ExportSubjectPublicKeyInfoPem();

    public string PublicKeyPem { get; }

    public string Sign(string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        lock (_gate)
        {
            return Convert.ToBase64String(_key.SignData(bytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }
    }

    public void Dispose() => _key.Dispose();
}

/// <summary>The RSA2 rules as the gateway applies them, and the formats of its amounts and times.</summary>
internal static class AlipaySignatures
{
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    /// <summary>
    /// Names sorted by UTF-16 code unit, empty names and values skipped, <c>sign</c> left out (and
    /// <c>sign_type</c> too for notifications), joined as <c>name=value&amp;…</c>.
    /// </summary>
    public static string Content(IReadOnlyDictionary<string, string> parameters, bool withoutSignType) =>
        string.Join('&', parameters
            .Where(p => p.Key.Length > 0 && p.Value.Length > 0 && p.Key != "sign" && !(withoutSignType && p.Key == "sign_type"))
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Key + "=" + p.Value));

    public static bool Verify(byte[] subjectPublicKeyInfo, string content, string signature)
    {
        byte[] signatureBytes;
        try
        {
            signatureBytes = Convert.FromBase64String(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        return rsa.VerifyData(Encoding.UTF8.GetBytes(content), signatureBytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Fen as the gateway writes yuan: always two decimals.</summary>
    public static string Yuan(long fen) =>
        (fen / 100).ToString(CultureInfo.InvariantCulture) + "." + (fen % 100).ToString("00", CultureInfo.InvariantCulture);

    /// <summary>Yuan as the gateway reads it: digits with at most two decimals, worked out in whole fen.</summary>
    public static bool TryParseYuan(string? text, out long fen)
    {
        fen = 0;
        if (string.IsNullOrEmpty(text) || text.Length > 16)
        {
            return false;
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "" : text[(dot + 1)..];
        if (whole.Length == 0 || fraction.Length > 2 || (dot >= 0 && fraction.Length == 0)
            || !whole.All(char.IsAsciiDigit) || !fraction.All(char.IsAsciiDigit))
        {
            return false;
        }

        fen = (long.Parse(whole, CultureInfo.InvariantCulture) * 100) + (fraction.Length == 0 ? 0 : int.Parse(fraction.PadRight(2, '0'), CultureInfo.InvariantCulture));
        return true;
    }

    public static string Time(DateTimeOffset instant) =>
        instant.ToOffset(Beijing).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string? text, out DateTimeOffset instant)
    {
        instant = default;
        if (!DateTime.TryParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }

        instant = new DateTimeOffset(local, Beijing);
        return true;
    }
}
