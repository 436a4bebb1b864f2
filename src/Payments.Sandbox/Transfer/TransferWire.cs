using System.Text.Json.Serialization;

namespace Payments.Sandbox.Transfer;

internal sealed record TransferCollectionCreate(string? MerchantRef, long? Amount, string? Currency, string? Remark, DateTimeOffset? ExpiresAt, string? NotifyUrl);

internal sealed record TransferCreditWire(string CreditId, long Amount, string PayerAccount, string PayerName, DateTimeOffset CreditedAt);

internal sealed record TransferCollectionAnswer(
    string CollectionId,
    string MerchantRef,
    string Status,
    string Currency,
    long AmountDue,
    long AmountCredited,
    long AmountRefunded,
    string VirtualAccount,
    string AccountName,
    string BankName,
    string ReferenceCode,
    string? PayUrl,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? PaidAt,
    DateTimeOffset? ClosedAt,
    TransferCreditWire[] Credits);

internal sealed record TransferRefundCreate(string? RefundRef, string? MerchantRef, string? CollectionId, long? Amount, string? Currency, string? Reason, string? NotifyUrl);

internal sealed record TransferRefundAnswer(
    string RefundRef,
    string RefundId,
    string CollectionId,
    string MerchantRef,
    string Status,
    long Amount,
    string Currency,
    DateTimeOffset? ReturnedAt,
    string? FailureReason);

internal sealed record TransferErrorAnswer(string Code, string? Message);

internal sealed record TransferWebhook(
    string NotificationId,
    string EventType,
    string CorporateId,
    DateTimeOffset OccurredAt,
    TransferCollectionAnswer Collection,
    TransferRefundAnswer? Refund);

internal sealed record TransferAckWire(string? Code);

/// <summary>Body of <c>POST /sandbox/transfer/merchants</c>: what a bank's corporate onboarding hands a merchant.</summary>
internal sealed record TransferMerchantRegistration(string? CorporateId, string? ChannelAccountId);

internal sealed record TransferMerchantRegistered(string CorporateId, string ApiKeyHex, string NotifyKeyHex, string BaseUrl);

/// <summary>
/// Body of <c>POST /transfer/pay/{collectionId}</c>, the payer's side: <c>approve</c> transfers <c>Amount</c> fen (by
/// default what is still due), <c>decline</c> is a transfer the payer's bank rejects, which never reaches this bank.
/// </summary>
internal sealed record TransferPayerDecision(string? Decision, long? Amount);

/// <param name="Outcome"><c>CREDITED</c>, <c>RETURNED</c> (the reference took no more; the money went back to the
/// payer) or <c>REJECTED</c> (the payer's bank refused; nothing moved).</param>
internal sealed record TransferPayerAnswer(string MerchantRef, string Outcome, string Status, long AmountDue, long AmountCredited, string? CreditId);

internal sealed record TransferNotificationInspection(string NotificationId, string EventType, string? RefundRef, int Attempts, int Deliveries, bool Acknowledged, bool Dropped);

internal sealed record TransferCollectionInspection(
    string CollectionId,
    string MerchantRef,
    string CorporateId,
    string Status,
    long AmountDue,
    long AmountCredited,
    long AmountRefunded,
    int CreateCalls,
    int CloseCalls,
    int RejectedTransfers,
    TransferCreditWire[] Credits,
    TransferCreditWire[] ReturnedCredits,
    TransferRefundAnswer[] Refunds,
    TransferNotificationInspection[] Notifications);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TransferCollectionCreate))]
[JsonSerializable(typeof(TransferCollectionAnswer))]
[JsonSerializable(typeof(TransferRefundCreate))]
[JsonSerializable(typeof(TransferRefundAnswer))]
[JsonSerializable(typeof(TransferErrorAnswer))]
[JsonSerializable(typeof(TransferWebhook))]
[JsonSerializable(typeof(TransferAckWire))]
[JsonSerializable(typeof(TransferMerchantRegistration))]
[JsonSerializable(typeof(TransferMerchantRegistered))]
[JsonSerializable(typeof(TransferPayerDecision))]
[JsonSerializable(typeof(TransferPayerAnswer))]
[JsonSerializable(typeof(TransferCollectionInspection))]
internal sealed partial class TransferSandboxJson : JsonSerializerContext;
