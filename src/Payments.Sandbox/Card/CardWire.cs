using System.Text.Json.Serialization;

namespace Payments.Sandbox.Card;

internal sealed record CardAmountWire(long Value, string Currency);

internal sealed record CardSessionCreate(string? MerchantAccount, string? Reference, CardAmountWire? Amount, string? Description, DateTimeOffset? ExpiresAt, string? NotifyUrl);

internal sealed record CardMaskedCard(string Brand, string Last4);

internal sealed record CardSessionAnswer(
    string Id,
    string Reference,
    string Status,
    CardAmountWire Amount,
    string? Url,
    string? PspReference,
    DateTimeOffset? AuthorisedAt,
    string? RefusalReason,
    CardMaskedCard? Card);

internal sealed record CardMerchantOnly(string? MerchantAccount);

internal sealed record CardRefundCreate(string? MerchantAccount, string? PaymentReference, string? Reference, CardAmountWire? Amount, string? Reason);

internal sealed record CardRefundAnswer(string Reference, string PaymentReference, string Status, CardAmountWire Amount, string? PspReference, DateTimeOffset? RefundedAt, string? RefusalReason);

internal sealed record CardErrorAnswer(string ErrorCode, string? Message);

internal sealed record CardWebhook(
    string NotificationId,
    string EventCode,
    bool Success,
    string MerchantAccount,
    string MerchantReference,
    string? PspReference,
    CardAmountWire Amount,
    DateTimeOffset EventDate,
    string? RefundReference,
    string? Reason,
    CardMaskedCard? Card);

/// <summary>Body of <c>POST /sandbox/card/merchants</c>: what an acquirer's onboarding hands a merchant.</summary>
internal sealed record CardMerchantRegistration(string? MerchantAccount, string? ChannelAccountId);

internal sealed record CardMerchantRegistered(string MerchantAccount, string ApiKey, string HmacKeyHex, string BaseUrl);

/// <summary>What the payer types on the hosted page. Lives only for the request that carries it.</summary>
internal sealed record CardEntry(string? CardNumber, string? Expiry, string? Cvc);

internal sealed record CardChallengeEntry(string? Otp);

internal sealed record CardPageAnswer(string Reference, string Status, string? ChallengeUrl, CardMaskedCard? Card);

internal sealed record CardNotificationInspection(string NotificationId, string EventCode, bool Success, string? RefundReference, int Attempts, int Deliveries, bool Acknowledged, bool Dropped);

internal sealed record CardSessionInspection(
    string Id,
    string Reference,
    string MerchantAccount,
    string Status,
    int CreateCalls,
    int CancelCalls,
    CardMaskedCard? Card,
    CardNotificationInspection[] Notifications,
    CardRefundAnswer[] Refunds);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CardSessionCreate))]
[JsonSerializable(typeof(CardSessionAnswer))]
[JsonSerializable(typeof(CardMerchantOnly))]
[JsonSerializable(typeof(CardRefundCreate))]
[JsonSerializable(typeof(CardRefundAnswer))]
[JsonSerializable(typeof(CardErrorAnswer))]
[JsonSerializable(typeof(CardWebhook))]
[JsonSerializable(typeof(CardMerchantRegistration))]
[JsonSerializable(typeof(CardMerchantRegistered))]
[JsonSerializable(typeof(CardEntry))]
[JsonSerializable(typeof(CardChallengeEntry))]
[JsonSerializable(typeof(CardPageAnswer))]
[JsonSerializable(typeof(CardSessionInspection))]
internal sealed partial class CardSandboxJson : JsonSerializerContext;
