using System.Text.Json.Serialization;

namespace Payments.Channels.Transfer;

/// <summary>Body of <c>POST /transfer/v1/collections</c>: a virtual account and reference for one payment. Amounts are fen.</summary>
internal sealed record TransferCollectionRequest(
    string MerchantRef,
    long Amount,
    string Currency,
    string Remark,
    DateTimeOffset ExpiresAt,
    string NotifyUrl);

/// <summary>One credit that reached the reference. The payer's account arrives masked; we keep none of it.</summary>
internal sealed record TransferCredit(string CreditId, long Amount, string? PayerAccount, string? PayerName, DateTimeOffset CreditedAt);

/// <summary>
/// A collection order as the bank answers it (create, query, close, and inside notifications).
/// <c>AmountCredited</c> is cumulative: every credit the reference accepted, before any refund.
/// </summary>
internal sealed record TransferCollection(
    string CollectionId,
    string MerchantRef,
    string Status,
    string Currency,
    long AmountDue,
    long AmountCredited,
    long AmountRefunded,
    string? VirtualAccount,
    string? ReferenceCode,
    string? PayUrl,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? PaidAt,
    DateTimeOffset? ClosedAt,
    TransferCredit[]? Credits);

/// <summary>Body of <c>POST /transfer/v1/refunds</c>: names the collection by our payment id or by the bank's collection id.</summary>
internal sealed record TransferRefundRequest(
    string RefundRef,
    string? MerchantRef,
    string? CollectionId,
    long Amount,
    string Currency,
    string? Reason,
    string NotifyUrl);

internal sealed record TransferRefund(
    string RefundRef,
    string RefundId,
    string CollectionId,
    string MerchantRef,
    string Status,
    long Amount,
    string Currency,
    DateTimeOffset? ReturnedAt,
    string? FailureReason);

/// <summary>The bank's error body: a stable code and a message.</summary>
internal sealed record TransferError(string Code, string? Message);

/// <summary>
/// A notification: <c>CREDIT_RECEIVED</c>, <c>COLLECTION_CLOSED</c> (closed or expired) with the collection as it
/// stands, or <c>REFUND_SETTLED</c> / <c>REFUND_FAILED</c> with the refund too. The id is the same on every retry.
/// </summary>
internal sealed record TransferNotification(
    string NotificationId,
    string EventType,
    string CorporateId,
    DateTimeOffset OccurredAt,
    TransferCollection? Collection,
    TransferRefund? Refund);

/// <summary>The acknowledgement the bank requires; anything else is retried.</summary>
internal sealed record TransferAcknowledgement(string Code);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TransferCollectionRequest))]
[JsonSerializable(typeof(TransferCollection))]
[JsonSerializable(typeof(TransferRefundRequest))]
[JsonSerializable(typeof(TransferRefund))]
[JsonSerializable(typeof(TransferError))]
[JsonSerializable(typeof(TransferNotification))]
[JsonSerializable(typeof(TransferAcknowledgement))]
internal sealed partial class TransferJsonContext : JsonSerializerContext;
