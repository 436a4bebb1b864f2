using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Channels;
using static Payments.Channels.Shared.ChannelText;
using static Payments.Channels.Shared.LenientJson;
using static Payments.Channels.Shared.SignedHeaders;

namespace Payments.Channels.WeChatPay;

/// <summary>
/// WeChat Pay API v3 (Native / QR code payments and domestic refunds). Every request is signed with the merchant key
/// and every answer is verified with the platform key before its body is believed: an answer that
/// does not verify is <c>Unknown</c>, never a result.
/// </summary>
/// <remarks>
/// Credentials (<see cref="ChannelAccount.Credential"/>): <c>mchId</c>, <c>merchantSerialNo</c>,
/// <c>merchantPrivateKeyPem</c> (PKCS#8), <c>apiV3Key</c>, <c>platformSerialNo</c>,
/// <c>platformPublicKeyPem</c> (SubjectPublicKeyInfo) and optionally <c>appId</c>.
/// </remarks>
public sealed partial class WeChatPayChannel : IPaymentChannel
{
    /// <summary>The name accounts and notification routes use for this channel.</summary>
    public const string ChannelName = "wechatpay";

    private const string NativeMethod = "qr";
    private const string UserAgent = "Payments.Channels.WeChatPay/1.0";
    private const string NonceAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private const int NonceLength = 32;

    // WeChat's own limit on description; longer subjects are refused outright.
    private const int MaxDescriptionLength = 127;
    // WeChat's limit on a refund reason, in UTF-8 bytes; it is shown to the payer, so a cut reason
    // beats a refused refund.
    private const int MaxRefundReasonBytes = 80;
    private const string TransactionResource = "transaction";
    private const string RefundResource = "refund";
    private const string TimestampHeader = "Wechatpay-Timestamp";
    private const string NonceHeader = "Wechatpay-Nonce";
    private const string SerialHeader = "Wechatpay-Serial";
    private const string SignatureHeader = "Wechatpay-Signature";

    // Both directions: a signed answer or notification older than this is treated as a replay.
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    // time_expire is written in Beijing time because that is how WeChat shows it back to merchants.
    private static readonly TimeSpan BeijingOffset = TimeSpan.FromHours(8);

    private static readonly string[] SignatureHeaders = [TimestampHeader, NonceHeader, SerialHeader, SignatureHeader];

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;

    // Parsing a PEM and building an RSA key costs far more than the call it signs.
    private readonly ConcurrentDictionary<KeyId, RSA> _keys = new();

    /// <param name="httpClient">Used for every call; its <see cref="HttpClient.Timeout"/> bounds each call.</param>
    /// <param name="timeProvider">Clock for request timestamps and for the replay window.</param>
    public WeChatPayChannel(HttpClient httpClient, TimeProvider timeProvider)
    {
        _httpClient = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc />
    public string Name => ChannelName;

    /// <summary>
    /// Places a Native order (<c>POST /v3/pay/transactions/native</c>) whose <c>out_trade_no</c> is our
    /// payment id, and returns its QR code URL as a <c>qr_code</c> next action. Only the <c>qr</c>
    /// method in CNY is supported.
    /// </summary>
    public async Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken)
    {
        if (!string.Equals(request.Method, NativeMethod, StringComparison.Ordinal))
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create with method '{request.Method}'");
        }

        if (request.Amount.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create in {request.Amount.Currency.Code}");
        }

        var order = new WeChatPayNativeOrderRequest(
            AppId: account.Credentials.TryGetValue("appId", out var appId) ? appId.Reveal() : null,
            MchId: account.Credential("mchId"),
            Description: Truncate(request.Subject, MaxDescriptionLength),
            OutTradeNo: request.PaymentId,
            TimeExpire: request.ExpiresAt.ToOffset(BeijingOffset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            NotifyUrl: request.NotifyUrl.AbsoluteUri,
            Amount: new WeChatPayOrderAmount(request.Amount.MinorUnits, request.Amount.Currency.Code));
        string body = JsonSerializer.Serialize(order, WeChatPayJsonContext.Default.WeChatPayNativeOrderRequest);

        return await SendAsync(account, HttpMethod.Post, "/v3/pay/transactions/native", body, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelOrder>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered =>
                Deserialize(answered.Body, WeChatPayJsonContext.Default.WeChatPayNativeOrderResponse) is { CodeUrl: { Length: > 0 } codeUrl }
                    ? new ChannelResult<ChannelOrder>.Ok(new ChannelOrder("qr_code", codeUrl))
                    : new ChannelResult<ChannelOrder>.Unknown("order answer without code_url"),
            HttpExchange.Answered answered => MapError<ChannelOrder>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Reads the order by our payment id (<c>GET /v3/pay/transactions/out-trade-no/{id}</c>).
    /// An order WeChat does not have is <c>Ok</c> with <see cref="ChannelPaymentStatus.NotFound"/>.
    /// </summary>
    public async Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        string path = $"/v3/pay/transactions/out-trade-no/{Uri.EscapeDataString(paymentId)}?mchid={Uri.EscapeDataString(account.Credential("mchId"))}";

        return await SendAsync(account, HttpMethod.Get, path, body: null, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelPaymentState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadTransaction(paymentId, answered.Body),
            HttpExchange.Answered { StatusCode: 404 } answered
                when Deserialize(answered.Body, WeChatPayJsonContext.Default.WeChatPayError) is { Code: "ORDER_NOT_EXIST" } =>
                new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null)),
            HttpExchange.Answered answered => MapError<ChannelPaymentState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Closes an unpaid order (<c>POST /v3/pay/transactions/out-trade-no/{id}/close</c>) so it can no
    /// longer be paid. WeChat answers 204 with an empty, still signed, body.
    /// </summary>
    public async Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        string path = $"/v3/pay/transactions/out-trade-no/{Uri.EscapeDataString(paymentId)}/close";
        string body = JsonSerializer.Serialize(new WeChatPayCloseRequest(account.Credential("mchId")), WeChatPayJsonContext.Default.WeChatPayCloseRequest);

        return await SendAsync(account, HttpMethod.Post, path, body, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<Unit>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 or 204 } => new ChannelResult<Unit>.Ok(default),
            HttpExchange.Answered answered => MapError<Unit>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Asks for a domestic refund (<c>POST /v3/refund/domestic/refunds</c>) whose <c>out_refund_no</c>
    /// is our refund id, so a retried request answers the refund already made. Only CNY.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken)
    {
        if (request.Amount.Currency != Currency.CNY || request.PaymentTotal.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelRefundState>.NotSupported($"refund in {request.Amount.Currency.Code}");
        }

        var refund = new WeChatPayRefundRequest(
            // A duplicate payment is refunded by its own transaction; everything else by our order number.
            TransactionId: request.ChannelTransactionId,
            OutTradeNo: request.ChannelTransactionId is null ? request.PaymentId : null,
            OutRefundNo: request.RefundId,
            Reason: request.Reason is { Length: > 0 } reason ? TruncateUtf8(reason, MaxRefundReasonBytes) : null,
            NotifyUrl: request.NotifyUrl.AbsoluteUri,
            Amount: new WeChatPayRefundRequestAmount(request.Amount.MinorUnits, request.PaymentTotal.MinorUnits, request.Amount.Currency.Code));
        string body = JsonSerializer.Serialize(refund, WeChatPayJsonContext.Default.WeChatPayRefundRequest);

        // A 404 here is about the order (RESOURCE_NOT_EXISTS: no such paid order), a definite no.
        return await SendAsync(account, HttpMethod.Post, "/v3/refund/domestic/refunds", body, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadRefund(request.PaymentId, request.RefundId, answered.Body),
            HttpExchange.Answered answered => MapError<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Reads a refund by our refund id (<c>GET /v3/refund/domestic/refunds/{out_refund_no}</c>). A
    /// refund WeChat does not have is <c>Ok</c> with <see cref="ChannelRefundStatus.NotFound"/>.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken)
    {
        string path = $"/v3/refund/domestic/refunds/{Uri.EscapeDataString(refundId)}";

        return await SendAsync(account, HttpMethod.Get, path, body: null, cancellationToken) switch
        {
            HttpExchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            HttpExchange.Answered { StatusCode: 200 } answered => ReadRefund(paymentId, refundId, answered.Body),
            HttpExchange.Answered { StatusCode: 404 } answered
                when Deserialize(answered.Body, WeChatPayJsonContext.Default.WeChatPayError) is { Code: "RESOURCE_NOT_EXISTS" } =>
                new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null)),
            HttpExchange.Answered answered => MapError<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Verifies a payment (<c>TRANSACTION.*</c>) or refund (<c>REFUND.*</c>) notification: signature
    /// with the platform key, time stamp within five minutes; then decrypts its resource with the
    /// APIv3 key and reads the transaction or refund. The acknowledgement is an empty 204, which
    /// WeChat takes as received.
    /// </summary>
    public NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body)
    {
        var values = new string[SignatureHeaders.Length];
        for (int i = 0; i < SignatureHeaders.Length; i++)
        {
            if (FindHeader(headers, SignatureHeaders[i]) is not { Length: > 0 } value)
            {
                return new NotificationParseResult.Invalid($"missing header {SignatureHeaders[i]}");
            }

            values[i] = value;
        }

        if (SignatureProblem(account, values[0], values[1], values[2], values[3], body) is { } problem)
        {
            return new NotificationParseResult.Invalid(problem);
        }

        if (Deserialize(body, WeChatPayJsonContext.Default.WeChatPayNotification) is not { Id: { Length: > 0 } id, Resource: { } resource })
        {
            return new NotificationParseResult.Invalid("notification body is not a WeChat Pay notification");
        }

        if (resource.OriginalType is not (TransactionResource or RefundResource) || resource.Algorithm != WeChatPayAead.Algorithm)
        {
            return new NotificationParseResult.Invalid($"unsupported resource '{resource.OriginalType}' / '{resource.Algorithm}'");
        }

        string plaintext;
        try
        {
            plaintext = WeChatPayAead.Decrypt(account.Credential("apiV3Key"), resource.Nonce ?? "", resource.AssociatedData ?? "", resource.Ciphertext ?? "");
        }
        catch (CryptographicException)
        {
            return new NotificationParseResult.Invalid("resource does not decrypt with the APIv3 key");
        }

        if (resource.OriginalType == RefundResource)
        {
            return ReadRefundNotice(account, id, plaintext);
        }

        if (Deserialize(plaintext, WeChatPayJsonContext.Default.WeChatPayTransaction) is not { OutTradeNo: { Length: > 0 } paymentId } transaction)
        {
            return new NotificationParseResult.Invalid("resource is not a transaction");
        }

        // The signature proves WeChat sent it, not that it is ours: one platform key serves many merchants.
        if (transaction.MchId != account.Credential("mchId"))
        {
            return new NotificationParseResult.Invalid($"transaction belongs to merchant '{transaction.MchId}'");
        }

        if (!WeChatPayStatusMapping.TryToState(transaction, out var state, out string stateProblem))
        {
            return new NotificationParseResult.Invalid(stateProblem);
        }

        return new NotificationParseResult.Valid(new ChannelNotification(id, paymentId, state, plaintext), 204, "", "");
    }

    private NotificationParseResult ReadRefundNotice(ChannelAccount account, string notificationId, string plaintext)
    {
        if (Deserialize(plaintext, WeChatPayJsonContext.Default.WeChatPayRefundNotice) is not
            { OutTradeNo: { Length: > 0 } paymentId, OutRefundNo: { Length: > 0 } refundId } notice)
        {
            return new NotificationParseResult.Invalid("resource is not a refund");
        }

        if (notice.MchId != account.Credential("mchId"))
        {
            return new NotificationParseResult.Invalid($"refund belongs to merchant '{notice.MchId}'");
        }

        if (!WeChatPayStatusMapping.TryToRefundState(notice.RefundStatus, notice.RefundId, notice.Amount, notice.SuccessTime, out var refundState, out string problem))
        {
            return new NotificationParseResult.Invalid(problem);
        }

        // Only a paid order can be refunded, so the payment's own state is known without a query.
        var paymentState = new ChannelPaymentState(ChannelPaymentStatus.Succeeded, notice.TransactionId, null, null);
        return new NotificationParseResult.Valid(
            new ChannelNotification(notificationId, paymentId, paymentState, plaintext, refundId, refundState), 204, "", "");
    }

    private static ChannelResult<ChannelRefundState> ReadRefund(string paymentId, string refundId, string body)
    {
        if (Deserialize(body, WeChatPayJsonContext.Default.WeChatPayRefund) is not { } refund)
        {
            return new ChannelResult<ChannelRefundState>.Unknown("refund answer is not a refund");
        }

        if (refund.OutRefundNo != refundId || refund.OutTradeNo != paymentId)
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"refund answer is for refund '{refund.OutRefundNo}' of order '{refund.OutTradeNo}'");
        }

        return WeChatPayStatusMapping.TryToRefundState(refund.Status, refund.RefundId, refund.Amount, refund.SuccessTime, out var state, out string problem)
            ? new ChannelResult<ChannelRefundState>.Ok(state)
            : new ChannelResult<ChannelRefundState>.Unknown(problem);
    }

    private static ChannelResult<ChannelPaymentState> ReadTransaction(string paymentId, string body)
    {
        if (Deserialize(body, WeChatPayJsonContext.Default.WeChatPayTransaction) is not { } transaction)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown("query answer is not a transaction");
        }

        if (transaction.OutTradeNo != paymentId)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown($"query answer is for order '{transaction.OutTradeNo}'");
        }

        return WeChatPayStatusMapping.TryToState(transaction, out var state, out string problem)
            ? new ChannelResult<ChannelPaymentState>.Ok(state)
            : new ChannelResult<ChannelPaymentState>.Unknown(problem);
    }

    // Only a definite "no" from WeChat is Rejected. Rate limits, WeChat's own failures and answers we
    // cannot read may hide an order that was created, so the caller has to query.
    private static ChannelResult<T> MapError<T>(HttpExchange.Answered answered)
    {
        var error = Deserialize(answered.Body, WeChatPayJsonContext.Default.WeChatPayError);
        return ErrorAnswer.RejectedWhenDefinite4xx<T>(answered.StatusCode, error?.Code, error?.Message, "FREQUENCY_LIMITED", "SYSTEM_ERROR");
    }

    private async Task<HttpExchange> SendAsync(ChannelAccount account, HttpMethod method, string pathAndQuery, string? body, CancellationToken cancellationToken)
    {
        // Appending keeps any path prefix in the endpoint, and the signed target is taken from the
        // final URI so it matches what goes on the wire, escaping included.
        var uri = new Uri(account.Endpoint.AbsoluteUri.TrimEnd('/') + pathAndQuery);
        string timestamp = _timeProvider.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetString(NonceAlphabet, NonceLength);
        string message = WeChatPaySigner.BuildRequestMessage(method.Method, uri.PathAndQuery, timestamp, nonce, body ?? string.Empty);
        string signature = WeChatPaySigner.Sign(MerchantKey(account), message);

        using var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation(
            "Authorization",
            WeChatPaySigner.BuildAuthorization(account.Credential("mchId"), nonce, timestamp, account.Credential("merchantSerialNo"), signature));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (body is not null)
        {
            request.Content = new StringContent(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), "application/json");
        }

        return await ChannelHttp.SendAsync<HttpExchange>(
            _httpClient, request, response => ReadAnswerAsync(account, response, cancellationToken), reason => new HttpExchange.NoAnswer(reason), cancellationToken);
    }

    private async Task<HttpExchange> ReadAnswerAsync(ChannelAccount account, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        string responseBody = Encoding.UTF8.GetString(bytes);
        int status = (int)response.StatusCode;

        // A 2xx is believed only when signed. An error answer is read unsigned (WeChat does not
        // promise to sign it), but if it carries a signature, that signature must hold.
        if (status is >= 200 and < 300 || response.Headers.Contains(SignatureHeader))
        {
            string? problem = SignatureProblem(
                account,
                ResponseHeader(response, TimestampHeader),
                ResponseHeader(response, NonceHeader),
                ResponseHeader(response, SerialHeader),
                ResponseHeader(response, SignatureHeader),
                responseBody);
            if (problem is not null)
            {
                return new HttpExchange.NoAnswer($"HTTP {status} answer rejected: {problem}");
            }
        }

        return new HttpExchange.Answered(status, responseBody);
    }

    private string? SignatureProblem(ChannelAccount account, string? timestamp, string? nonce, string? serial, string? signature, string body)
    {
        if (timestamp is null || nonce is null || serial is null || signature is null)
        {
            return "not signed";
        }

        if (serial != account.Credential("platformSerialNo"))
        {
            return $"signed with unknown platform serial '{serial}'";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            return "malformed timestamp";
        }

        long now = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        if (Math.Abs(now - seconds) > (long)MaxClockSkew.TotalSeconds)
        {
            return "timestamp outside the five-minute window";
        }

        string message = WeChatPaySigner.BuildResponseMessage(timestamp, nonce, body);
        return WeChatPaySigner.Verify(PlatformKey(account), message, signature) ? null : "signature does not verify";
    }

    private RSA MerchantKey(ChannelAccount account) =>
        _keys.GetOrAdd(
            new KeyId(account.Id, account.Credential("merchantSerialNo"), IsPrivate: true),
            static (_, pem) => WeChatPaySigner.ImportPrivateKeyPem(pem),
            account.Credential("merchantPrivateKeyPem"));

    private RSA PlatformKey(ChannelAccount account) =>
        _keys.GetOrAdd(
            new KeyId(account.Id, account.Credential("platformSerialNo"), IsPrivate: false),
            static (_, pem) => WeChatPaySigner.ImportPublicKeyPem(pem),
            account.Credential("platformPublicKeyPem"));

    private static string TruncateUtf8(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
        {
            return text;
        }

        // Whole runes only, so a Chinese character is either kept or dropped, never split.
        var kept = new StringBuilder();
        int bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            bytes += rune.Utf8SequenceLength;
            if (bytes > maxBytes)
            {
                break;
            }

            kept.Append(rune.ToString());
        }

        return kept.ToString();
    }

    private readonly record struct KeyId(string AccountId, string Serial, bool IsPrivate);
}
