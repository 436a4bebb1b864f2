using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Channels;
using static Payments.Channels.Shared.LenientJson;

namespace Payments.Channels.Transfer;

/// <summary>
/// Bank transfer to a reference, through a bank's corporate collections API: for each payment the bank allocates a
/// virtual account number and a reference code; the payer transfers from any bank account, quoting the reference,
/// and the bank credits the merchant's collection account and posts a signed notification.
/// </summary>
/// <remarks>
/// <para>Wire: JSON over HTTPS under <c>transfer/v1/</c>, amounts in fen (CNY only). Every request carries
/// <c>X-Corp-Id</c>, <c>X-Timestamp</c> (Unix seconds), <c>X-Nonce</c> and <c>X-Signature</c>, the HMAC-SHA256
/// (<see cref="TransferSigner"/>) of <c>METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY</c> with the API key. Flows:
/// <c>POST collections</c> (idempotent on <c>merchantRef</c>, our payment id), <c>GET collections/{merchantRef}</c>,
/// <c>POST collections/{merchantRef}/close</c>, <c>POST refunds</c> (idempotent on <c>refundRef</c>),
/// <c>GET refunds/{refundRef}</c>, <c>GET statements?date=</c> (CSV, see <see cref="TransferStatement"/>). Errors
/// are 4xx with <c>{code, message}</c>. Notifications (<c>CREDIT_RECEIVED</c>, <c>COLLECTION_CLOSED</c>,
/// <c>REFUND_SETTLED</c>, <c>REFUND_FAILED</c>) are signed by the bank with the notification key over
/// <c>TIMESTAMP\nNONCE\nBODY</c> and acknowledged with 200 <c>{"code":"SUCCESS"}</c>.</para>
/// <para>Bank semantics: a reference accepts credits until it is paid in full or closed/expired; later credits are
/// returned to their sender by the bank and never reach the merchant. Closing a reference that holds part of the
/// amount succeeds and the bank keeps that money for the merchant until it is refunded. A refund returns money to
/// the account the credit came from, partially and repeatedly, never more in total than was credited.</para>
/// <para>Credentials: <c>corporateId</c>, <c>apiKeyHex</c> (request signing) and <c>notifyKeyHex</c>
/// (notification verification). The account endpoint is the bank's base URL.</para>
/// </remarks>
public sealed partial class TransferChannel : IPaymentChannel
{
    /// <summary>The name accounts and notification routes use for this channel.</summary>
    public const string ChannelName = "transfer";

    /// <summary>The next action: show the payer the bank's instruction page (account, reference, amount, deadline).</summary>
    public const string BankTransferAction = "bank_transfer";

    /// <summary>The acknowledgement body the bank requires.</summary>
    public const string Acknowledgement = """{"code":"SUCCESS"}""";

    private const string PageMethod = "page";
    private const string UserAgent = "Payments.Channels.Transfer/1.0";
    private const int MaxRemarkLength = 60;
    private const string NotFoundCode = "NOT_FOUND";

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _time;

    /// <param name="httpClient">Used for every call; its <see cref="HttpClient.Timeout"/> bounds each call.</param>
    /// <param name="time">The clock request time stamps come from; the system clock when not given.</param>
    public TransferChannel(HttpClient httpClient, TimeProvider? time = null)
    {
        _httpClient = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string Name => ChannelName;

    /// <summary>
    /// Allocates the virtual account and reference for the payment (a repeated <c>merchantRef</c> gets the same
    /// collection, so a retried create allocates once) and returns the payer instruction page as <c>bank_transfer</c>.
    /// </summary>
    public async Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken)
    {
        if (request.Method != PageMethod)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create with method '{request.Method}'");
        }

        if (!TransferStatusMapping.IsCny(request.Amount.Currency.Code))
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create in {request.Amount.Currency.Code}");
        }

        string remark = request.Subject.Length > MaxRemarkLength ? request.Subject[..MaxRemarkLength] : request.Subject;
        var body = new TransferCollectionRequest(request.PaymentId, request.Amount.MinorUnits, request.Amount.Currency.Code, remark, request.ExpiresAt, request.NotifyUrl.AbsoluteUri);
        var exchange = await CallAsync(account, HttpMethod.Post, "transfer/v1/collections", JsonSerializer.Serialize(body, TransferJsonContext.Default.TransferCollectionRequest), cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelOrder>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 or 201 } answered =>
                Deserialize(answered.Body, TransferJsonContext.Default.TransferCollection) switch
                {
                    { MerchantRef: var reference } when reference != request.PaymentId =>
                        new ChannelResult<ChannelOrder>.Unknown($"collection answer is for '{reference}'"),
                    { PayUrl: { Length: > 0 } url } => new ChannelResult<ChannelOrder>.Ok(new ChannelOrder(BankTransferAction, url)),
                    _ => new ChannelResult<ChannelOrder>.Unknown("collection answer without payUrl"),
                },
            HttpExchange.Answered answered => MapFailure<ChannelOrder>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Reads the collection by our payment id: Pending (with the cumulative credit when some arrived), Succeeded
    /// when paid in full (perhaps more), Closed (with what it holds). One the bank does not have is NotFound.
    /// </summary>
    public async Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        var exchange = await CallAsync(account, HttpMethod.Get, CollectionPath(paymentId, ""), null, cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelPaymentState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadCollection(paymentId, answered.Body),
            HttpExchange.Answered { StatusCode: 404 } answered when ErrorCode(answered.Body) == NotFoundCode =>
                new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null, PayerSetsAmount: true)),
            HttpExchange.Answered answered => MapFailure<ChannelPaymentState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Closes the reference so it accepts no more credits. Closing one that holds part of the amount
    /// succeeds (the money stays for us to refund); a paid one is refused with <c>ALREADY_PAID</c>.</summary>
    public async Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        var exchange = await CallAsync(account, HttpMethod.Post, CollectionPath(paymentId, "/close"), "{}", cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<Unit>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } => new ChannelResult<Unit>.Ok(default),
            HttpExchange.Answered answered => MapFailure<Unit>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Returns money to the account(s) it came from, with our refund id as <c>refundRef</c> so a retried request
    /// refunds once. With <see cref="ChannelRefundRequest.ChannelTransactionId"/> the refund names the collection by
    /// the bank's id (an excess or money held at close); otherwise by our payment id.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken)
    {
        if (!TransferStatusMapping.IsCny(request.Amount.Currency.Code))
        {
            return new ChannelResult<ChannelRefundState>.NotSupported($"refund in {request.Amount.Currency.Code}");
        }

        var body = new TransferRefundRequest(
            request.RefundId,
            request.ChannelTransactionId is null ? request.PaymentId : null,
            request.ChannelTransactionId,
            request.Amount.MinorUnits,
            request.Amount.Currency.Code,
            request.Reason,
            request.NotifyUrl.AbsoluteUri);
        var exchange = await CallAsync(account, HttpMethod.Post, "transfer/v1/refunds", JsonSerializer.Serialize(body, TransferJsonContext.Default.TransferRefundRequest), cancellationToken);
        return exchange switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 or 201 } answered => ReadRefund(request.PaymentId, request.RefundId, answered.Body),
            HttpExchange.Answered answered => MapFailure<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Reads a refund by our refund id; one the bank does not have is <c>Ok</c> with <see cref="ChannelRefundStatus.NotFound"/>.</summary>
    public async Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken)
    {
        var exchange = await CallAsync(account, HttpMethod.Get, $"transfer/v1/refunds/{Uri.EscapeDataString(refundId)}", null, cancellationToken);
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
    /// Verifies a notification (the bank's HMAC over <c>TIMESTAMP\nNONCE\nBODY</c> with the notification key), then
    /// that it is for this corporate. The notification id is the same on every retry of one event.
    /// </summary>
    public NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body)
    {
        string? timestamp = Header(headers, TransferSigner.NotifyTimestampHeader);
        string? nonce = Header(headers, TransferSigner.NotifyNonceHeader);
        string? signature = Header(headers, TransferSigner.NotifySignatureHeader);
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(nonce) || string.IsNullOrEmpty(signature))
        {
            return new NotificationParseResult.Invalid("not signed");
        }

        if (!TransferSigner.Verify(account.Credential("notifyKeyHex"), TransferSigner.NotificationMessage(timestamp, nonce, body), signature))
        {
            return new NotificationParseResult.Invalid("signature does not verify");
        }

        if (Deserialize(body, TransferJsonContext.Default.TransferNotification) is not { NotificationId.Length: > 0, Collection.MerchantRef.Length: > 0 } notice)
        {
            return new NotificationParseResult.Invalid("body is not a notification");
        }

        if (notice.CorporateId != account.Credential("corporateId"))
        {
            return new NotificationParseResult.Invalid($"notification belongs to corporate '{notice.CorporateId}'");
        }

        var collection = notice.Collection!;
        if (TransferStatusMapping.ToPaymentState(collection) is not { } state)
        {
            return new NotificationParseResult.Invalid($"unknown collection status '{collection.Status}'");
        }

        if (notice.EventType is "CREDIT_RECEIVED" or "COLLECTION_CLOSED")
        {
            return new NotificationParseResult.Valid(new ChannelNotification(notice.NotificationId, collection.MerchantRef, state, body), 200, "application/json", Acknowledgement);
        }

        if (notice.EventType is not ("REFUND_SETTLED" or "REFUND_FAILED") || notice.Refund is not { RefundRef.Length: > 0 } refund)
        {
            return new NotificationParseResult.Invalid($"unsupported eventType '{notice.EventType}'");
        }

        if (ToRefundState(refund) is not { } refundState)
        {
            return new NotificationParseResult.Invalid($"unknown refund status '{refund.Status}'");
        }

        return new NotificationParseResult.Valid(
            new ChannelNotification(notice.NotificationId, collection.MerchantRef, state, body, refund.RefundRef, refundState), 200, "application/json", Acknowledgement);
    }

    private static ChannelResult<ChannelPaymentState> ReadCollection(string paymentId, string body)
    {
        if (Deserialize(body, TransferJsonContext.Default.TransferCollection) is not { } collection)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown("query answer is not a collection");
        }

        if (collection.MerchantRef != paymentId)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown($"query answer is for '{collection.MerchantRef}'");
        }

        return TransferStatusMapping.ToPaymentState(collection) is { } state
            ? new ChannelResult<ChannelPaymentState>.Ok(state)
            : new ChannelResult<ChannelPaymentState>.Unknown($"unknown collection status '{collection.Status}'");
    }

    private static ChannelResult<ChannelRefundState> ReadRefund(string paymentId, string refundId, string body)
    {
        if (Deserialize(body, TransferJsonContext.Default.TransferRefund) is not { } refund)
        {
            return new ChannelResult<ChannelRefundState>.Unknown("refund answer is not a refund");
        }

        if (refund.RefundRef != refundId || refund.MerchantRef != paymentId)
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"refund answer is for refund '{refund.RefundRef}' of '{refund.MerchantRef}'");
        }

        return ToRefundState(refund) is { } state
            ? new ChannelResult<ChannelRefundState>.Ok(state)
            : new ChannelResult<ChannelRefundState>.Unknown($"unknown refund status '{refund.Status}'");
    }

    private static ChannelRefundState? ToRefundState(TransferRefund refund)
    {
        if (TransferStatusMapping.ToRefundStatus(refund.Status) is not { } status || !Currency.TryParse(refund.Currency, out var currency) || refund.Amount <= 0)
        {
            return null;
        }

        return status == ChannelRefundStatus.Failed
            ? new ChannelRefundState(status, refund.RefundId, null, null, "refund_failed", refund.FailureReason)
            : new ChannelRefundState(status, refund.RefundId, new Money(refund.Amount, currency), status == ChannelRefundStatus.Succeeded ? refund.ReturnedAt : null);
    }

    // 4xx answers with the bank's error body are a definite no. 5xx, and a 4xx without it (a proxy's page),
    // may hide a change that was made: query.
    private static ChannelResult<T> MapFailure<T>(HttpExchange.Answered answered)
    {
        var error = Deserialize(answered.Body, TransferJsonContext.Default.TransferError);
        return ErrorAnswer.RejectedWhen4xxWithCode<T>(answered.StatusCode, error?.Code, error?.Message);
    }

    private static string? ErrorCode(string body) => Deserialize(body, TransferJsonContext.Default.TransferError)?.Code;

    private static string? Header(IReadOnlyDictionary<string, string> headers, string name) =>
        headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    private static string CollectionPath(string paymentId, string suffix) => $"transfer/v1/collections/{Uri.EscapeDataString(paymentId)}{suffix}";

    private HttpRequestMessage SignedRequest(ChannelAccount account, HttpMethod method, string relative, string? json)
    {
        var uri = new Uri(ChannelHttp.BaseUri(account), relative);
        long timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        string nonce = RandomNumberGenerator.GetHexString(32, lowercase: true);
        string signature = TransferSigner.Sign(
            account.Credential("apiKeyHex"), TransferSigner.RequestMessage(method.Method, uri.PathAndQuery, timestamp, nonce, json ?? ""));
        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation(TransferSigner.CorporateHeader, account.Credential("corporateId"));
        request.Headers.TryAddWithoutValidation(TransferSigner.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(TransferSigner.NonceHeader, nonce);
        request.Headers.TryAddWithoutValidation(TransferSigner.SignatureHeader, signature);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }

    private async Task<HttpExchange> CallAsync(ChannelAccount account, HttpMethod method, string relative, string? json, CancellationToken cancellationToken)
    {
        using var request = SignedRequest(account, method, relative, json);
        return await ChannelHttp.SendAsync<HttpExchange>(
            _httpClient,
            request,
            async response => new HttpExchange.Answered((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken)),
            reason => new HttpExchange.NoAnswer(reason),
            cancellationToken);
    }
}
