using System.Text;
using System.Text.Json;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Channels;
using static Payments.Channels.Shared.LenientJson;

namespace Payments.Channels.Card;

/// <summary>
/// A bank-card acquirer reached through its hosted payment page, in the shape of Adyen's or
/// Checkout.com's: we open a session for a payment and send the payer to its page; the payer enters
/// the card there (never with us) and passes a 3-D Secure challenge; the acquirer then posts an
/// HMAC-SHA256 signed JSON webhook. Query and cancel by our payment id (the session reference), refunds
/// (partial, several) by our refund id. Calls authenticate with the <c>X-API-Key</c> header.
/// </summary>
/// <remarks>
/// Credentials (<see cref="ChannelAccount.Credential"/>): <c>merchantAccount</c>, <c>apiKey</c> and
/// <c>hmacKeyHex</c> (the webhook key, hex). The account endpoint is the acquirer's base URL; routes
/// live under <c>card/v1/</c>. No card data ever passes through this adapter: answers carry only the
/// brand and last four digits, and we keep neither.
/// </remarks>
public sealed partial class CardChannel : IPaymentChannel
{
    /// <summary>The name accounts and notification routes use for this channel.</summary>
    public const string ChannelName = "card";

    /// <summary>The next action of a page payment: send the payer's browser to the hosted page.</summary>
    public const string RedirectAction = "redirect";

    /// <summary>The body the acquirer requires as the acknowledgement of a webhook; anything else is retried.</summary>
    public const string Acknowledgement = "[accepted]";

    private const string PageMethod = "page";
    private const string UserAgent = "Payments.Channels.Card/1.0";
    private const int MaxDescriptionLength = 200;
    private const string NotFoundCode = "not_found";

    private readonly HttpClient _httpClient;

    /// <param name="httpClient">Used for every call; its <see cref="HttpClient.Timeout"/> bounds each call.</param>
    public CardChannel(HttpClient httpClient)
    {
        _httpClient = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
    }

    /// <inheritdoc />
    public string Name => ChannelName;

    /// <summary>
    /// Opens a hosted payment page session with our payment id as its reference (the acquirer answers a
    /// repeated reference with the same session, so a retried create opens one page) and returns the
    /// page as a <c>redirect</c>. Method <c>page</c> only.
    /// </summary>
    public async Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != PageMethod)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create with method '{request.Method}'");
        }

        string description = request.Subject.Length > MaxDescriptionLength ? request.Subject[..MaxDescriptionLength] : request.Subject;
        var body = new CardSessionRequest(
            account.Credential("merchantAccount"), request.PaymentId, CardStatusMapping.ToAmount(request.Amount), description, request.ExpiresAt, request.NotifyUrl.AbsoluteUri);
        var exchange = await CallAsync(account, HttpMethod.Post, "card/v1/sessions", JsonSerializer.Serialize(body, CardJsonContext.Default.CardSessionRequest), cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelOrder>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 or 201 } answered =>
                Deserialize(answered.Body, CardJsonContext.Default.CardSession) switch
                {
                    { Reference: var reference } when reference != request.PaymentId =>
                        new ChannelResult<ChannelOrder>.Unknown($"session answer is for '{reference}'"),
                    { Url: { Length: > 0 } url } => new ChannelResult<ChannelOrder>.Ok(new ChannelOrder(RedirectAction, url)),
                    _ => new ChannelResult<ChannelOrder>.Unknown("session answer without url"),
                },
            HttpExchange.Answered answered => MapFailure<ChannelOrder>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Reads the session by our payment id. A session the acquirer does not have is <c>Ok</c> with <see cref="ChannelPaymentStatus.NotFound"/>.</summary>
    public async Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        var exchange = await CallAsync(account, HttpMethod.Get, SessionPath(account, paymentId, ""), null, cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelPaymentState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadSession(paymentId, answered.Body),
            HttpExchange.Answered { StatusCode: 404 } answered when ErrorCode(answered.Body) == NotFoundCode =>
                new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null)),
            HttpExchange.Answered answered => MapFailure<ChannelPaymentState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Cancels an unpaid session so its page can no longer be paid. An authorised session is refused (<c>not_cancellable</c>).</summary>
    public async Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        string body = JsonSerializer.Serialize(new CardMerchantRequest(account.Credential("merchantAccount")), CardJsonContext.Default.CardMerchantRequest);
        var exchange = await CallAsync(account, HttpMethod.Post, SessionPath(account, paymentId, "/cancel"), body, cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<Unit>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } => new ChannelResult<Unit>.Ok(default),
            HttpExchange.Answered answered => MapFailure<Unit>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Refunds (part of) an authorised session with our refund id as the refund reference, so a retried
    /// request refunds once. The acquirer refunds synchronously; its answer carries the outcome.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken)
    {
        if (request.ChannelTransactionId is not null)
        {
            // A hosted page session is paid once; there is no second transaction to name.
            return new ChannelResult<ChannelRefundState>.NotSupported("refund of a named transaction");
        }

        var body = new CardRefundRequest(
            account.Credential("merchantAccount"), request.PaymentId, request.RefundId, CardStatusMapping.ToAmount(request.Amount), request.Reason);
        var exchange = await CallAsync(account, HttpMethod.Post, "card/v1/refunds", JsonSerializer.Serialize(body, CardJsonContext.Default.CardRefundRequest), cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 or 201 } answered => ReadRefund(request.PaymentId, request.RefundId, answered.Body),
            HttpExchange.Answered answered => MapFailure<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Reads a refund by our refund id; one the acquirer does not have is <c>Ok</c> with <see cref="ChannelRefundStatus.NotFound"/>.</summary>
    public async Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken)
    {
        string path = $"card/v1/refunds/{Uri.EscapeDataString(refundId)}?merchantAccount={Uri.EscapeDataString(account.Credential("merchantAccount"))}";
        var exchange = await CallAsync(account, HttpMethod.Get, path, null, cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadRefund(paymentId, refundId, answered.Body),
            HttpExchange.Answered { StatusCode: 404 } answered when ErrorCode(answered.Body) == NotFoundCode =>
                new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null)),
            HttpExchange.Answered answered => MapFailure<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Verifies a webhook: the <see cref="CardSigner.HeaderName"/> HMAC over the exact body with the
    /// account's key, then the merchant account (one acquirer key may serve several accounts). The
    /// notification id is the same on every retry of one event. The acknowledgement is <c>[accepted]</c>.
    /// </summary>
    public NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body)
    {
        string? signature = headers.FirstOrDefault(h => string.Equals(h.Key, CardSigner.HeaderName, StringComparison.OrdinalIgnoreCase)).Value;
        if (string.IsNullOrEmpty(signature))
        {
            return new NotificationParseResult.Invalid("not signed");
        }

        if (!CardSigner.Verify(account.Credential("hmacKeyHex"), body, signature))
        {
            return new NotificationParseResult.Invalid("signature does not verify");
        }

        if (Deserialize(body, CardJsonContext.Default.CardNotification) is not { NotificationId.Length: > 0, MerchantReference.Length: > 0 } notice)
        {
            return new NotificationParseResult.Invalid("body is not a notification");
        }

        if (notice.MerchantAccount != account.Credential("merchantAccount"))
        {
            return new NotificationParseResult.Invalid($"notification belongs to merchant account '{notice.MerchantAccount}'");
        }

        if (!CardStatusMapping.TryToMoney(notice.Amount, out var amount))
        {
            return new NotificationParseResult.Invalid("notification amount is not an amount");
        }

        if (notice.EventCode == "REFUND")
        {
            if (notice.RefundReference is not { Length: > 0 } refundId)
            {
                return new NotificationParseResult.Invalid("refund notification without refundReference");
            }

            var refundState = notice.Success
                ? new ChannelRefundState(ChannelRefundStatus.Succeeded, notice.PspReference, amount, notice.EventDate)
                : new ChannelRefundState(ChannelRefundStatus.Failed, notice.PspReference, null, null, "refund_failed", notice.Reason);

            // Only an authorised session can be refunded, so the payment's own state is known without a query.
            var paid = new ChannelPaymentState(ChannelPaymentStatus.Succeeded, null, null, null);
            return new NotificationParseResult.Valid(
                new ChannelNotification(notice.NotificationId, notice.MerchantReference, paid, body, refundId, refundState), 200, "text/plain", Acknowledgement);
        }

        ChannelPaymentState? state = notice.EventCode switch
        {
            "AUTHORISATION" when notice.Success => new ChannelPaymentState(ChannelPaymentStatus.Succeeded, notice.PspReference, amount, notice.EventDate),
            "AUTHORISATION" => new ChannelPaymentState(ChannelPaymentStatus.Failed, notice.PspReference, null, null, "refused", notice.Reason),
            "EXPIRY" or "CANCELLATION" => new ChannelPaymentState(ChannelPaymentStatus.Closed, null, null, null),
            _ => null,
        };
        return state is null
            ? new NotificationParseResult.Invalid($"unsupported eventCode '{notice.EventCode}'")
            : new NotificationParseResult.Valid(new ChannelNotification(notice.NotificationId, notice.MerchantReference, state, body), 200, "text/plain", Acknowledgement);
    }

    private static ChannelResult<ChannelPaymentState> ReadSession(string paymentId, string body)
    {
        if (Deserialize(body, CardJsonContext.Default.CardSession) is not { } session)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown("query answer is not a session");
        }

        if (session.Reference != paymentId)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown($"query answer is for '{session.Reference}'");
        }

        if (CardStatusMapping.ToPaymentStatus(session.Status) is not { } status || !CardStatusMapping.TryToMoney(session.Amount, out var amount))
        {
            return new ChannelResult<ChannelPaymentState>.Unknown($"unknown session status '{session.Status}'");
        }

        return new ChannelResult<ChannelPaymentState>.Ok(status switch
        {
            ChannelPaymentStatus.Succeeded => new ChannelPaymentState(status, session.PspReference, amount, session.AuthorisedAt),
            ChannelPaymentStatus.Failed => new ChannelPaymentState(status, session.PspReference, null, null, "refused", session.RefusalReason),
            _ => new ChannelPaymentState(status, null, null, null),
        });
    }

    private static ChannelResult<ChannelRefundState> ReadRefund(string paymentId, string refundId, string body)
    {
        if (Deserialize(body, CardJsonContext.Default.CardRefund) is not { } refund)
        {
            return new ChannelResult<ChannelRefundState>.Unknown("refund answer is not a refund");
        }

        if (refund.Reference != refundId || refund.PaymentReference != paymentId)
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"refund answer is for refund '{refund.Reference}' of '{refund.PaymentReference}'");
        }

        if (CardStatusMapping.ToRefundStatus(refund.Status) is not { } status || !CardStatusMapping.TryToMoney(refund.Amount, out var amount))
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"unknown refund status '{refund.Status}'");
        }

        return new ChannelResult<ChannelRefundState>.Ok(status == ChannelRefundStatus.Failed
            ? new ChannelRefundState(status, refund.PspReference, null, null, "refund_failed", refund.RefusalReason)
            : new ChannelRefundState(status, refund.PspReference, amount, refund.RefundedAt));
    }

    // 4xx answers are a definite no (bad request, refused state, exceeding amount). 5xx, and a 4xx
    // without the acquirer's error body (a proxy's page), may hide a change that was made: query.
    private static ChannelResult<T> MapFailure<T>(HttpExchange.Answered answered)
    {
        var error = Deserialize(answered.Body, CardJsonContext.Default.CardError);
        return ErrorAnswer.RejectedWhen4xxWithCode<T>(answered.StatusCode, error?.ErrorCode, error?.Message);
    }

    private static string? ErrorCode(string body) => Deserialize(body, CardJsonContext.Default.CardError)?.ErrorCode;

    private static string SessionPath(ChannelAccount account, string paymentId, string suffix) =>
        $"card/v1/sessions/{Uri.EscapeDataString(paymentId)}{suffix}" + (suffix.Length == 0 ? $"?merchantAccount={Uri.EscapeDataString(account.Credential("merchantAccount"))}" : "");

    private async Task<HttpExchange> CallAsync(ChannelAccount account, HttpMethod method, string relative, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(ChannelHttp.BaseUri(account), relative));
        request.Headers.TryAddWithoutValidation("X-API-Key", account.Credential("apiKey"));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return await ChannelHttp.SendAsync<HttpExchange>(
            _httpClient,
            request,
            async response => new HttpExchange.Answered((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken)),
            reason => new HttpExchange.NoAnswer(reason),
            cancellationToken);
    }
}
