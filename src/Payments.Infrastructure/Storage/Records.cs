using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Core;
using Payments.Core.Payments;
using Payments.Core.Refunds;
using Payments.Core.Webhooks;

namespace Payments.Infrastructure.Storage;

/// <summary>The stored shape of a payment: primitives only, so the domain type can change without
/// rewriting history. Versioned by <see cref="V"/>.</summary>
internal sealed record PaymentRecord(
    int V,
    string Id, string AppId, string MerchantId, string MerchantOrderNo, long Amount, string Currency,
    string Channel, string Method, string Subject, string? Description, string? NotifyUrl, string? ReturnUrl,
    string? PayerId, string? PayerIp, Dictionary<string, string> Metadata, string ChannelAccountId, string RequestHash,
    string Status, long AmountRefunded, string? ChannelTransactionId, string? NextActionType, string? NextActionUrl,
    string? FailureCode, string? FailureMessage, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? SucceededAt, int QueryAttempts, DateTimeOffset? LastQueriedAt, string? AttentionReason,
    string? TraceParent = null,
    List<string>? AutoRefundedTransactions = null,
    string? RiskAction = null,
    List<string>? RiskReasons = null,
    string? RoutingRule = null,
    List<string>? RoutingConsidered = null,
    List<RoutingSkipRecord>? RoutingSkipped = null,
    long? AmountReceived = null,
    DateTimeOffset? ReceivedAt = null)
{
    public static PaymentRecord From(Payment p) => new(
        1, p.Id, p.AppId, p.MerchantId, p.MerchantOrderNo, p.Amount.MinorUnits, p.Currency.Code, p.Channel, p.Method, p.Subject,
        p.Description, p.NotifyUrl, p.ReturnUrl, p.Payer?.Id, p.Payer?.Ip, new Dictionary<string, string>(p.Metadata), p.ChannelAccountId,
        p.RequestHash, p.Status.ToWire(), p.AmountRefunded, p.ChannelTransactionId, p.NextAction?.Type, p.NextAction?.Url,
        p.Failure?.Code, p.Failure?.Message, p.ExpiresAt, p.CreatedAt, p.UpdatedAt, p.SucceededAt, p.QueryAttempts, p.LastQueriedAt,
        p.AttentionReason, p.TraceParent, p.AutoRefundedTransactions.Count == 0 ? null : [.. p.AutoRefundedTransactions],
        RiskAction: p.Risk is { } risk ? Core.Risk.RiskActionExtensions.ToWire(risk.Action) : null, RiskReasons: p.Risk is { } r ? [.. r.Reasons] : null,
        RoutingRule: p.Routing?.Rule, RoutingConsidered: p.Routing is { } routing ? [.. routing.Considered] : null,
        RoutingSkipped: p.Routing is { } rs ? [.. rs.Skipped.Select(s => new RoutingSkipRecord(s.ChannelAccountId, s.Reason))] : null,
        AmountReceived: p.AmountReceived?.MinorUnits, ReceivedAt: p.ReceivedAt);

    public Payment ToDomain() => new()
    {
        Id = Id, AppId = AppId, MerchantId = MerchantId, MerchantOrderNo = MerchantOrderNo,
        Amount = new Money(Amount, Core.Currency.Parse(Currency)), Channel = Channel, Method = Method, Subject = Subject,
        Description = Description, NotifyUrl = NotifyUrl, ReturnUrl = ReturnUrl,
        Payer = PayerId is null && PayerIp is null ? null : new Payer(PayerId, PayerIp),
        Metadata = Metadata, ChannelAccountId = ChannelAccountId, RequestHash = RequestHash,
        Status = PaymentStatusExtensions.FromWire(Status), AmountRefunded = AmountRefunded, ChannelTransactionId = ChannelTransactionId,
        NextAction = NextActionType is null || NextActionUrl is null ? null : new NextAction(NextActionType, NextActionUrl),
        Failure = FailureCode is null ? null : new Failure(FailureCode, FailureMessage ?? ""),
        ExpiresAt = ExpiresAt, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt, SucceededAt = SucceededAt,
        QueryAttempts = QueryAttempts, LastQueriedAt = LastQueriedAt, AttentionReason = AttentionReason,
        TraceParent = TraceParent, AutoRefundedTransactions = AutoRefundedTransactions ?? [],
        Risk = RiskAction is null ? null : new Core.Risk.RiskDecision(Core.Risk.RiskActionExtensions.FromWire(RiskAction), RiskReasons ?? []),
        Routing = RoutingRule is null ? null : new Core.Routing.RoutingDecision(
            ChannelAccountId, RoutingRule, RoutingConsidered ?? [], [.. (RoutingSkipped ?? []).Select(s => new Core.Routing.SkippedCandidate(s.ChannelAccountId, s.Reason))]),
        AmountReceived = AmountReceived is { } received ? new Money(received, Core.Currency.Parse(Currency)) : null, ReceivedAt = ReceivedAt,
    };
}

internal sealed record RoutingSkipRecord(string ChannelAccountId, string Reason);

/// <summary>The stored shape of a refund.</summary>
internal sealed record RefundRecord(
    int V, string Id, string PaymentId, string MerchantRefundNo, long Amount, string Currency, string? Reason, string RequestHash,
    string Status, string? ChannelRefundId, string? FailureCode, string? FailureMessage, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? SucceededAt, int QueryAttempts, DateTimeOffset? LastQueriedAt, string? DuplicateTransactionId = null)
{
    public static RefundRecord From(Core.Refunds.Refund r) => new(
        1, r.Id, r.PaymentId, r.MerchantRefundNo, r.Amount.MinorUnits, r.Amount.Currency.Code, r.Reason, r.RequestHash, r.Status.ToWire(),
        r.ChannelRefundId, r.Failure?.Code, r.Failure?.Message, r.CreatedAt, r.UpdatedAt, r.SucceededAt, r.QueryAttempts, r.LastQueriedAt,
        r.DuplicateTransactionId);

    public Core.Refunds.Refund ToDomain() => new()
    {
        Id = Id, PaymentId = PaymentId, MerchantRefundNo = MerchantRefundNo, Amount = new Money(Amount, Core.Currency.Parse(Currency)),
        Reason = Reason, RequestHash = RequestHash, Status = Core.Refunds.RefundStatusExtensions.FromWire(Status), ChannelRefundId = ChannelRefundId,
        Failure = FailureCode is null ? null : new Failure(FailureCode, FailureMessage ?? ""), CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        SucceededAt = SucceededAt, QueryAttempts = QueryAttempts, LastQueriedAt = LastQueriedAt, DuplicateTransactionId = DuplicateTransactionId,
    };
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(PaymentRecord))]
[JsonSerializable(typeof(WebhookEvent))]
[JsonSerializable(typeof(RefundRecord))]
[JsonSerializable(typeof(AppRecord))]
[JsonSerializable(typeof(ChannelAccountRecord))]
internal sealed partial class StorageJson : JsonSerializerContext;

/// <summary>An app as callers hand it to <see cref="TableDirectories.SaveAppAsync"/>, secrets in plain text;
/// the stored copy has them encrypted (<see cref="Keys.SecretProtector"/>).</summary>
public sealed record AppRecord(
    string Id, string MerchantId, string Name, Dictionary<string, string> ChannelAccounts, string? NotifyUrl,
    List<string> AppSecrets, List<string> WebhookSecrets, bool Active, DateTimeOffset? PreviousSecretsValidUntil = null,
    Dictionary<string, List<RouteRecord>>? Routes = null);

/// <summary>One routing candidate of an app for a channel (see <see cref="Core.Routing.RouteCandidate"/>).</summary>
public sealed record RouteRecord(string ChannelAccountId, long? MinAmount, long? MaxAmount, string? Currency, List<string>? Methods, int Weight)
{
    public Core.Routing.RouteCandidate ToDomain() => new(ChannelAccountId, MinAmount, MaxAmount, Currency, Methods, Weight);
}

/// <summary>A channel account as callers hand it to <see cref="TableDirectories.SaveChannelAccountAsync"/>,
/// credentials in plain text; the stored copy has every credential value encrypted.</summary>
public sealed record ChannelAccountRecord(
    string Id, string Channel, string Name, string Mode, string? MerchantId, string Endpoint, Dictionary<string, string> Credentials);

internal static class RowKeys
{
    public const string Payment = "payment";
    public const string OutboxPrefix = "outbox|";
    public const string InboxPrefix = "inbox|";
    public const string EventPrefix = "event|";
    public const string RefundPrefix = "refund|";
    public const string AuditPrefix = "audit|";

    public static string Outbox(string messageId) => OutboxPrefix + messageId;
    public static string Inbox(string notificationId) => InboxPrefix + Sanitize(notificationId);
    public static string Event(string eventId) => EventPrefix + eventId;
    public static string Refund(string refundId) => RefundPrefix + refundId;
    public static string Audit(long sequence) => AuditPrefix + sequence.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A caller-supplied id usable as a key as it is (else it names nothing we store).</summary>
    public static bool IsSafeKey(string key) => key.Length is > 0 and <= 100 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>Row keys may not contain / \ # ? or control characters; channel ids are not ours to trust.</summary>
    public static string Sanitize(string key)
    {
        bool clean = key.Length <= 200 && key.All(c => c is not ('/' or '\\' or '#' or '?') && !char.IsControl(c));
        return clean ? key : "h-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)));
    }
}
