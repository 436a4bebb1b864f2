using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Ecny;

/// <summary>
/// Posts notifications signed with the platform key, their resource encrypted with the merchant's SM4 key, and retries each until the merchant answers 200 with
/// {"code":"SUCCESS"}, on the schedule <c>Sandbox:Ecny:NotifyRetrySeconds</c>. Each attempt is signed afresh,
/// so a late retry is not refused as a replay.
/// </summary>
internal sealed partial class EcnyNotifier(
    IHttpClientFactory httpClients,
    TimeProvider time,
    FaultRegistry faults,
    EcnyPlatformKey platform,
    IConfiguration configuration,
    IHostApplicationLifetime lifetime,
    ILogger<EcnyNotifier> logger)
{
    public const string HttpClientName = "ecny-notify";

    private static readonly TimeSpan AcknowledgeTimeout = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<TimeSpan> _retries = NotifyRetries.Parse(configuration, "Sandbox:Ecny:NotifyRetrySeconds", "15,15,30,180,1800,3600");

    /// <summary>Records a notification about the order (or one of its refunds) and starts delivering it. Call under the order's lock.</summary>
    public void Send(EcnyOrderState order, string eventType, EcnyRefundAnswer? refund = null)
    {
        var fault = faults.TryConsume(FaultNames.Ecny, FaultNames.Notify);
        byte[] resource = refund is null
            ? JsonSerializer.SerializeToUtf8Bytes(order.Answer(""), EcnySandboxJson.Default.EcnyOrderAnswer)
            : JsonSerializer.SerializeToUtf8Bytes(refund, EcnySandboxJson.Default.EcnyRefundAnswer);
        string resourceType = refund is null ? "order" : "refund";
        var notification = new EcnyNotificationBody(
            "EN" + RandomNumberGenerator.GetHexString(30), eventType, EcnyTime.Format(time.GetUtcNow()), resourceType, Encrypt(order.Merchant.NotifyKey, resourceType, resource));
        string body = JsonSerializer.Serialize(notification, EcnySandboxJson.Default.EcnyNotificationBody);
        bool dropped = fault?.Mode == FaultMode.Drop;
        var record = new EcnyNotificationRecord(notification.Id, eventType, refund?.OutRefundNo, order.NotifyUrl, body, dropped);
        order.Notifications.Add(record);
        if (dropped)
        {
            LogDropped(record.Id, order.OutTradeNo);
            return;
        }

        var stopping = lifetime.ApplicationStopping;
        _ = NotifyRetries.RunAsync(time, _retries, record, fault, () => DeliverAsync(record, stopping), attempts => LogGaveUp(record.Id, attempts), stopping);
    }

    /// <summary>SM4-GCM (RFC 8998): 12-byte random nonce, 16-byte tag after the ciphertext, the resource type as associated data.</summary>
    private static EcnyEncryptedResource Encrypt(byte[] key, string associatedData, byte[] plaintext)
    {
        byte[] nonce = RandomNumberGenerator.GetBytes(12);
        var gcm = new GcmBlockCipher(new SM4Engine());
        gcm.Init(true, new AeadParameters(new KeyParameter(key), 128, nonce, Encoding.UTF8.GetBytes(associatedData)));
        var output = new byte[gcm.GetOutputSize(plaintext.Length)];
        int written = gcm.ProcessBytes(plaintext, 0, plaintext.Length, output, 0);
        written += gcm.DoFinal(output, written);
        return new EcnyEncryptedResource("SM4_GCM", Convert.ToBase64String(output, 0, written), Convert.ToBase64String(nonce), associatedData);
    }

    private async Task<bool> DeliverAsync(EcnyNotificationRecord record, CancellationToken stopping)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, record.NotifyUrl)
        {
            Content = new StringContent(record.Body, new UTF8Encoding(false), "application/json"),
        };
        string timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(32);
        request.Headers.TryAddWithoutValidation(EcnySandbox.SerialHeader, platform.SerialNo);
        request.Headers.TryAddWithoutValidation(EcnySandbox.TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(EcnySandbox.NonceHeader, nonce);
        request.Headers.TryAddWithoutValidation(EcnySandbox.SignatureHeader, platform.Sign(timestamp, nonce, Encoding.UTF8.GetBytes(record.Body)));
        return await NotificationPost.SendAsync(
            httpClients.CreateClient(HttpClientName), request, time, AcknowledgeTimeout, async (response, ct) => IsSuccess(await response.Content.ReadAsStringAsync(ct)) && response.StatusCode == HttpStatusCode.OK,
            (status, acknowledged) => LogDelivered(record.Id, status, acknowledged), reason => LogUndelivered(record.Id, reason), stopping);
    }

    private static bool IsSuccess(string answer)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String && code.GetString() == "SUCCESS";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Information, "e-CNY notification {Id} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string id, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "e-CNY notification {Id} not delivered: {Reason}")]
    private partial void LogUndelivered(string id, string reason);

    [LoggerMessage(LogLevel.Information, "e-CNY notification {Id} for {OutTradeNo} dropped by fault injection")]
    private partial void LogDropped(string id, string outTradeNo);

    [LoggerMessage(LogLevel.Warning, "e-CNY notification {Id} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string id, int attempts);
}
