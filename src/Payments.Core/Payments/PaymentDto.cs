using System.Text.Json.Serialization;
using Payments.Core.Webhooks;

namespace Payments.Core.Payments;

public sealed record NextActionDto(string Type, string Url);

public sealed record FailureDto(string Code, string Message);

/// <summary>The payment object of api.md, as the API answers it and webhooks carry it.</summary>
public sealed record PaymentDto(
    string Id,
    string Object,
    string AppId,
    string MerchantOrderNo,
    long Amount,
    string Currency,
    string Channel,
    string Method,
    string Subject,
    string? Description,
    string Status,
    long AmountRefunded,
    string ChannelAccountId,
    string? ChannelTransactionId,
    NextActionDto? NextAction,
    FailureDto? Failure,
    IReadOnlyDictionary<string, string> Metadata,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? SucceededAt)
{
    public static PaymentDto From(Payment p) => new(
        p.Id, "payment", p.AppId, p.MerchantOrderNo, p.Amount.MinorUnits, p.Currency.Code, p.Channel, p.Method,
        p.Subject, p.Description, p.Status.ToWire(), p.AmountRefunded, p.ChannelAccountId, p.ChannelTransactionId,
        p.NextAction is { } n ? new NextActionDto(n.Type, n.Url) : null,
        p.Failure is { } f ? new FailureDto(f.Code, f.Message) : null,
        p.Metadata, p.ExpiresAt, p.CreatedAt, p.UpdatedAt, p.SucceededAt);
}

/// <summary>The webhook envelope of api.md.</summary>
public sealed record PaymentEventDto(string Id, string Type, DateTimeOffset CreatedAt, PaymentDto Data);

public sealed record RefundEventDto(string Id, string Type, DateTimeOffset CreatedAt, Refunds.RefundDto Data);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true, Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(PaymentDto))]
[JsonSerializable(typeof(PaymentEventDto))]
[JsonSerializable(typeof(Refunds.RefundDto))]
[JsonSerializable(typeof(RefundEventDto))]
[JsonSerializable(typeof(Messaging.ChannelRequestMessage))]
[JsonSerializable(typeof(Messaging.ChannelNotificationMessage))]
[JsonSerializable(typeof(Messaging.MerchantNotificationMessage))]
public sealed partial class CoreJson : JsonSerializerContext;

public static class PaymentEvents
{
    public const string Pending = "payment.pending";
    public const string Succeeded = "payment.succeeded";
    public const string Failed = "payment.failed";
    public const string Closed = "payment.closed";

    public static string? ForStatus(PaymentStatus status) => status switch
    {
        PaymentStatus.Pending => Pending,
        PaymentStatus.Succeeded => Succeeded,
        PaymentStatus.Failed => Failed,
        PaymentStatus.Closed => Closed,
        _ => null,
    };

    public const string RefundSucceeded = "refund.succeeded";
    public const string RefundFailed = "refund.failed";

    /// <summary>The event for a refund's final state (refund.succeeded / refund.failed), if any.</summary>
    public static (WebhookEvent Event, Messaging.OutboxMessage Message)? For(Refunds.Refund refund, string? notifyUrl, DateTimeOffset at)
    {
        string? type = refund.Status switch
        {
            Refunds.RefundStatus.Succeeded => RefundSucceeded,
            Refunds.RefundStatus.Failed => RefundFailed,
            _ => null,
        };
        if (type is null || notifyUrl is null)
        {
            return null;
        }

        string id = Ids.EventId(refund.Id, type);
        string body = System.Text.Json.JsonSerializer.Serialize(new RefundEventDto(id, type, at, Refunds.RefundDto.From(refund)), CoreJson.Default.RefundEventDto);
        return Envelope(new WebhookEvent(id, refund.PaymentId, type, notifyUrl, body, at));
    }

    private static (WebhookEvent Event, Messaging.OutboxMessage Message) Envelope(WebhookEvent evt) => (evt, new Messaging.OutboxMessage(
        Ids.MessageId(evt.Id, "0"),
        Messaging.Queues.MerchantNotifications,
        System.Text.Json.JsonSerializer.Serialize(new Messaging.MerchantNotificationMessage(evt.PaymentId, evt.Id, 0), CoreJson.Default.MerchantNotificationMessage)));

    /// <summary>The event for a payment's new state, its body frozen now, and the message that delivers it.</summary>
    public static (WebhookEvent Event, Messaging.OutboxMessage Message)? For(Payment payment, DateTimeOffset at)
    {
        string? type = ForStatus(payment.Status);
        if (type is null || payment.NotifyUrl is null)
        {
            return null;
        }

        string id = Ids.EventId(payment.Id, type);
        string body = System.Text.Json.JsonSerializer.Serialize(new PaymentEventDto(id, type, at, PaymentDto.From(payment)), CoreJson.Default.PaymentEventDto);
        return Envelope(new WebhookEvent(id, payment.Id, type, payment.NotifyUrl, body, at));
    }
}
