using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Core.Channels;

namespace Payments.Core.Payments.ProcessChannelNotification;

/// <summary>What a verified callback said, stored in the inbox in our terms plus the channel's raw resource.</summary>
public sealed record InboxPayload(
    string Status,
    string? ChannelTransactionId,
    long? PaidAmount,
    string? PaidCurrency,
    DateTimeOffset? PaidAt,
    string? FailureCode,
    string? FailureMessage,
    string Raw,
    string? RefundId = null,
    string? RefundStatus = null,
    string? ChannelRefundId = null,
    long? RefundedAmount = null,
    DateTimeOffset? RefundSucceededAt = null,
    string? RefundFailureCode = null,
    string? RefundFailureMessage = null,
    bool PayerSetsAmount = false)
{
    public static string Serialize(ChannelNotification n) => JsonSerializer.Serialize(
        new InboxPayload(
            n.State.Status.ToString(), n.State.ChannelTransactionId, n.State.PaidAmount?.MinorUnits, n.State.PaidAmount?.Currency.Code,
            n.State.PaidAt, n.State.FailureCode, n.State.FailureMessage, n.RawResource,
            n.RefundId, n.RefundState?.Status.ToString(), n.RefundState?.ChannelRefundId, n.RefundState?.RefundedAmount?.MinorUnits,
            n.RefundState?.SucceededAt, n.RefundState?.FailureCode, n.RefundState?.FailureMessage, n.State.PayerSetsAmount),
        InboxJson.Default.InboxPayload);

    public static InboxPayload Parse(string payload) =>
        JsonSerializer.Deserialize(payload, InboxJson.Default.InboxPayload) ?? throw new InvalidOperationException("Empty inbox payload.");

    public ChannelPaymentState PaymentState()
    {
        Money? paid = PaidAmount is { } amount && Currency.TryParse(PaidCurrency, out var currency) ? new Money(amount, currency) : null;
        return new ChannelPaymentState(Enum.Parse<ChannelPaymentStatus>(Status), ChannelTransactionId, paid, PaidAt, FailureCode, FailureMessage, PayerSetsAmount);
    }

    /// <summary>The refund state a refund notification reported, in the payment's currency.</summary>
    public ChannelRefundState? RefundState(Currency currency) => RefundStatus is null
        ? null
        : new ChannelRefundState(Enum.Parse<ChannelRefundStatus>(RefundStatus), ChannelRefundId,
            RefundedAmount is { } r ? new Money(r, currency) : null, RefundSucceededAt, RefundFailureCode, RefundFailureMessage);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InboxPayload))]
internal sealed partial class InboxJson : JsonSerializerContext;
