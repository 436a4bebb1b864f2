using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Payments.Sandbox.WeChatPay;

// Shapes of the WeChat Pay API v3 as they appear on the wire (snake_case). Request members are
// nullable so that a missing field becomes PARAM_ERROR rather than a deserialisation failure.

internal sealed record NativeCreateRequest(
    string? Appid,
    string? Mchid,
    string? Description,
    string? OutTradeNo,
    string? TimeExpire,
    string? NotifyUrl,
    CreateAmount? Amount);

internal sealed record CreateAmount(int? Total, string? Currency);

internal sealed record NativeCreateResponse(string CodeUrl);

internal sealed record CloseRequest(string? Mchid);

internal sealed record WireError(string Code, string Message);

internal sealed record Transaction(
    string? Appid,
    string Mchid,
    string OutTradeNo,
    string? TransactionId,
    string TradeType,
    string TradeState,
    string TradeStateDesc,
    string? BankType,
    string? SuccessTime,
    TransactionPayer? Payer,
    TransactionAmount Amount);

internal sealed record TransactionPayer(string Openid);

internal sealed record TransactionAmount(int Total, int? PayerTotal, string Currency, string PayerCurrency);

internal sealed record NotificationEvent(
    string Id,
    string CreateTime,
    string ResourceType,
    string EventType,
    string Summary,
    NotificationResource Resource);

internal sealed record NotificationResource(
    string OriginalType,
    string Algorithm,
    string Ciphertext,
    string AssociatedData,
    string Nonce);

internal sealed record RefundCreateRequest(
    string? TransactionId,
    string? OutTradeNo,
    string? OutRefundNo,
    string? Reason,
    string? NotifyUrl,
    RefundRequestAmount? Amount);

internal sealed record RefundRequestAmount(int? Refund, int? Total, string? Currency);

/// <summary>A refund as the refund call and the refund query answer it.</summary>
internal sealed record RefundResponse(
    string RefundId,
    string OutRefundNo,
    string TransactionId,
    string OutTradeNo,
    string Channel,
    string UserReceivedAccount,
    string? SuccessTime,
    string CreateTime,
    string Status,
    string FundsAccount,
    RefundResponseAmount Amount,
    RefundPromotion[] PromotionDetail);

internal sealed record RefundResponseAmount(
    int Total,
    int Refund,
    int PayerTotal,
    int PayerRefund,
    int SettlementRefund,
    int SettlementTotal,
    int DiscountRefund,
    string Currency);

/// <summary>Coupons refunded with the payment; the sandbox has none, but the channel always sends the list.</summary>
internal sealed record RefundPromotion(string PromotionId, string Scope, string Type, int Amount, int RefundAmount);

/// <summary>The decrypted resource of a REFUND.* notification.</summary>
internal sealed record RefundNotice(
    string Mchid,
    string OutTradeNo,
    string TransactionId,
    string OutRefundNo,
    string RefundId,
    string RefundStatus,
    string? SuccessTime,
    string UserReceivedAccount,
    RefundNoticeAmount Amount);

internal sealed record RefundNoticeAmount(int Total, int Refund, int PayerTotal, int PayerRefund);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NativeCreateRequest))]
[JsonSerializable(typeof(NativeCreateResponse))]
[JsonSerializable(typeof(CloseRequest))]
[JsonSerializable(typeof(WireError))]
[JsonSerializable(typeof(Transaction))]
[JsonSerializable(typeof(NotificationEvent))]
[JsonSerializable(typeof(RefundCreateRequest))]
[JsonSerializable(typeof(RefundResponse))]
[JsonSerializable(typeof(RefundNotice))]
internal sealed partial class WeChatPayJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The context to serialise with: the real channel writes Chinese text as raw UTF-8, not as
    /// \u escapes, and adapters must cope with that.
    /// </summary>
    public static WeChatPayJsonContext Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
