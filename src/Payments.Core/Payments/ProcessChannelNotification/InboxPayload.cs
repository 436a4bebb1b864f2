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
    string Raw)
{
    public static string Serialize(ChannelNotification n) => JsonSerializer.Serialize(
        new InboxPayload(
            n.State.Status.ToString(), n.State.ChannelTransactionId, n.State.PaidAmount?.MinorUnits, n.State.PaidAmount?.Currency.Code,
            n.State.PaidAt, n.State.FailureCode, n.State.FailureMessage, n.RawResource),
        InboxJson.Default.InboxPayload);

    public static ChannelPaymentState Deserialize(string payload)
    {
        var p = JsonSerializer.Deserialize(payload, InboxJson.Default.InboxPayload)
            ?? throw new InvalidOperationException("Empty inbox payload.");
        Money? paid = p.PaidAmount is { } amount && Currency.TryParse(p.PaidCurrency, out var currency) ? new Money(amount, currency) : null;
        return new ChannelPaymentState(Enum.Parse<ChannelPaymentStatus>(p.Status), p.ChannelTransactionId, paid, p.PaidAt, p.FailureCode, p.FailureMessage);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InboxPayload))]
internal sealed partial class InboxJson : JsonSerializerContext;
