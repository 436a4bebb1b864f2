using System.Text.Json.Serialization;

namespace Payments.Channels.Ecny;

/// <summary>POST /ecny/v1/orders. <paramref name="Amount"/> in fen; <paramref name="ExpireTime"/> RFC 3339 in Beijing time.</summary>
internal sealed record EcnyOrderRequest(
    string MerchantNo,
    string OutTradeNo,
    string TradeType,
    long Amount,
    string Currency,
    string Subject,
    string ExpireTime,
    string NotifyUrl);

/// <summary>An order as answers and payment notifications carry it.</summary>
internal sealed record EcnyOrder(
    string? MerchantNo,
    string? OutTradeNo,
    string? OrderNo,
    string? TradeType,
    string? Status,
    long? Amount,
    string? Currency,
    string? CodeUrl = null,
    string? AppPayUrl = null,
    string? PayTime = null,
    string? FailCode = null,
    string? FailMessage = null);

internal sealed record EcnyCloseRequest(string MerchantNo);

/// <summary>POST /ecny/v1/refunds. <paramref name="OrderNo"/>, when set, names the transaction to refund (a duplicate payment).</summary>
internal sealed record EcnyRefundRequest(
    string MerchantNo,
    string OutTradeNo,
    string? OrderNo,
    string OutRefundNo,
    long RefundAmount,
    long TotalAmount,
    string Currency,
    string? Reason,
    string NotifyUrl);

internal sealed record EcnyRefund(
    string? MerchantNo,
    string? OutTradeNo,
    string? OrderNo,
    string? OutRefundNo,
    string? RefundNo,
    string? Status,
    long? RefundAmount,
    string? Currency,
    string? SuccessTime = null,
    string? FailCode = null,
    string? FailMessage = null);

internal sealed record EcnyError(string? Code, string? Message);

/// <summary>A notification: <paramref name="ResourceType"/> <c>order</c> or <c>refund</c>, the resource SM4-GCM encrypted.</summary>
internal sealed record EcnyNotification(string? Id, string? EventType, string? CreateTime, string? ResourceType, EcnyEncryptedResource? Resource);

/// <summary>The encrypted resource: base64 nonce (12 bytes) and ciphertext-with-tag; the associated data is the resource type.</summary>
internal sealed record EcnyEncryptedResource(string? Algorithm, string? Ciphertext, string? Nonce, string? AssociatedData);

/// <summary>What our callback answers; the platform stops retrying on 200 with code SUCCESS.</summary>
internal sealed record EcnyAcknowledgement(string Code, string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EcnyOrderRequest))]
[JsonSerializable(typeof(EcnyOrder))]
[JsonSerializable(typeof(EcnyCloseRequest))]
[JsonSerializable(typeof(EcnyRefundRequest))]
[JsonSerializable(typeof(EcnyRefund))]
[JsonSerializable(typeof(EcnyError))]
[JsonSerializable(typeof(EcnyNotification))]
[JsonSerializable(typeof(EcnyEncryptedResource))]
[JsonSerializable(typeof(EcnyAcknowledgement))]
internal sealed partial class EcnyJsonContext : JsonSerializerContext;
