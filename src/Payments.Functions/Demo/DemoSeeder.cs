using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Identity;
using Payments.Core.Messaging;
using Payments.Infrastructure.Keys;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Demo;

/// <summary>.local/demo.json. <paramref name="OperatorKey"/> is the local admin operator key: run.sh hands it
/// to the function app as Operators:Keys:0 and it authorises /api/v1/admin (Authorization: Bearer …).</summary>
public sealed record DemoFile(string ApiBaseUrl, string SandboxBaseUrl, string AppId, string AppSecret, string WebhookSecret, string? OperatorKey = null);

public sealed record SeededApp(string MerchantId, string AppId, string AppSecret, string WebhookSecret, string ChannelAccountId, string? AlipayChannelAccountId = null, string? CardChannelAccountId = null,
    string? UnionPayChannelAccountId = null, string? TransferChannelAccountId = null, string? EcnyChannelAccountId = null);

/// <summary><paramref name="ChannelAccountId"/> lets the sandbox's statement routes name the merchant by our channel account id.</summary>
internal sealed record SandboxMerchantRequest(string MchId, string MerchantSerialNo, string MerchantPublicKeyPem, string ApiV3Key, string ChannelAccountId);

internal sealed record SandboxMerchantResponse(string PlatformSerialNo, string PlatformPublicKeyPem);

internal sealed record SandboxAlipayAppRequest(string AppPublicKeyPem, string ChannelAccountId);

internal sealed record SandboxAlipayAppResponse(string AppId, string AlipayPublicKeyPem);

internal sealed record SandboxCardMerchantRequest(string ChannelAccountId);

internal sealed record SandboxCardMerchantResponse(string MerchantAccount, string ApiKey, string HmacKeyHex);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(DemoFile))]
[JsonSerializable(typeof(SandboxMerchantRequest))]
[JsonSerializable(typeof(SandboxMerchantResponse))]
[JsonSerializable(typeof(SandboxAlipayAppRequest))]
[JsonSerializable(typeof(SandboxAlipayAppResponse))]
[JsonSerializable(typeof(SandboxCardMerchantRequest))]
[JsonSerializable(typeof(SandboxCardMerchantResponse))]
internal sealed partial class DemoJson : JsonSerializerContext;

/// <summary>Seeds a merchant, a wechatpay channel account onboarded at the sandbox, and an app: what
/// an operator would do through the admin API, done directly for local runs and tests.</summary>
public static partial class DemoSeeder
{
    /// <summary>seed-demo [--sandbox URL] [--api URL] [--out FILE]; storage from Storage__ConnectionString.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name, string fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        string sandbox = Arg("--sandbox", "http://127.0.0.1:7072");
        string api = Arg("--api", "http://127.0.0.1:7071");
        string output = Arg("--out", ".local/demo.json");
        var storage = new StorageOptions
        {
            ConnectionString = Environment.GetEnvironmentVariable("Storage__ConnectionString") ?? "UseDevelopmentStorage=true",
            TablePrefix = Environment.GetEnvironmentVariable("Storage__TablePrefix") ?? "",
            QueuePrefix = Environment.GetEnvironmentVariable("Storage__QueuePrefix") ?? "",
        };
        var clients = new StorageClients(storage);
        await clients.EnsureCreatedAsync(Queues.All, CancellationToken.None);
        var secrets = SecretsFromEnvironment();

        // Keep the demo app's secrets across runs, so a storefront configured once keeps working.
        DemoFile? previous = File.Exists(output) ? JsonSerializer.Deserialize(await File.ReadAllTextAsync(output), DemoJson.Default.DemoFile) : null;
        using var http = new HttpClient();
        var seeded = await SeedAsync(clients, secrets, http, new Uri(sandbox), "mch_demo", "app_demo", "ca_demo_wechatpay", $"{api.TrimEnd('/')}/demo/webhooks",
            previous?.AppSecret, previous?.WebhookSecret, CancellationToken.None);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        string operatorKey = previous?.OperatorKey ?? "opk_" + RandomString(40);
        var demo = new DemoFile(api, sandbox, seeded.AppId, seeded.AppSecret, seeded.WebhookSecret, operatorKey);
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(demo, DemoJson.Default.DemoFile));
        Console.WriteLine($"Seeded merchant {seeded.MerchantId}, app {seeded.AppId}, channel accounts {string.Join(", ", new[] { seeded.ChannelAccountId, seeded.AlipayChannelAccountId, seeded.UnionPayChannelAccountId, seeded.CardChannelAccountId, seeded.TransferChannelAccountId, seeded.EcnyChannelAccountId }.OfType<string>())}; wrote {output}");
        return 0;
    }

    /// <summary>The app's secrets are sealed with the key ring the app will read them with: the same
    /// Keys__* settings (run.sh sets none, so both use the Local ring under .local/keys).</summary>
    private static SecretProtector SecretsFromEnvironment()
    {
        var keys = new KeysOptions();
        if (Environment.GetEnvironmentVariable("Keys__Provider") is { Length: > 0 } provider)
        {
            keys.Provider = Enum.TryParse<KeyProvider>(provider, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new InvalidOperationException($"Keys__Provider '{provider}' is neither Local nor KeyVault.");
        }

        keys.VaultUri = Uri.TryCreate(Environment.GetEnvironmentVariable("Keys__VaultUri"), UriKind.Absolute, out var vault) ? vault : null;
        keys.KeyName = Environment.GetEnvironmentVariable("Keys__KeyName") is { Length: > 0 } name ? name : keys.KeyName;
        keys.LocalDirectory = Environment.GetEnvironmentVariable("Keys__LocalDirectory") is { Length: > 0 } directory ? directory : keys.LocalDirectory;
        var ring = keys.CreateKeyRing(() => new DefaultAzureCredential(), TimeProvider.System);
        return new SecretProtector(ring, keys.KeyName, TimeProvider.System);
    }

    /// <summary>Onboards a wechatpay merchant and an alipay app at the sandbox and stores both channel accounts and an app using them.</summary>
    public static async Task<SeededApp> SeedAsync(
        StorageClients clients, SecretProtector secrets, HttpClient http, Uri sandbox, string merchantId, string appId, string channelAccountId, string? notifyUrl,
        string? appSecret, string? webhookSecret, CancellationToken cancellationToken)
    {
        using var merchantKey = RSA.Create(2048);
        string mchId = "19" + RandomNumberGenerator.GetInt32(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string serial = Convert.ToHexString(RandomNumberGenerator.GetBytes(20));
        string apiV3Key = RandomString(32);
        var registration = new SandboxMerchantRequest(mchId, serial, merchantKey.ExportSubjectPublicKeyInfoPem(), apiV3Key, channelAccountId);
        using var response = await http.PostAsJsonAsync(new Uri(sandbox, "sandbox/wechatpay/merchants"), registration, DemoJson.Default.SandboxMerchantRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var platform = await response.Content.ReadFromJsonAsync(DemoJson.Default.SandboxMerchantResponse, cancellationToken)
            ?? throw new InvalidOperationException("The sandbox answered onboarding with nothing.");

        var directories = new TableDirectories(clients, secrets, TimeProvider.System);
        await directories.SaveChannelAccountAsync(new ChannelAccountRecord(
            channelAccountId, "wechatpay", "Demo WeChat Pay (sandbox)", "sandbox", merchantId, sandbox.ToString(),
            new Dictionary<string, string>
            {
                ["appId"] = "wx" + RandomString(16).ToLowerInvariant(),
                ["mchId"] = mchId,
                ["merchantSerialNo"] = serial,
                ["merchantPrivateKeyPem"] = merchantKey.ExportPkcs8PrivateKeyPem(),
                ["apiV3Key"] = apiV3Key,
                ["platformSerialNo"] = platform.PlatformSerialNo,
                ["platformPublicKeyPem"] = platform.PlatformPublicKeyPem,
            }), cancellationToken);

        appSecret ??= "sk_" + RandomString(40);
        webhookSecret ??= "whsec_" + RandomString(40);
        // The merchant is active: seeding stands for the review an operator would have done.
        var now = DateTimeOffset.UtcNow;
        var merchants = new TableMerchantDirectory(clients, TimeProvider.System);
        if (await merchants.GetMerchantAsync(merchantId, cancellationToken) is not { } existing)
        {
            await merchants.TryAddMerchantAsync(new Core.Apps.Merchant(merchantId, "Demo merchant", "demo@example.com", Core.Apps.MerchantStatus.Active, now, now), cancellationToken);
        }
        else if (existing.Value.Status != Core.Apps.MerchantStatus.Active)
        {
            await merchants.TryReplaceMerchantAsync(existing, existing.Value with { Status = Core.Apps.MerchantStatus.Active, UpdatedAt = now }, cancellationToken);
        }

        string alipayAccountId = AlipayAccountId(channelAccountId);
        await SeedAlipayAccountAsync(directories, http, sandbox, merchantId, alipayAccountId, cancellationToken);
        string cardAccountId = AlipayAccountId(channelAccountId)[..^"_alipay".Length] + "_card";
        await SeedCardAccountAsync(directories, http, sandbox, merchantId, cardAccountId, cancellationToken);
        string transferAccountId = (channelAccountId.EndsWith("_wechatpay", StringComparison.Ordinal) ? channelAccountId[..^"_wechatpay".Length] : channelAccountId) + "_transfer";
        await SeedTransferAccountAsync(directories, http, sandbox, merchantId, transferAccountId, cancellationToken);
        string ecnyAccountId = (channelAccountId.EndsWith("_wechatpay", StringComparison.Ordinal) ? channelAccountId[..^"_wechatpay".Length] : channelAccountId) + "_ecny";
        await SeedEcnyAccountAsync(directories, http, sandbox, merchantId, ecnyAccountId, cancellationToken);
        string unionPayAccountId = (channelAccountId.EndsWith("_wechatpay", StringComparison.Ordinal) ? channelAccountId[..^"_wechatpay".Length] : channelAccountId) + "_unionpay";
        await SeedUnionPayAccountAsync(directories, http, sandbox, merchantId, unionPayAccountId, cancellationToken);

        await directories.SaveAppAsync(new AppRecord(
            appId, merchantId, "Demo storefront", new Dictionary<string, string> { ["wechatpay"] = channelAccountId, ["alipay"] = alipayAccountId, ["card"] = cardAccountId, ["transfer"] = transferAccountId, ["ecny"] = ecnyAccountId, ["unionpay"] = unionPayAccountId }, notifyUrl,
            [appSecret], [webhookSecret], Active: true), cancellationToken);
        return new SeededApp(merchantId, appId, appSecret, webhookSecret, channelAccountId, alipayAccountId, cardAccountId, TransferChannelAccountId: transferAccountId, EcnyChannelAccountId: ecnyAccountId, UnionPayChannelAccountId: unionPayAccountId);
    }

    /// <summary>ca_demo_wechatpay -> ca_demo_alipay: the Alipay account seeded next to a WeChat Pay one.</summary>
    private static string AlipayAccountId(string wechatPayAccountId) =>
        (wechatPayAccountId.EndsWith("_wechatpay", StringComparison.Ordinal) ? wechatPayAccountId[..^"_wechatpay".Length] : wechatPayAccountId) + "_alipay";

    /// <summary>Creates an app on the sandbox's Alipay open platform, uploading only the public half of an
    /// application key made here, and stores the channel account (the endpoint is the sandbox's base URL;
    /// the adapter appends /gateway.do).</summary>
    private static async Task SeedAlipayAccountAsync(
        TableDirectories directories, HttpClient http, Uri sandbox, string merchantId, string channelAccountId, CancellationToken cancellationToken)
    {
        using var appKey = RSA.Create(2048);
        using var response = await http.PostAsJsonAsync(
            new Uri(sandbox, "sandbox/alipay/apps"), new SandboxAlipayAppRequest(appKey.ExportSubjectPublicKeyInfoPem(), channelAccountId), DemoJson.Default.SandboxAlipayAppRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var alipay = await response.Content.ReadFromJsonAsync(DemoJson.Default.SandboxAlipayAppResponse, cancellationToken)
            ?? throw new InvalidOperationException("The sandbox answered Alipay onboarding with nothing.");
        await directories.SaveChannelAccountAsync(new ChannelAccountRecord(
            channelAccountId, "alipay", "Demo Alipay (sandbox)", "sandbox", merchantId, sandbox.ToString(),
            new Dictionary<string, string>
            {
                ["appId"] = alipay.AppId,
                ["appPrivateKeyPem"] = appKey.ExportPkcs8PrivateKeyPem(),
                ["alipayPublicKeyPem"] = alipay.AlipayPublicKeyPem,
            }), cancellationToken);
    }

    /// <summary>Onboards a merchant account at the sandbox card acquirer and stores its channel account; the
    /// acquirer issues the API key and the webhook HMAC key, as real acquirers' customer areas do.</summary>
    private static async Task SeedCardAccountAsync(
        TableDirectories directories, HttpClient http, Uri sandbox, string merchantId, string channelAccountId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(
            new Uri(sandbox, "sandbox/card/merchants"), new SandboxCardMerchantRequest(channelAccountId), DemoJson.Default.SandboxCardMerchantRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var card = await response.Content.ReadFromJsonAsync(DemoJson.Default.SandboxCardMerchantResponse, cancellationToken)
            ?? throw new InvalidOperationException("The sandbox answered card onboarding with nothing.");
        await directories.SaveChannelAccountAsync(new ChannelAccountRecord(
            channelAccountId, "card", "Demo card acquirer (sandbox)", "sandbox", merchantId, sandbox.ToString(),
            new Dictionary<string, string>
            {
                ["merchantAccount"] = card.MerchantAccount,
                ["apiKey"] = card.ApiKey,
                ["hmacKeyHex"] = card.HmacKeyHex,
            }), cancellationToken);
    }

    private static string RandomString(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);
}
