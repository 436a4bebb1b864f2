using System.Text.Json.Serialization;

namespace Payments.Channels.WeChatPay;

// Wire shapes of WeChat Pay API v3. Names are spelled out per property because WeChat's are not
// uniformly snake_case ("mchid", "appid"). Everything read from the wire is nullable: a missing
// field must be noticed, not defaulted.

/// <summary>POST /v3/pay/transactions/native.</summary>
internal sealed record WeChatPayNativeOrderRequest(
    [property: JsonPropertyName("appid")] string? AppId,
    [property: JsonPropertyName("mchid")] string MchId,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("out_trade_no")] string OutTradeNo,
    [property: JsonPropertyName("time_expire")] string TimeExpire,
    [property: JsonPropertyName("notify_url")] string NotifyUrl,
    [property: JsonPropertyName("amount")] WeChatPayOrderAmount Amount);

internal sealed record WeChatPayOrderAmount(
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("currency")] string Currency);

internal sealed record WeChatPayNativeOrderResponse(
    [property: JsonPropertyName("code_url")] string? CodeUrl);

/// <summary>POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close.</summary>
internal sealed record WeChatPayCloseRequest(
    [property: JsonPropertyName("mchid")] string MchId);

/// <summary>The transaction as the query answers it and as a notification's resource decrypts to.</summary>
internal sealed record WeChatPayTransaction(
    [property: JsonPropertyName("appid")] string? AppId,
    [property: JsonPropertyName("mchid")] string? MchId,
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("transaction_id")] string? TransactionId,
    [property: JsonPropertyName("trade_type")] string? TradeType,
    [property: JsonPropertyName("trade_state")] string? TradeState,
    [property: JsonPropertyName("trade_state_desc")] string? TradeStateDesc,
    [property: JsonPropertyName("success_time")] string? SuccessTime,
    [property: JsonPropertyName("amount")] WeChatPayTransactionAmount? Amount);

internal sealed record WeChatPayTransactionAmount(
    [property: JsonPropertyName("total")] long? Total,
    [property: JsonPropertyName("payer_total")] long? PayerTotal,
    [property: JsonPropertyName("currency")] string? Currency,
    [property: JsonPropertyName("payer_currency")] string? PayerCurrency);

/// <summary>Every 4xx/5xx body.</summary>
internal sealed record WeChatPayError(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("message")] string? Message);

internal sealed record WeChatPayNotification(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("create_time")] string? CreateTime,
    [property: JsonPropertyName("resource_type")] string? ResourceType,
    [property: JsonPropertyName("event_type")] string? EventType,
    [property: JsonPropertyName("summary")] string? Summary,
    [property: JsonPropertyName("resource")] WeChatPayNotificationResource? Resource);

internal sealed record WeChatPayNotificationResource(
    [property: JsonPropertyName("original_type")] string? OriginalType,
    [property: JsonPropertyName("algorithm")] string? Algorithm,
    [property: JsonPropertyName("ciphertext")] string? Ciphertext,
    [property: JsonPropertyName("associated_data")] string? AssociatedData,
    [property: JsonPropertyName("nonce")] string? Nonce);

/// <summary>POST /v3/refund/domestic/refunds. Direct merchants send no mchid: the signature names them.
/// One of transaction_id and out_trade_no names what is refunded.</summary>
internal sealed record WeChatPayRefundRequest(
    [property: JsonPropertyName("transaction_id")] string? TransactionId,
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("out_refund_no")] string OutRefundNo,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("notify_url")] string NotifyUrl,
    [property: JsonPropertyName("amount")] WeChatPayRefundRequestAmount Amount);

internal sealed record WeChatPayRefundRequestAmount(
    [property: JsonPropertyName("refund")] long Refund,
    [property: JsonPropertyName("total")] long Total,
    [property: JsonPropertyName("currency")] string Currency);

/// <summary>The refund as the refund call and the refund query answer it.</summary>
internal sealed record WeChatPayRefund(
    [property: JsonPropertyName("refund_id")] string? RefundId,
    [property: JsonPropertyName("out_refund_no")] string? OutRefundNo,
    [property: JsonPropertyName("transaction_id")] string? TransactionId,
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("channel")] string? Channel,
    [property: JsonPropertyName("user_received_account")] string? UserReceivedAccount,
    [property: JsonPropertyName("success_time")] string? SuccessTime,
    [property: JsonPropertyName("create_time")] string? CreateTime,
    [property: JsonPropertyName("status")] string? Status,
    [property: JsonPropertyName("amount")] WeChatPayRefundAmount? Amount);

/// <summary>A refund's amounts; the notification carries only total, refund and the payer's share, no currency.</summary>
internal sealed record WeChatPayRefundAmount(
    [property: JsonPropertyName("total")] long? Total,
    [property: JsonPropertyName("refund")] long? Refund,
    [property: JsonPropertyName("payer_total")] long? PayerTotal,
    [property: JsonPropertyName("payer_refund")] long? PayerRefund,
    [property: JsonPropertyName("currency")] string? Currency);

/// <summary>A refund notification's resource, decrypted.</summary>
internal sealed record WeChatPayRefundNotice(
    [property: JsonPropertyName("mchid")] string? MchId,
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("transaction_id")] string? TransactionId,
    [property: JsonPropertyName("out_refund_no")] string? OutRefundNo,
    [property: JsonPropertyName("refund_id")] string? RefundId,
    [property: JsonPropertyName("refund_status")] string? RefundStatus,
    [property: JsonPropertyName("success_time")] string? SuccessTime,
    [property: JsonPropertyName("user_received_account")] string? UserReceivedAccount,
    [property: JsonPropertyName("amount")] WeChatPayRefundAmount? Amount);

// Source-generated so the channel stays trim- and AOT-safe; appid is left out when absent because
// WeChat validates it against the merchant when it is sent at all.
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WeChatPayNativeOrderRequest))]
[JsonSerializable(typeof(WeChatPayNativeOrderResponse))]
[JsonSerializable(typeof(WeChatPayCloseRequest))]
[JsonSerializable(typeof(WeChatPayTransaction))]
[JsonSerializable(typeof(WeChatPayError))]
[JsonSerializable(typeof(WeChatPayRefundRequest))]
[JsonSerializable(typeof(WeChatPayRefund))]
[JsonSerializable(typeof(WeChatPayRefundNotice))]
[JsonSerializable(typeof(WeChatPayNotification))]
internal sealed partial class WeChatPayJsonContext : JsonSerializerContext
{
}
