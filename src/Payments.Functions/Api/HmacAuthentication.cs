using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Payments.Core;
using Payments.Core.Apps;

namespace Payments.Functions.Api;

/// <summary>PAY1-HMAC-SHA256 (api.md). Checks run in an order that gives an attacker nothing: the
/// signature is verified before the nonce is spent, and every failure looks the same from outside.</summary>
public static partial class HmacAuthentication
{
    public const string Scheme = "PAY1-HMAC-SHA256";
    public const int MaxBodyBytes = 64 * 1024;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(300);
    private const string AppKey = "payments.app";
    private const string BodyKey = "payments.body";

    [GeneratedRegex("^[A-Za-z0-9_-]{16,64}$")]
    private static partial Regex NoncePattern();

    public static string StringToSign(string method, string pathAndQuery, long ts, string nonce, ReadOnlySpan<byte> body) =>
        $"{method}\n{pathAndQuery}\n{ts.ToString(CultureInfo.InvariantCulture)}\n{nonce}\n{Convert.ToHexStringLower(SHA256.HashData(body))}";

    public static string Sign(string secret, string stringToSign) =>
        Base64UrlNoPadding(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(stringToSign)));

    public static string AuthorizationHeader(string appId, string secret, string method, string pathAndQuery, long ts, string nonce, ReadOnlySpan<byte> body) =>
        $"{Scheme} app={appId},ts={ts.ToString(CultureInfo.InvariantCulture)},nonce={nonce},sig={Sign(secret, StringToSign(method, pathAndQuery, ts, nonce, body))}";

    private static string Base64UrlNoPadding(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The authenticated app of this request (set by the filter).</summary>
    public static App App(this HttpContext context) => (App)context.Items[AppKey]!;

    /// <summary>The raw request body, read once by the filter (its hash is signed).</summary>
    public static byte[] RawBody(this HttpContext context) => (byte[])context.Items[BodyKey]!;

    public static RouteGroupBuilder RequireMerchantSignature(this RouteGroupBuilder group) => group.AddEndpointFilter(async (invocation, next) =>
    {
        var http = invocation.HttpContext;
        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (body is null)
        {
            return Problems.From(new Problem(ProblemCodes.PayloadTooLarge, $"Bodies are limited to {MaxBodyBytes} bytes."));
        }

        http.Items[BodyKey] = body;
        var app = await AuthenticateAsync(http, body);
        if (app is null)
        {
            return Problems.Unauthorized();
        }

        // Only after the signature: an unsigned caller learns nothing about a merchant's standing.
        var merchant = await http.RequestServices.GetRequiredService<IMerchantDirectory>().GetMerchantCachedAsync(app.MerchantId, http.RequestAborted);
        if (merchant?.Status != MerchantStatus.Active)
        {
            return Problems.From(merchant?.Status == MerchantStatus.Suspended
                ? new Problem(ProblemCodes.MerchantSuspended, "This merchant is suspended: new requests are refused; payments already made still complete.")
                : new Problem(ProblemCodes.MerchantNotActive, "This merchant has not been activated yet."));
        }

        http.Items[AppKey] = app;
        if (http.RequestServices.GetService<AppRateLimiter>()?.Refuse(http, app.Id) is { } limited)
        {
            return limited;
        }

        return await next(invocation);
    });

    /// <summary>The whole body, or null when it is over <see cref="MaxBodyBytes"/>.</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                return null;
            }
        }

        return buffer.ToArray();
    }

    private static async Task<App?> AuthenticateAsync(HttpContext http, byte[] body)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(HmacAuthentication));
        string? header = http.Request.Headers.Authorization;
        if (header is null || !header.StartsWith(Scheme + " ", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in header[(Scheme.Length + 1)..].Split(',', StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !fields.TryAdd(part[..eq], part[(eq + 1)..]))
            {
                return null;
            }
        }

        if (!fields.TryGetValue("app", out string? appId) || !fields.TryGetValue("ts", out string? tsText)
            || !fields.TryGetValue("nonce", out string? nonce) || !fields.TryGetValue("sig", out string? sig)
            || !long.TryParse(tsText, NumberStyles.None, CultureInfo.InvariantCulture, out long ts)
            || !NoncePattern().IsMatch(nonce) || appId.Length > 64)
        {
            return null;
        }

        var time = http.RequestServices.GetRequiredService<TimeProvider>();
        var now = time.GetUtcNow();
        if (ts > now.ToUnixTimeSeconds() + (long)Window.TotalSeconds || ts < now.ToUnixTimeSeconds() - (long)Window.TotalSeconds)
        {
            logger.LogInformation("Refused request from {AppId}: time stamp outside the window", appId);
            return null;
        }

        var app = await http.RequestServices.GetRequiredService<IAppDirectory>().GetAppAsync(appId, http.RequestAborted);
        if (app is null || !app.Active)
        {
            logger.LogInformation("Refused request: unknown or inactive app {AppId}", appId);
            return null;
        }

        // The raw target as the client sent it: re-encoding the path here would break signatures.
        string? raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        string target = raw is not null && raw.StartsWith('/') ? raw : http.Request.PathBase + http.Request.Path + http.Request.QueryString;
        string toSign = StringToSign(http.Request.Method, target, ts, nonce, body);
        byte[] given = Encoding.ASCII.GetBytes(sig);
        bool valid = app.AppSecretsAt(now).Any(s => CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Sign(s.Reveal(), toSign))));
        if (!valid)
        {
            logger.LogInformation("Refused request from {AppId}: bad signature", appId);
            return null;
        }

        if (!await http.RequestServices.GetRequiredService<INonceStore>().TryUseAsync(appId, nonce, DateTimeOffset.FromUnixTimeSeconds(ts), http.RequestAborted))
        {
            logger.LogWarning("Refused request from {AppId}: nonce replayed", appId);
            return null;
        }

        return app;
    }
}
