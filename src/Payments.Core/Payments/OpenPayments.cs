namespace Payments.Core.Payments;

/// <summary>An index of payments that are not final yet, so the janitor finds stuck ones without
/// scanning every payment. Written before the channel is called; removed once final.</summary>
public interface IOpenPaymentIndex
{
    Task AddAsync(Payment payment, CancellationToken cancellationToken);

    Task RemoveAsync(Payment payment, CancellationToken cancellationToken);

    /// <summary>Refunds go in the same index once sent to the channel, under their own ids.</summary>
    Task AddAsync(Refunds.Refund refund, CancellationToken cancellationToken);

    Task RemoveAsync(Refunds.Refund refund, CancellationToken cancellationToken);

    /// <summary>Open payment and refund ids (refund ids start with "ref_") created in [from, to).</summary>
    IAsyncEnumerable<string> ListAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);
}

/// <summary>Where channels send their callbacks: /api/v1/callbacks/{channel}/{channelAccountId} on our public host.</summary>
public sealed class CallbackOptions
{
    public Uri PublicBaseUrl { get; set; } = new("http://127.0.0.1:7071/");

    public Uri For(string channel, string channelAccountId) =>
        new(PublicBaseUrl, $"api/v1/callbacks/{Uri.EscapeDataString(channel)}/{Uri.EscapeDataString(channelAccountId)}");
}
