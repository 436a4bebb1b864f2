using System.Text.Json.Serialization;

namespace Payments.Channels.Card;

/// <summary>An amount as the acquirer writes it: minor units and an ISO 4217 code.</summary>
internal sealed record CardAmount(long Value, string Currency);

/// <summary>Body of <c>POST /card/v1/sessions</c>: a hosted payment page session for one payment.</summary>
internal sealed record CardSessionRequest(
    string MerchantAccount,
    string Reference,
    CardAmount Amount,
    string Description,
    DateTimeOffset ExpiresAt,
    string NotifyUrl);

/// <summary>The masked card the acquirer reports: brand and last four digits, never the number.</summary>
internal sealed record CardSummary(string Brand, string Last4);

/// <summary>A session as the acquirer answers it (create, query, cancel).</summary>
internal sealed record CardSession(
    string Id,
    string Reference,
    string Status,
    CardAmount Amount,
    string? Url,
    string? PspReference,
    DateTimeOffset? AuthorisedAt,
    string? RefusalReason,
    CardSummary? Card);

internal sealed record CardMerchantRequest(string MerchantAccount);

/// <summary>Body of <c>POST /card/v1/refunds</c>.</summary>
internal sealed record CardRefundRequest(
    string MerchantAccount,
    string PaymentReference,
    string Reference,
    CardAmount Amount,
    string? Reason);

internal sealed record CardRefund(
    string Reference,
    string PaymentReference,
    string Status,
    CardAmount Amount,
    string? PspReference,
    DateTimeOffset? RefundedAt,
    string? RefusalReason);

/// <summary>The acquirer's error body: a stable code and a message.</summary>
internal sealed record CardError(string ErrorCode, string? Message);

/// <summary>
/// A webhook: <c>AUTHORISATION</c> (success true or false), <c>EXPIRY</c>, <c>CANCELLATION</c> or
/// <c>REFUND</c>. <c>NotificationId</c> is the same on every retry of one event.
/// </summary>
internal sealed record CardNotification(
    string NotificationId,
    string EventCode,
    bool Success,
    string MerchantAccount,
    string MerchantReference,
    string? PspReference,
    CardAmount Amount,
    DateTimeOffset EventDate,
    string? RefundReference,
    string? Reason,
    CardSummary? Card);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CardSessionRequest))]
[JsonSerializable(typeof(CardSession))]
[JsonSerializable(typeof(CardMerchantRequest))]
[JsonSerializable(typeof(CardRefundRequest))]
[JsonSerializable(typeof(CardRefund))]
[JsonSerializable(typeof(CardError))]
[JsonSerializable(typeof(CardNotification))]
internal sealed partial class CardJsonContext : JsonSerializerContext;
