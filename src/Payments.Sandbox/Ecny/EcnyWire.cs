using System.Text.Json;
using System.Text.Json.Serialization;

namespace Payments.Sandbox.Ecny;

/// <summary>POST /sandbox/ecny/merchants: the merchant uploads its SM2 public key, gets the platform's.</summary>
/// <paramref name="NotifySm4KeyHex"/>: the notification resource key; the platform issues one when it is left out.
internal sealed record EcnyMerchantRegistration(string? MerchantNo, string? MerchantSerialNo, string? MerchantSm2PublicKeyPem, string? ChannelAccountId, string? NotifySm4KeyHex = null);

internal sealed record EcnyMerchantRegistered(string MerchantNo, string MerchantSerialNo, string PlatformSerialNo, string PlatformSm2PublicKeyPem, string NotifySm4KeyHex, string ApiBaseUrl);

internal sealed record EcnyOrderCreate(
    string? MerchantNo, string? OutTradeNo, string? TradeType, long? Amount, string? Currency, string? Subject, string? ExpireTime, string? NotifyUrl);

internal sealed record EcnyMerchantOnly(string? MerchantNo);

internal sealed record EcnyRefundCreate(
    string? MerchantNo, string? OutTradeNo, string? OrderNo, string? OutRefundNo, long? RefundAmount, long? TotalAmount, string? Currency, string? Reason, string? NotifyUrl);

internal sealed record EcnyOrderAnswer(
    string MerchantNo,
    string OutTradeNo,
    string OrderNo,
    string TradeType,
    string Status,
    long Amount,
    string Currency,
    string? CodeUrl,
    string? AppPayUrl,
    string? PayTime,
    string? FailCode,
    string? FailMessage);

internal sealed record EcnyRefundAnswer(
    string MerchantNo,
    string OutTradeNo,
    string OrderNo,
    string OutRefundNo,
    string RefundNo,
    string Status,
    long RefundAmount,
    string Currency,
    string? SuccessTime);

internal sealed record EcnyNotificationBody(string Id, string EventType, string CreateTime, string ResourceType, EcnyEncryptedResource Resource);

/// <summary>SM4-GCM under the merchant's notification key: base64 nonce, base64 ciphertext with its tag, the resource type as associated data.</summary>
internal sealed record EcnyEncryptedResource(string Algorithm, string Ciphertext, string Nonce, string AssociatedData);

internal sealed record EcnyErrorAnswer(string Code, string Message);

internal sealed record EcnyDecisionRequest(string? Decision);

internal sealed record EcnyDecisionResponse(string OutTradeNo, string Status);

internal sealed record EcnyNotificationInspection(string Id, string EventType, string? OutRefundNo, int Attempts, int Deliveries, bool Acknowledged, bool Dropped);

internal sealed record EcnyOrderInspection(
    string MerchantNo, string OutTradeNo, string OrderNo, string TradeType, string Status, long Amount, int CreateCalls, int CloseCalls,
    EcnyRefundAnswer[] Refunds, EcnyNotificationInspection[] Notifications);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EcnyMerchantRegistration))]
[JsonSerializable(typeof(EcnyMerchantRegistered))]
[JsonSerializable(typeof(EcnyOrderCreate))]
[JsonSerializable(typeof(EcnyMerchantOnly))]
[JsonSerializable(typeof(EcnyRefundCreate))]
[JsonSerializable(typeof(EcnyOrderAnswer))]
[JsonSerializable(typeof(EcnyRefundAnswer))]
[JsonSerializable(typeof(EcnyNotificationBody))]
[JsonSerializable(typeof(EcnyEncryptedResource))]
[JsonSerializable(typeof(EcnyErrorAnswer))]
[JsonSerializable(typeof(EcnyDecisionRequest))]
[JsonSerializable(typeof(EcnyDecisionResponse))]
[JsonSerializable(typeof(EcnyOrderInspection))]
[JsonSerializable(typeof(SandboxError))]
internal sealed partial class EcnySandboxJson : JsonSerializerContext;
