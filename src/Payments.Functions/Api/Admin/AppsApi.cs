using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Apps;
using Payments.Core.Audit;
using Payments.Core.Channels;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Api.Admin;

/// <summary>api.md Operators/Apps and Channel accounts. Secrets are shown once, in the answer that
/// creates or rotates them; credentials never. Stored envelope-encrypted by <see cref="TableDirectories"/>.</summary>
public static class AppsApi
{
    /// <summary>How long the previous secrets keep working after a rotation, so storefronts can roll
    /// the new ones out without a moment where requests or webhook checks fail.</summary>
    public static readonly TimeSpan RotationOverlap = TimeSpan.FromHours(24);

    public static RouteGroupBuilder MapAppsApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/merchants/{id}/apps", CreateAppAsync).RequireRole(OperatorRole.Admin);
        admin.MapGet("/apps/{id}", GetAppAsync).RequireRole(OperatorRole.Auditor);
        admin.MapPost("/apps/{id}/rotate-secrets", RotateAsync).RequireRole(OperatorRole.Admin);
        admin.MapPost("/channel-accounts", CreateAccountAsync).RequireRole(OperatorRole.Admin);
        admin.MapGet("/channel-accounts", ListAccountsAsync).RequireRole(OperatorRole.Auditor);
        return admin;
    }

    private static async Task<Results<Created<AppCreatedDto>, ProblemHttpResult>> CreateAppAsync(
        HttpContext http, string id, IMerchantDirectory merchants, TableDirectories directories, IEnumerable<IPaymentChannel> adapters, IAuditTrail audit,
        TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await AdminBody.ReadAsync(http, AdminJson.Default.CreateAppCommand, cancellationToken);
        if (body.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        if (await merchants.GetMerchantAsync(id, cancellationToken) is not { } merchant)
        {
            return Problems.NotFound("merchant");
        }

        var command = body.Value!;
        var errors = new Dictionary<string, string[]>();
        string? name = command.Name?.Trim();
        if (!AdminText.IsName(name))
        {
            errors["name"] = [$"1 to {AdminText.MaxNameLength} printable characters."];
        }

        if (command.NotifyUrl is { } url && !IsWebUrl(url))
        {
            errors["notifyUrl"] = ["An absolute http(s) URL of at most 2048 characters."];
        }

        var known = adapters.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        var channels = command.Channels ?? [];
        var accounts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (channels.Count == 0 || channels.Count > known.Count || channels.Distinct().Count() != channels.Count)
        {
            errors["channels"] = [$"A list of distinct channels among: {string.Join(", ", known.Order())}."];
        }
        else
        {
            var all = await directories.ListChannelAccountsAsync(cancellationToken).ToListAsync(cancellationToken);
            foreach (string? channel in channels)
            {
                if (channel is null || !known.Contains(channel))
                {
                    errors["channels"] = [$"Unknown channel '{channel}'; known: {string.Join(", ", known.Order())}."];
                    break;
                }

                // The merchant's own account for the channel if it has one, else the platform's shared one.
                var account = all.Where(a => a.Channel == channel && a.MerchantId == id).OrderBy(a => a.Id, StringComparer.Ordinal).FirstOrDefault()
                    ?? all.Where(a => a.Channel == channel && a.MerchantId is null).OrderBy(a => a.Id, StringComparer.Ordinal).FirstOrDefault();
                if (account is null)
                {
                    errors["channels"] = [$"No channel account (the merchant's own or a shared one) exists for '{channel}'."];
                    break;
                }

                accounts[channel] = account.Id;
            }
        }

        if (errors.Count > 0)
        {
            return Problems.From(Problem.Validation(errors));
        }

        string appSecret = NewSecret("sk_");
        string webhookSecret = NewSecret("whsec_");
        var record = new AppRecord(Ids.Random("app_"), merchant.Value.Id, name!, accounts, command.NotifyUrl, [appSecret], [webhookSecret], Active: true);
        await directories.SaveAppAsync(record, cancellationToken);
        var now = time.GetUtcNow();
        await audit.AppendAsync(new AuditRecord(now, http.Operator().Actor, "app.created", record.Id, null, Summary(record), http.TraceIdentifier), cancellationToken);
        return TypedResults.Created($"/api/v1/admin/apps/{record.Id}",
            new AppCreatedDto(record.Id, record.MerchantId, record.Name, [.. accounts.Keys], record.NotifyUrl, appSecret, webhookSecret, null));
    }

    private static async Task<Results<Ok<AppDto>, ProblemHttpResult>> GetAppAsync(string id, TableDirectories directories, CancellationToken cancellationToken) =>
        await directories.GetAppRecordAsync(id, cancellationToken) is { } r ? TypedResults.Ok(AppDto.From(r)) : Problems.NotFound("app");

    private static async Task<Results<Ok<AppCreatedDto>, ProblemHttpResult>> RotateAsync(
        HttpContext http, string id, TableDirectories directories, IAppDirectory apps, IAuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await directories.GetAppRecordAsync(id, cancellationToken) is not { } record || await apps.GetAppAsync(id, cancellationToken) is not { } app)
        {
            return Problems.NotFound("app");
        }

        var now = time.GetUtcNow();
        string appSecret = NewSecret("sk_");
        string webhookSecret = NewSecret("whsec_");
        var until = now + RotationOverlap;
        // Newest first; only the secrets current until now stay, so a second rotation retires the oldest.
        var rotated = record with
        {
            AppSecrets = [appSecret, app.AppSecrets[0].Reveal()],
            WebhookSecrets = [webhookSecret, app.WebhookSecrets[0].Reveal()],
            PreviousSecretsValidUntil = until,
        };
        await directories.SaveAppAsync(rotated, cancellationToken);
        await audit.AppendAsync(new AuditRecord(now, http.Operator().Actor, "app.secrets_rotated", id, null, $"previousValidUntil={until:O}", http.TraceIdentifier), cancellationToken);
        return TypedResults.Ok(new AppCreatedDto(id, record.MerchantId, record.Name, [.. record.ChannelAccounts.Keys], record.NotifyUrl, appSecret, webhookSecret, until));
    }

    private static async Task<Results<Created<ChannelAccountDto>, ProblemHttpResult>> CreateAccountAsync(
        HttpContext http, TableDirectories directories, IMerchantDirectory merchants, IEnumerable<IPaymentChannel> adapters, ChannelEndpoints endpoints,
        IAuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await AdminBody.ReadAsync(http, AdminJson.Default.CreateChannelAccountCommand, cancellationToken);
        if (body.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        var c = body.Value!;
        var errors = new Dictionary<string, string[]>();
        var known = adapters.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        if (c.Channel is null || !known.Contains(c.Channel))
        {
            errors["channel"] = [$"One of: {string.Join(", ", known.Order())}."];
        }

        string? name = c.Name?.Trim();
        if (!AdminText.IsName(name))
        {
            errors["name"] = [$"1 to {AdminText.MaxNameLength} printable characters."];
        }

        if (c.Mode is not ("sandbox" or "live"))
        {
            errors["mode"] = ["sandbox or live."];
        }

        if (c.MerchantId is not null && await merchants.GetMerchantAsync(c.MerchantId, cancellationToken) is null)
        {
            errors["merchantId"] = ["No such merchant (leave it out for a shared platform account)."];
        }

        if (c.Channel is not null && known.Contains(c.Channel))
        {
            foreach (var (field, problem) in ChannelCredentialRules.Check(c.Channel, c.Credentials))
            {
                errors["credentials." + field] = [problem];
            }
        }

        if (errors.Count > 0)
        {
            return Problems.From(Problem.Validation(errors));
        }

        var record = new ChannelAccountRecord(
            Ids.Random("ca_"), c.Channel!, name!, c.Mode!, c.MerchantId, endpoints.For(c.Channel!, c.Mode!).ToString(),
            new Dictionary<string, string>(c.Credentials!, StringComparer.Ordinal));
        await directories.SaveChannelAccountAsync(record, cancellationToken);
        var dto = ChannelAccountDto.From(record);
        await audit.AppendAsync(new AuditRecord(time.GetUtcNow(), http.Operator().Actor, "channel_account.created", record.Id, null,
            $"channel={dto.Channel} mode={dto.Mode} merchantId={dto.MerchantId ?? "shared"} credentials={string.Join(",", record.Credentials.Keys.Order())}",
            http.TraceIdentifier), cancellationToken);
        return TypedResults.Created($"/api/v1/admin/channel-accounts/{record.Id}", dto);
    }

    private static async Task<Ok<ListDto<ChannelAccountDto>>> ListAccountsAsync(TableDirectories directories, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ListDto<ChannelAccountDto>(
            [.. (await directories.ListChannelAccountsAsync(cancellationToken).ToListAsync(cancellationToken)).Select(ChannelAccountDto.From).OrderBy(a => a.Id, StringComparer.Ordinal)],
            false));

    private static bool IsWebUrl(string url) =>
        url.Length <= 2048 && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && string.IsNullOrEmpty(uri.UserInfo);

    private static string NewSecret(string prefix) =>
        prefix + RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40);

    private static string Summary(AppRecord r) =>
        $"merchantId={r.MerchantId} name={r.Name} channels={string.Join(",", r.ChannelAccounts.Select(kv => kv.Key + ":" + kv.Value))} notifyUrl={r.NotifyUrl ?? "-"}";
}

/// <summary>Which credentials each channel needs (api.md lists them): checked when an account is created,
/// so a missing key fails here and not at the first payment.</summary>
public static class ChannelCredentialRules
{
    private static readonly Dictionary<string, (string[] Required, string[] Optional)> Rules = new(StringComparer.Ordinal)
    {
        ["wechatpay"] = (["mchId", "merchantSerialNo", "merchantPrivateKeyPem", "apiV3Key", "platformSerialNo", "platformPublicKeyPem"], ["appId"]),
        ["alipay"] = (["appId", "appPrivateKeyPem", "alipayPublicKeyPem"], []),
        ["card"] = (["merchantAccount", "apiKey", "hmacKeyHex"], []),
        ["transfer"] = (["corporateId", "apiKeyHex", "notifyKeyHex"], []),
        ["unionpay"] = (["merId", "merchantPrivateKeyPem", "merchantCertId", "rootCertPem", "middleCertPem"], []),
        ["ecny"] = (["merchantNo", "merchantSerialNo", "merchantSm2PrivateKeyPem", "platformSerialNo", "platformSm2PublicKeyPem", "notifySm4KeyHex"], []),
    };

    public const int MaxValueLength = 8192;

    public static IEnumerable<(string Field, string Problem)> Check(string channel, Dictionary<string, string?>? credentials)
    {
        if (!Rules.TryGetValue(channel, out var rule))
        {
            yield return ("", $"Accounts for {channel} cannot be created here yet.");
            yield break;
        }

        credentials ??= [];
        foreach (string required in rule.Required.Where(r => !credentials.ContainsKey(r)))
        {
            yield return (required, "Required.");
        }

        foreach (var (key, value) in credentials)
        {
            if (!rule.Required.Contains(key) && !rule.Optional.Contains(key))
            {
                yield return (key, "Unknown credential for this channel.");
            }
            else if (string.IsNullOrWhiteSpace(value) || value.Length > MaxValueLength || value.Any(ch => char.IsControl(ch) && ch is not ('\n' or '\r')))
            {
                yield return (key, $"A non-empty string of at most {MaxValueLength} characters.");
            }
            else if (key.EndsWith("Pem", StringComparison.Ordinal) && !value.Contains("-----BEGIN ", StringComparison.Ordinal))
            {
                yield return (key, "A PEM block (-----BEGIN ...-----).");
            }
            else if (key.EndsWith("Hex", StringComparison.Ordinal) && (value.Length % 2 != 0 || !value.All(char.IsAsciiHexDigit)))
            {
                yield return (key, "Hexadecimal digits, an even number of them.");
            }
        }
    }
}

/// <summary>Where each channel is reached: the real gateways for live accounts, the sandbox for sandbox
/// ones (Channels:SandboxBaseUrl; Channels:LiveEndpoints:{channel} overrides a live one).</summary>
public sealed class ChannelEndpoints(IConfiguration configuration)
{
    private static readonly Dictionary<string, Uri> Live = new(StringComparer.Ordinal)
    {
        ["wechatpay"] = new("https://api.mch.weixin.qq.com/"),
        ["alipay"] = new("https://openapi.alipay.com/"),
        ["card"] = new("https://checkout.card-acquirer.example/"),
        ["transfer"] = new("https://corporate-api.bank.example/"),
        ["unionpay"] = new("https://gateway.95516.com/"),
        ["ecny"] = new("https://api.ecny-operator.example/"),
    };

    public Uri For(string channel, string mode) => mode == "sandbox"
        ? new Uri(configuration["Channels:SandboxBaseUrl"] ?? "http://127.0.0.1:7072/")
        : configuration[$"Channels:LiveEndpoints:{channel}"] is { } configured ? new Uri(configured) : Live[channel];
}

public sealed record CreateAppCommand(string? Name, List<string?>? Channels, string? NotifyUrl);

public sealed record AppCreatedDto(
    string Id, string MerchantId, string Name, IReadOnlyList<string> Channels, string? NotifyUrl, string AppSecret, string WebhookSecret,
    DateTimeOffset? PreviousValidUntil, string Object = "app");

public sealed record AppDto(
    string Id, string MerchantId, string Name, IReadOnlyList<string> Channels, string? NotifyUrl, bool Active, DateTimeOffset? PreviousValidUntil,
    string Object = "app")
{
    public static AppDto From(AppRecord r) => new(r.Id, r.MerchantId, r.Name, [.. r.ChannelAccounts.Keys], r.NotifyUrl, r.Active, r.PreviousSecretsValidUntil);
}

public sealed record CreateChannelAccountCommand(string? Channel, string? Name, string? Mode, string? MerchantId, Dictionary<string, string?>? Credentials);

public sealed record ChannelAccountDto(string Id, string Channel, string Name, string Mode, string? MerchantId, string Object = "channel_account")
{
    public static ChannelAccountDto From(ChannelAccountRecord r) => new(r.Id, r.Channel, r.Name, r.Mode, r.MerchantId);
}
