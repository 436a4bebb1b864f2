using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using Payments.Sandbox.Faults;

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

    private readonly TimeSpan[] _retries = ParseSchedule(configuration["Sandbox:Ecny:NotifyRetrySeconds"] ?? "15,15,30,180,1800,3600");

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
        var record = new EcnyNotificationRecord(notification.Id, eventType, refund?.OutRefundNo, order.NotifyUrl, body, fault?.Mode == FaultMode.Duplicate, dropped);
        order.Notifications.Add(record);
        if (dropped)
        {
            LogDropped(record.Id, order.OutTradeNo);
            return;
        }

        var delay = fault?.Mode is FaultMode.Delay or FaultMode.Reorder ? fault.Delay : TimeSpan.Zero;
        _ = DeliverWithRetriesAsync(record, delay, lifetime.ApplicationStopping);
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

    private async Task DeliverWithRetriesAsync(EcnyNotificationRecord record, TimeSpan firstDelay, CancellationToken stopping)
    {
        try
        {
            if (firstDelay > TimeSpan.Zero)
            {
                await Task.Delay(firstDelay, time, stopping);
            }

            for (int attempt = 0; ; attempt++)
            {
                int copies = record.Duplicate ? 2 : 1;
                bool[] results = await Task.WhenAll(Enumerable.Range(0, copies).Select(_ => DeliverAsync(record, stopping)));
                bool acknowledged = results.Any(ok => ok);
                record.RecordAttempt(copies, acknowledged);
                if (acknowledged)
                {
                    return;
                }

                if (attempt >= _retries.Length)
                {
                    LogGaveUp(record.Id, attempt + 1);
                    return;
                }

                await Task.Delay(_retries[attempt], time, stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: pending notifications die with the process, as the orders do.
        }
    }

    private async Task<bool> DeliverAsync(EcnyNotificationRecord record, CancellationToken stopping)
    {
        using var timeout = new CancellationTokenSource(AcknowledgeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
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
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, linked.Token);
            string answer = await response.Content.ReadAsStringAsync(linked.Token);
            bool acknowledged = response.StatusCode == System.Net.HttpStatusCode.OK && IsSuccess(answer);
            LogDelivered(record.Id, (int)response.StatusCode, acknowledged);
            return acknowledged;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            LogUndelivered(record.Id, ex.Message);
            return false;
        }
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

    private static TimeSpan[] ParseSchedule(string text) =>
    [
        .. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
            double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds is >= 0 and <= 7 * 24 * 3600
                ? TimeSpan.FromSeconds(seconds)
                : throw new InvalidOperationException($"Sandbox:Ecny:NotifyRetrySeconds must be comma-separated seconds, got '{text}'.")),
    ];

    [LoggerMessage(LogLevel.Information, "e-CNY notification {Id} answered {Status}; acknowledged: {Acknowledged}")]
    private partial void LogDelivered(string id, int status, bool acknowledged);

    [LoggerMessage(LogLevel.Information, "e-CNY notification {Id} not delivered: {Reason}")]
    private partial void LogUndelivered(string id, string reason);

    [LoggerMessage(LogLevel.Information, "e-CNY notification {Id} for {OutTradeNo} dropped by fault injection")]
    private partial void LogDropped(string id, string outTradeNo);

    [LoggerMessage(LogLevel.Warning, "e-CNY notification {Id} not acknowledged after {Attempts} attempts; giving up")]
    private partial void LogGaveUp(string id, int attempts);
}
