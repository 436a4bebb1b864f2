using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Channels.Transfer;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Demo;

internal sealed record SandboxTransferMerchantRequest(string ChannelAccountId);

internal sealed record SandboxTransferMerchantResponse(string CorporateId, string ApiKeyHex, string NotifyKeyHex);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SandboxTransferMerchantRequest))]
[JsonSerializable(typeof(SandboxTransferMerchantResponse))]
internal sealed partial class DemoTransferJson : JsonSerializerContext;

public static partial class DemoSeeder
{
    /// <summary>Onboards a corporate at the sandbox bank's collections API and stores its channel account; the bank
    /// issues the request key and the notification key, as a bank's corporate onboarding does.</summary>
    private static async Task SeedTransferAccountAsync(
        TableDirectories directories, HttpClient http, Uri sandbox, string merchantId, string channelAccountId, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsJsonAsync(
            new Uri(sandbox, "sandbox/transfer/merchants"), new SandboxTransferMerchantRequest(channelAccountId), DemoTransferJson.Default.SandboxTransferMerchantRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var bank = await response.Content.ReadFromJsonAsync(DemoTransferJson.Default.SandboxTransferMerchantResponse, cancellationToken)
            ?? throw new InvalidOperationException("The sandbox answered bank transfer onboarding with nothing.");
        await directories.SaveChannelAccountAsync(new ChannelAccountRecord(
            channelAccountId, TransferChannel.ChannelName, "Demo bank transfer (sandbox)", "sandbox", merchantId, sandbox.ToString(),
            new Dictionary<string, string>
            {
                ["corporateId"] = bank.CorporateId,
                ["apiKeyHex"] = bank.ApiKeyHex,
                ["notifyKeyHex"] = bank.NotifyKeyHex,
            }), cancellationToken);
    }
}
