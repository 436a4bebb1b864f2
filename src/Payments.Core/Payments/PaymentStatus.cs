namespace Payments.Core.Payments;

public enum PaymentStatus
{
    /// <summary>Accepted by us, not yet known to exist at the channel.</summary>
    Created,

    /// <summary>The order exists at the channel; the payer has something to do.</summary>
    Pending,
    Succeeded,
    Failed,

    /// <summary>Expired or closed before payment.</summary>
    Closed,
}

public static class PaymentStatusExtensions
{
    public static bool IsTerminal(this PaymentStatus status) =>
        status is PaymentStatus.Succeeded or PaymentStatus.Failed or PaymentStatus.Closed;

    public static string ToWire(this PaymentStatus status) => status switch
    {
        PaymentStatus.Created => "created",
        PaymentStatus.Pending => "pending",
        PaymentStatus.Succeeded => "succeeded",
        PaymentStatus.Failed => "failed",
        PaymentStatus.Closed => "closed",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static PaymentStatus FromWire(string status) => status switch
    {
        "created" => PaymentStatus.Created,
        "pending" => PaymentStatus.Pending,
        "succeeded" => PaymentStatus.Succeeded,
        "failed" => PaymentStatus.Failed,
        "closed" => PaymentStatus.Closed,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown payment status."),
    };
}
