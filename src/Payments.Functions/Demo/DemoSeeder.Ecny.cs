using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Channels.Ecny;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Demo;

internal sealed record SandboxEcnyMerchantRequest(string MerchantSerialNo, string MerchantSm2PublicKeyPem, string ChannelAccountId);

internal sealed record SandboxEcnyMerchantResponse(string MerchantNo, string PlatformSerialNo, string PlatformSm2PublicKeyPem, string NotifySm4KeyHex);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SandboxEcnyMerchantRequest))]
[JsonSerializable(typeof(SandboxEcnyMerchantResponse))]
internal sealed partial class DemoEcnyJson : JsonSerializerContext;

public static partial class DemoSeeder
{
    /// <summary>Onboards a merchant at the sandbox e-CNY operator, uploading only the public half of an SM2 key made
    /// here, and stores the channel account with the platform's public key and the notification SM4 key it issued.</summary>
    private static async Task SeedEcnyAccountAsync(
        TableDirectories directories, HttpClient http, Uri sandbox, string merchantId, string channelAccountId, CancellationToken cancellationToken)
    {
        var (privateKeyPem, publicKeyPem) = EcnySigner.GenerateKeyPairPem();
        string serial = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        using var response = await http.PostAsJsonAsync(
            new Uri(sandbox, "sandbox/ecny/merchants"), new SandboxEcnyMerchantRequest(serial, publicKeyPem, channelAccountId), DemoEcnyJson.Default.SandboxEcnyMerchantRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var platform = await response.Content.ReadFromJsonAsync(DemoEcnyJson.Default.SandboxEcnyMerchantResponse, cancellationToken)
            ?? throw new InvalidOperationException("The sandbox answered e-CNY onboarding with nothing.");
        await directories.SaveChannelAccountAsync(new ChannelAccountRecord(
            channelAccountId, EcnyChannel.ChannelName, "Demo e-CNY wallet (sandbox)", "sandbox", merchantId, sandbox.ToString(),
            new Dictionary<string, string>
            {
                ["merchantNo"] = platform.MerchantNo,
                ["merchantSerialNo"] = serial,
                ["merchantSm2PrivateKeyPem"] = privateKeyPem,
                ["platformSerialNo"] = platform.PlatformSerialNo,
                ["platformSm2PublicKeyPem"] = platform.PlatformSm2PublicKeyPem,
                ["notifySm4KeyHex"] = platform.NotifySm4KeyHex,
            }), cancellationToken);
    }
}
