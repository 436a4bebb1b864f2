using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Channels.UnionPay;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Demo;

internal sealed record SandboxUnionPayMerchantRequest(string MerchantPublicKeyPem, string ChannelAccountId);

internal sealed record SandboxUnionPayMerchantResponse(string MerId, string CertId, string RootCertPem, string MiddleCertPem);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SandboxUnionPayMerchantRequest))]
[JsonSerializable(typeof(SandboxUnionPayMerchantResponse))]
internal sealed partial class DemoUnionPayJson : JsonSerializerContext;

public static partial class DemoSeeder
{
    /// <summary>Onboards a merchant at the sandbox UnionPay gateway, uploading only the public half of a signing key
    /// made here, and stores the channel account with the certId and the root and middle certificates it answered.</summary>
    private static async Task SeedUnionPayAccountAsync(
        TableDirectories directories, HttpClient http, Uri sandbox, string merchantId, string channelAccountId, CancellationToken cancellationToken)
    {
        using var signingKey = RSA.Create(2048);
        using var response = await http.PostAsJsonAsync(
            new Uri(sandbox, "sandbox/unionpay/merchants"), new SandboxUnionPayMerchantRequest(signingKey.ExportSubjectPublicKeyInfoPem(), channelAccountId),
            DemoUnionPayJson.Default.SandboxUnionPayMerchantRequest, cancellationToken);
        response.EnsureSuccessStatusCode();
        var unionPay = await response.Content.ReadFromJsonAsync(DemoUnionPayJson.Default.SandboxUnionPayMerchantResponse, cancellationToken)
            ?? throw new InvalidOperationException("The sandbox answered UnionPay onboarding with nothing.");
        await directories.SaveChannelAccountAsync(new ChannelAccountRecord(
            channelAccountId, UnionPayChannel.ChannelName, "Demo UnionPay (sandbox)", "sandbox", merchantId, sandbox.ToString(),
            new Dictionary<string, string>
            {
                ["merId"] = unionPay.MerId,
                ["merchantPrivateKeyPem"] = signingKey.ExportPkcs8PrivateKeyPem(),
                ["merchantCertId"] = unionPay.CertId,
                ["rootCertPem"] = unionPay.RootCertPem,
                ["middleCertPem"] = unionPay.MiddleCertPem,
            }), cancellationToken);
    }
}
