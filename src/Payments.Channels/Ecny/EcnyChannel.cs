using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Channels;
using static Payments.Channels.Shared.ChannelText;
using static Payments.Channels.Shared.LenientJson;
using static Payments.Channels.Shared.SignedHeaders;

namespace Payments.Channels.Ecny;

/// <summary>
/// An e-CNY (digital renminbi) wallet operator's merchant interface: merchant-presented dynamic QR codes
/// (<c>qr</c>) and payments handed to the wallet app (<c>app</c>), with query, close, partial refunds,
/// notifications and a daily statement. The operators' interface is not published in detail, so the wire
/// format is modelled on the national standards and the style of the wallet-operator APIs, as follows.
/// </summary>
/// <remarks>
/// <para><b>Transport.</b> JSON (UTF-8, camelCase) over HTTPS under <c>{endpoint}/ecny/v1/</c>. Amounts are
/// integers in fen; times are RFC 3339 in Beijing time (<c>2026-11-24T10:00:00+08:00</c>).</para>
/// <para><b>Signatures.</b> SM2 (GB/T 32918, curve sm2p256v1) over SM3 with the GM/T 0009 default user ID
/// <c>1234567812345678</c>; the signature is base64 of the DER <c>SEQUENCE { r, s }</c>. A request signs
/// <c>METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n</c> with the merchant key and carries the headers
/// <c>Ecny-Merchant-No</c>, <c>Ecny-Serial</c> (the merchant key's serial), <c>Ecny-Timestamp</c> (Unix
/// seconds), <c>Ecny-Nonce</c> and <c>Ecny-Signature</c>. Every answer (errors included) and every
/// notification signs <c>TIMESTAMP\nNONCE\nBODY\n</c> with the platform key and carries <c>Ecny-Serial</c>
/// (the platform key's serial), <c>Ecny-Timestamp</c>, <c>Ecny-Nonce</c>, <c>Ecny-Signature</c>. Either side
/// rejects a timestamp more than five minutes from its clock.</para>
/// <para><b>Flows.</b> <c>POST /ecny/v1/orders</c> {merchantNo, outTradeNo, tradeType QR|APP, amount, currency,
/// subject, expireTime, notifyUrl} answers the order with <c>codeUrl</c> (QR) or <c>appPayUrl</c> (APP);
/// <c>GET /ecny/v1/orders/{outTradeNo}?merchantNo=</c>; <c>POST /ecny/v1/orders/{outTradeNo}/close</c>
/// {merchantNo}; <c>POST /ecny/v1/refunds</c> {merchantNo, outTradeNo, orderNo?, outRefundNo, refundAmount,
/// totalAmount, currency, reason, notifyUrl}; <c>GET /ecny/v1/refunds/{outRefundNo}?merchantNo=</c>;
/// <c>GET /ecny/v1/statements?merchantNo=&amp;date=yyyy-MM-dd</c> (see <see cref="EcnyStatement"/>). Errors
/// are 4xx/5xx with {code, message}; <c>ORDER_NOT_EXIST</c> and <c>REFUND_NOT_EXIST</c> are 404,
/// <c>SYSTEM_ERROR</c> and <c>FREQUENCY_LIMITED</c> mean "try again".</para>
/// <para><b>Notifications.</b> POSTed to the notifyUrl as {id, eventType (PAYMENT.SUCCESS, PAYMENT.FAILED,
/// PAYMENT.CLOSED, REFUND.SUCCESS, REFUND.FAILED), createTime, resourceType (order|refund), resource}, signed as
/// answers are. The resource is {algorithm: SM4_GCM, nonce (base64, 12 bytes), associatedData (the resource type),
/// ciphertext (base64 of ciphertext and 16-byte tag)} under the merchant's notification key (RFC 8998 SM4-GCM); its
/// plaintext is the order or refund JSON the query answers. The platform retries until the merchant answers 200
/// with {"code":"SUCCESS"}.</para>
/// <para>Credentials (<see cref="ChannelAccount.Credential"/>): <c>merchantNo</c>, <c>merchantSerialNo</c>,
/// <c>merchantSm2PrivateKeyPem</c> (PKCS#8), <c>platformSerialNo</c>, <c>platformSm2PublicKeyPem</c>
/// (SubjectPublicKeyInfo), <c>notifySm4KeyHex</c> (32 hex digits, the notification resource key).</para>
/// </remarks>
public sealed partial class EcnyChannel : IPaymentChannel
{
    /// <summary>The name accounts and notification routes use for this channel.</summary>
    public const string ChannelName = "ecny";

    public const string MerchantNoHeader = "Ecny-Merchant-No";
    public const string SerialHeader = "Ecny-Serial";
    public const string TimestampHeader = "Ecny-Timestamp";
    public const string NonceHeader = "Ecny-Nonce";
    public const string SignatureHeader = "Ecny-Signature";

    private const string QrMethod = "qr";
    private const string AppMethod = "app";
    private const string UserAgent = "Payments.Channels.Ecny/1.0";
    private const string NonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private const int NonceLength = 32;
    private const int MaxSubjectLength = 128;
    private const int MaxReasonLength = 80;
    private const string OrderResource = "order";
    private const string RefundResource = "refund";

    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);
    private static readonly string[] NotificationHeaders = [TimestampHeader, NonceHeader, SerialHeader, SignatureHeader];

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;

    // Parsing a PEM and checking the curve costs more than the call it signs.
    private readonly ConcurrentDictionary<KeyId, ECKeyParameters> _keys = new();

    /// <param name="httpClient">Used for every call; its <see cref="HttpClient.Timeout"/> bounds each call.</param>
    /// <param name="timeProvider">Clock for request timestamps and for the replay window.</param>
    public EcnyChannel(HttpClient httpClient, TimeProvider timeProvider)
    {
        _httpClient = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc />
    public string Name => ChannelName;

    /// <summary>
    /// Places an order whose <c>outTradeNo</c> is our payment id: <c>qr</c> answers a <c>qr_code</c> next action
    /// with the code URL the payer scans with the wallet; <c>app</c> answers a <c>redirect</c> to the wallet
    /// app's payment URL. CNY only.
    /// </summary>
    public async Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken)
    {
        string? tradeType = request.Method switch
        {
            QrMethod => "QR",
            AppMethod => "APP",
            _ => null,
        };
        if (tradeType is null)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create with method '{request.Method}'");
        }

        if (request.Amount.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create in {request.Amount.Currency.Code}");
        }

        var order = new EcnyOrderRequest(
            account.Credential("merchantNo"),
            request.PaymentId,
            tradeType,
            request.Amount.MinorUnits,
            request.Amount.Currency.Code,
            Truncate(request.Subject, MaxSubjectLength),
            request.ExpiresAt.ToOffset(BeijingOffset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            request.NotifyUrl.AbsoluteUri);
        string body = JsonSerializer.Serialize(order, EcnyJsonContext.Default.EcnyOrderRequest);

        switch (await SendAsync(account, HttpMethod.Post, "/ecny/v1/orders", body, cancellationToken))
        {
            case HttpExchange.NoAnswer noAnswer:
                return new ChannelResult<ChannelOrder>.Unknown(noAnswer.Reason);
            case HttpExchange.Answered { StatusCode: 200 } answered:
                var created = Deserialize(answered.Body, EcnyJsonContext.Default.EcnyOrder);
                if (created?.OutTradeNo != request.PaymentId)
                {
                    return new ChannelResult<ChannelOrder>.Unknown("order answer is not for this payment");
                }

                return (tradeType, created) switch
                {
                    ("QR", { CodeUrl: { Length: > 0 } codeUrl }) => new ChannelResult<ChannelOrder>.Ok(new ChannelOrder("qr_code", codeUrl)),
                    ("APP", { AppPayUrl: { Length: > 0 } appPayUrl }) => new ChannelResult<ChannelOrder>.Ok(new ChannelOrder("redirect", appPayUrl)),
                    _ => new ChannelResult<ChannelOrder>.Unknown($"{tradeType} order answer without its payment URL"),
                };
            case HttpExchange.Answered answered:
                return MapError<ChannelOrder>(answered);
            default:
                throw new InvalidOperationException("Unreachable exchange.");
        }
    }

    /// <summary>Reads the order by our payment id. An order the platform does not have is Ok with NotFound.</summary>
    public async Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        string path = $"/ecny/v1/orders/{Uri.EscapeDataString(paymentId)}?merchantNo={Uri.EscapeDataString(account.Credential("merchantNo"))}";
        return await SendAsync(account, HttpMethod.Get, path, body: null, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelPaymentState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadOrder(paymentId, answered.Body),
            HttpExchange.Answered { StatusCode: 404 } answered when ErrorCode(answered.Body) == "ORDER_NOT_EXIST" =>
                new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null)),
            HttpExchange.Answered answered => MapError<ChannelPaymentState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Closes an unpaid order so its code no longer pays. Closing a closed order is Ok.</summary>
    public async Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        string path = $"/ecny/v1/orders/{Uri.EscapeDataString(paymentId)}/close";
        string body = JsonSerializer.Serialize(new EcnyCloseRequest(account.Credential("merchantNo")), EcnyJsonContext.Default.EcnyCloseRequest);
        return await SendAsync(account, HttpMethod.Post, path, body, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<Unit>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 or 204 } => new ChannelResult<Unit>.Ok(default),
            HttpExchange.Answered answered => MapError<Unit>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Asks for a (partial) refund whose <c>outRefundNo</c> is our refund id, so a retried request answers the
    /// refund already made. A duplicate payment is named by its <c>orderNo</c>. CNY only.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken)
    {
        if (request.Amount.Currency != Currency.CNY || request.PaymentTotal.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelRefundState>.NotSupported($"refund in {request.Amount.Currency.Code}");
        }

        var refund = new EcnyRefundRequest(
            account.Credential("merchantNo"),
            request.PaymentId,
            request.ChannelTransactionId,
            request.RefundId,
            request.Amount.MinorUnits,
            request.PaymentTotal.MinorUnits,
            request.Amount.Currency.Code,
            request.Reason is { Length: > 0 } reason ? Truncate(reason, MaxReasonLength) : null,
            request.NotifyUrl.AbsoluteUri);
        string body = JsonSerializer.Serialize(refund, EcnyJsonContext.Default.EcnyRefundRequest);
        return await SendAsync(account, HttpMethod.Post, "/ecny/v1/refunds", body, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadRefund(request.PaymentId, request.RefundId, answered.Body),
            HttpExchange.Answered answered => MapError<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Reads a refund by our refund id. A refund the platform does not have is Ok with NotFound.</summary>
    public async Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken)
    {
        string path = $"/ecny/v1/refunds/{Uri.EscapeDataString(refundId)}?merchantNo={Uri.EscapeDataString(account.Credential("merchantNo"))}";
        return await SendAsync(account, HttpMethod.Get, path, body: null, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadRefund(paymentId, refundId, answered.Body),
            HttpExchange.Answered { StatusCode: 404 } answered when ErrorCode(answered.Body) == "REFUND_NOT_EXIST" =>
                new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null)),
            HttpExchange.Answered answered => MapError<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Verifies a payment or refund notification (platform signature, serial, five-minute window), decrypts its
    /// resource with the notification SM4 key and reads it. The acknowledgement is 200 with {"code":"SUCCESS"}.
    /// </summary>
    public NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body)
    {
        var values = new string[NotificationHeaders.Length];
        for (int i = 0; i < NotificationHeaders.Length; i++)
        {
            if (FindHeader(headers, NotificationHeaders[i]) is not { Length: > 0 } value)
            {
                return new NotificationParseResult.Invalid($"missing header {NotificationHeaders[i]}");
            }

            values[i] = value;
        }

        if (SignatureProblem(account, values[0], values[1], values[2], values[3], body) is { } problem)
        {
            return new NotificationParseResult.Invalid(problem);
        }

        if (Deserialize(body, EcnyJsonContext.Default.EcnyNotification) is not
            { Id: { Length: > 0 } id, ResourceType: OrderResource or RefundResource, Resource: { } resource } notification)
        {
            return new NotificationParseResult.Invalid("body is not an e-CNY notification");
        }

        // The associated data must be the resource type: the ciphertext is then bound to the type it is read as.
        if (resource.Algorithm != EcnySm4Gcm.Algorithm || resource.AssociatedData != notification.ResourceType)
        {
            return new NotificationParseResult.Invalid($"unsupported resource '{resource.Algorithm}' / '{resource.AssociatedData}'");
        }

        string raw;
        try
        {
            raw = EcnySm4Gcm.DecryptResource(account.Credential("notifySm4KeyHex"), resource.Nonce ?? "", resource.AssociatedData, resource.Ciphertext ?? "");
        }
        catch (CryptographicException)
        {
            return new NotificationParseResult.Invalid("resource does not decrypt with the notification SM4 key");
        }

        string ack = JsonSerializer.Serialize(new EcnyAcknowledgement("SUCCESS", "OK"), EcnyJsonContext.Default.EcnyAcknowledgement);
        if (notification.ResourceType == RefundResource)
        {
            if (Deserialize(raw, EcnyJsonContext.Default.EcnyRefund) is not { OutTradeNo: { Length: > 0 } paymentId, OutRefundNo: { Length: > 0 } refundId } refund)
            {
                return new NotificationParseResult.Invalid("resource is not a refund");
            }

            // The signature proves the platform sent it, not that it is ours: one platform key serves many merchants.
            if (refund.MerchantNo != account.Credential("merchantNo"))
            {
                return new NotificationParseResult.Invalid($"refund belongs to merchant '{refund.MerchantNo}'");
            }

            if (!EcnyStatusMapping.TryToRefundState(refund, out var refundState, out string refundProblem))
            {
                return new NotificationParseResult.Invalid(refundProblem);
            }

            // Only a paid order can be refunded, so the payment's own state is known without a query.
            var paid = new ChannelPaymentState(ChannelPaymentStatus.Succeeded, refund.OrderNo, null, null);
            return new NotificationParseResult.Valid(new ChannelNotification(id, paymentId, paid, raw, refundId, refundState), 200, "application/json", ack);
        }

        if (Deserialize(raw, EcnyJsonContext.Default.EcnyOrder) is not { OutTradeNo: { Length: > 0 } orderPaymentId } order)
        {
            return new NotificationParseResult.Invalid("resource is not an order");
        }

        if (order.MerchantNo != account.Credential("merchantNo"))
        {
            return new NotificationParseResult.Invalid($"order belongs to merchant '{order.MerchantNo}'");
        }

        return EcnyStatusMapping.TryToState(order, out var state, out string stateProblem)
            ? new NotificationParseResult.Valid(new ChannelNotification(id, orderPaymentId, state, raw), 200, "application/json", ack)
            : new NotificationParseResult.Invalid(stateProblem);
    }

    private static ChannelResult<ChannelPaymentState> ReadOrder(string paymentId, string body)
    {
        if (Deserialize(body, EcnyJsonContext.Default.EcnyOrder) is not { } order)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown("query answer is not an order");
        }

        if (order.OutTradeNo != paymentId)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown($"query answer is for order '{order.OutTradeNo}'");
        }

        return EcnyStatusMapping.TryToState(order, out var state, out string problem)
            ? new ChannelResult<ChannelPaymentState>.Ok(state)
            : new ChannelResult<ChannelPaymentState>.Unknown(problem);
    }

    private static ChannelResult<ChannelRefundState> ReadRefund(string paymentId, string refundId, string body)
    {
        if (Deserialize(body, EcnyJsonContext.Default.EcnyRefund) is not { } refund)
        {
            return new ChannelResult<ChannelRefundState>.Unknown("refund answer is not a refund");
        }

        if (refund.OutRefundNo != refundId || refund.OutTradeNo != paymentId)
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"refund answer is for refund '{refund.OutRefundNo}' of order '{refund.OutTradeNo}'");
        }

        return EcnyStatusMapping.TryToRefundState(refund, out var state, out string problem)
            ? new ChannelResult<ChannelRefundState>.Ok(state)
            : new ChannelResult<ChannelRefundState>.Unknown(problem);
    }

    // Only a definite "no" is Rejected: rate limits, the platform's own failures and unreadable answers may
    // hide an order that was created, so the caller has to query.
    private static ChannelResult<T> MapError<T>(HttpExchange.Answered answered)
    {
        var error = Deserialize(answered.Body, EcnyJsonContext.Default.EcnyError);
        return ErrorAnswer.RejectedWhenDefinite4xx<T>(answered.StatusCode, error?.Code, error?.Message, "FREQUENCY_LIMITED", "SYSTEM_ERROR");
    }

    private static string? ErrorCode(string body) => Deserialize(body, EcnyJsonContext.Default.EcnyError)?.Code;

    private HttpRequestMessage SignedRequest(ChannelAccount account, HttpMethod method, Uri uri, string? body)
    {
        string timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetString(NonceAlphabet, NonceLength);
        string message = EcnySigner.BuildRequestMessage(method.Method, uri.PathAndQuery, timestamp, nonce, body ?? string.Empty);
        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation(MerchantNoHeader, account.Credential("merchantNo"));
        request.Headers.TryAddWithoutValidation(SerialHeader, account.Credential("merchantSerialNo"));
        request.Headers.TryAddWithoutValidation(TimestampHeader, timestamp);
        request.Headers.TryAddWithoutValidation(NonceHeader, nonce);
        request.Headers.TryAddWithoutValidation(SignatureHeader, EcnySigner.Sign(MerchantKey(account), message));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (body is not null)
        {
            request.Content = new StringContent(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), "application/json");
        }

        return request;
    }

    // Appending keeps any path prefix in the endpoint; the signed target is taken from the final URI so it
    // matches what goes on the wire, escaping included.
    private static Uri Target(ChannelAccount account, string pathAndQuery) => new(account.Endpoint.AbsoluteUri.TrimEnd('/') + pathAndQuery);

    private async Task<HttpExchange> SendAsync(ChannelAccount account, HttpMethod method, string pathAndQuery, string? body, CancellationToken cancellationToken)
    {
        using var request = SignedRequest(account, method, Target(account, pathAndQuery), body);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await ChannelHttp.SendAsync<HttpExchange>(
            _httpClient, request, response => ReadAnswerAsync(account, response, cancellationToken), reason => new HttpExchange.NoAnswer(reason), cancellationToken);
    }

    private async Task<HttpExchange> ReadAnswerAsync(ChannelAccount account, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        string responseBody = Encoding.UTF8.GetString(bytes);
        int status = (int)response.StatusCode;

        // A 2xx is believed only when signed. An error answer without a signature (a proxy's 502) is read
        // as the unsigned error it is; one that carries a signature must verify.
        if (status is >= 200 and < 300 || response.Headers.Contains(SignatureHeader))
        {
            if (SignatureProblem(account, ResponseHeader(response, TimestampHeader), ResponseHeader(response, NonceHeader),
                ResponseHeader(response, SerialHeader), ResponseHeader(response, SignatureHeader), responseBody) is { } problem)
            {
                return new HttpExchange.NoAnswer($"HTTP {status} answer rejected: {problem}");
            }
        }
        else if (status is >= 400 and < 500)
        {
            // An unsigned 4xx could come from anyone on the path: it is not a definite "no".
            return new HttpExchange.NoAnswer($"HTTP {status} answer is not signed");
        }

        return new HttpExchange.Answered(status, responseBody);
    }

    private string? TimestampProblem(string serial, string timestamp, ChannelAccount account)
    {
        if (serial != account.Credential("platformSerialNo"))
        {
            return $"signed with unknown platform serial '{serial}'";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            return "malformed timestamp";
        }

        return Math.Abs(_timeProvider.GetUtcNow().ToUnixTimeSeconds() - seconds) > (long)MaxClockSkew.TotalSeconds
            ? "timestamp outside the five-minute window"
            : null;
    }

    private string? SignatureProblem(ChannelAccount account, string? timestamp, string? nonce, string? serial, string? signature, string body)
    {
        if (timestamp is null || nonce is null || serial is null || signature is null)
        {
            return "not signed";
        }

        if (TimestampProblem(serial, timestamp, account) is { } problem)
        {
            return problem;
        }

        return EcnySigner.Verify(PlatformKey(account), EcnySigner.BuildResponseMessage(timestamp, nonce, body), signature)
            ? null
            : "signature does not verify";
    }

    private ECPrivateKeyParameters MerchantKey(ChannelAccount account) =>
        (ECPrivateKeyParameters)_keys.GetOrAdd(
            new KeyId(account.Id, account.Credential("merchantSerialNo"), IsPrivate: true),
            static (_, pem) => EcnySigner.ImportPrivateKeyPem(pem),
            account.Credential("merchantSm2PrivateKeyPem"));

    private ECPublicKeyParameters PlatformKey(ChannelAccount account) =>
        (ECPublicKeyParameters)_keys.GetOrAdd(
            new KeyId(account.Id, account.Credential("platformSerialNo"), IsPrivate: false),
            static (_, pem) => EcnySigner.ImportPublicKeyPem(pem),
            account.Credential("platformSm2PublicKeyPem"));

    private readonly record struct KeyId(string AccountId, string Serial, bool IsPrivate);
}
