using Payments.Core.Attention;
using System.Text;
using System.Text.Json;
using Payments.Core.Apps;
using Payments.Core.Channels;
using Payments.Core.Messaging;
using Payments.Core.Payments;
using Payments.Core.Payments.ProcessChannelNotification;

namespace Payments.Functions.Api;

/// <summary>Inbound channel callbacks: verified (and decrypted) before anything is stored, stored in
/// the payment's partition with the message that processes it, then acknowledged in the channel's
/// own format. Processing happens from the queue, so a slow or failing step never makes the
/// channel think we lost its callback.</summary>
public static class CallbacksApi
{
    public static IEndpointRouteBuilder MapCallbacksApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v1/callbacks/{channel}/{channelAccountId}", ReceiveAsync).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(
        HttpContext http, string channel, string channelAccountId, IChannelAccountDirectory accounts, IEnumerable<IPaymentChannel> channels,
        IPaymentStore store, IAttentionLog attention, TimeProvider time, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(CallbacksApi));
        var adapter = channels.FirstOrDefault(c => c.Name == channel);
        var account = adapter is null || channelAccountId.Length > 64 ? null : await accounts.GetChannelAccountAsync(channelAccountId, cancellationToken);
        if (adapter is null || account is null || account.Channel != channel)
        {
            logger.LogWarning("Callback for unknown channel account {Channel}/{Account}", channel, channelAccountId);
            return Problems.Unauthorized();
        }

        if (http.Request.ContentLength > HmacAuthentication.MaxBodyBytes)
        {
            return Problems.From(new Core.Problem(Core.ProblemCodes.PayloadTooLarge, "Body too large."));
        }

        string body;
        using (var reader = new StreamReader(http.Request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true)))
        {
            try
            {
                body = await reader.ReadToEndAsync(cancellationToken);
            }
            catch (DecoderFallbackException)
            {
                return Problems.Unauthorized();
            }
        }

        if (body.Length > HmacAuthentication.MaxBodyBytes)
        {
            return Problems.From(new Core.Problem(Core.ProblemCodes.PayloadTooLarge, "Body too large."));
        }

        var headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (adapter.ParseNotification(account, headers, body) is not NotificationParseResult.Valid valid)
        {
            logger.LogWarning("Refused callback for {Account}: verification failed", channelAccountId);
            return Problems.Unauthorized();
        }

        var n = valid.Notification;
        var entry = new InboxEntry(n.NotificationId, n.PaymentId, channel, InboxPayload.Serialize(n), time.GetUtcNow());
        var message = new OutboxMessage(
            Core.Ids.MessageId(n.PaymentId, "notification", n.NotificationId),
            Queues.ChannelNotifications,
            JsonSerializer.Serialize(new ChannelNotificationMessage(n.PaymentId, n.NotificationId), CoreJson.Default.ChannelNotificationMessage));
        var outcome = await store.StoreInboxAsync(entry, message, cancellationToken);
        if (outcome == InboxOutcome.UnknownPayment)
        {
            // Kept for operators; acknowledged so the channel stops retrying something we cannot match.
            await attention.RaiseAsync(AttentionItem.ForUnmatchedCallback(entry, channelAccountId, entry.ReceivedAt), cancellationToken);
            logger.LogCritical("ALERT callback {NotificationId} for unknown payment {PaymentId} on {Account}; stored as unmatched", n.NotificationId, n.PaymentId, channelAccountId);
        }

        return valid.AckBody.Length == 0
            ? Results.StatusCode(valid.AckStatusCode)
            : Results.Text(valid.AckBody, valid.AckContentType, statusCode: valid.AckStatusCode);
    }
}
