using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Core.Messaging;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Demo;

public sealed record DemoFile(string ApiBaseUrl, string SandboxBaseUrl, string AppId, string AppSecret, string WebhookSecret);

public sealed record SeededApp(string MerchantId, string AppId, string AppSecret, string WebhookSecret, string ChannelAccountId);

internal sealed record SandboxMerchantRequest(string MchId, string MerchantSerialNo, string MerchantPublicKeyPem, string ApiV3Key);

internal sealed record SandboxMerchantResponse(string PlatformSerialNo, string PlatformPublicKeyPem);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(DemoFile))]
[JsonSerializable(typeof(SandboxMerchantRequest))]
[JsonSerializable(typeof(SandboxMerchantResponse))]
internal sealed partial class DemoJson : JsonSerializerContext;

/// <summary>Seeds a merchant, a wechatpay channel account onboarded at the sandbox, and an app: what
/// an operator would do through the admin API, done directly for local runs and tests.</summary>
public static class DemoSeeder
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

        // Keep the demo app's secrets across runs, so a storefront configured once keeps working.
        DemoFile? previous = File.Exists(output) ? JsonSerializer.Deserialize(await File.ReadAllTextAsync(output), DemoJson.Default.DemoFile) : null;
        using var http = new HttpClient();
        var seeded = await SeedAsync(clients, http, new Uri(sandbox), "mch_demo", "app_demo", "ca_demo_wechatpay", $"{api.TrimEnd('/')}/demo/webhooks",
            previous?.AppSecret, previous?.WebhookSecret, CancellationToken.None);

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        var demo = new DemoFile(api, sandbox, seeded.AppId, seeded.AppSecret, seeded.WebhookSecret);
        await File.WriteAllTextAsync(output, JsonSerializer.Serialize(demo, DemoJson.Default.DemoFile));
        Console.WriteLine($"Seeded merchant {seeded.MerchantId}, app {seeded.AppId}, channel account {seeded.ChannelAccountId}; wrote {output}");
        return 0;
    }

    /// <summary>Onboards a wechatpay merchant at the sandbox and stores the channel account and an app using it.</summary>
    public static async Task<SeededApp> SeedAsync(
        StorageClients clients, HttpClient http, Uri sandbox, string merchantId, string appId, string channelAccountId, string? notifyUrl,
        string? appSecret, string? webhookSecret, CancellationToken cancellationToken)
    {
        using var merchantKey = RSA.Create(2048);
        string mchId = "19" + RandomNumberGenerator.GetInt32(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string serial = Convert.ToHexString(RandomNumberGenerator.GetBytes(20));
        string apiV3Key = RandomString(32);
        var registration = new SandboxMerchantRequest(mchId, serial, merchantKey.ExportSubjectPublicKeyInfoPem(), apiV3Key);
        using var response = await http.PostAsJsonAsync(new Uri(sandbox, "sandbox/wechatpay/merchants"), registration, DemoJson.Default.SandboxMerchantRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var platform = await response.Content.ReadFromJsonAsync(DemoJson.Default.SandboxMerchantResponse, cancellationToken)
            ?? throw new InvalidOperationException("The sandbox answered onboarding with nothing.");

        var directories = new TableDirectories(clients, TimeProvider.System);
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
        await directories.SaveAppAsync(new AppRecord(
            appId, merchantId, "Demo storefront", new Dictionary<string, string> { ["wechatpay"] = channelAccountId }, notifyUrl,
            [appSecret], [webhookSecret], Active: true), cancellationToken);
        return new SeededApp(merchantId, appId, appSecret, webhookSecret, channelAccountId);
    }

    private static string RandomString(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);
}
