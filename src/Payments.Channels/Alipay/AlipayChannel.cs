using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Channels;
using static Payments.Channels.Shared.ChannelText;
using static Payments.Channels.Shared.LenientJson;

namespace Payments.Channels.Alipay;

/// <summary>
/// The Alipay open API (gateway.do, version 1.0): QR code payments (<c>alipay.trade.precreate</c>),
/// desktop cashier payments (<c>alipay.trade.page.pay</c>), query, close, refund and refund query,
/// and the asynchronous <c>trade_status_sync</c> notification. Every request is signed RSA2 with
/// the application key; every answer is believed only when its signature verifies with the Alipay
/// public key (an error answer may come unsigned, but if it is signed the signature must hold).
/// </summary>
/// <remarks>
/// Credentials (<see cref="ChannelAccount.Credential"/>): <c>appId</c>, <c>appPrivateKeyPem</c>
/// (PKCS#8 or PKCS#1) and <c>alipayPublicKeyPem</c> (SubjectPublicKeyInfo). The account endpoint is
/// the gateway: <c>https://openapi.alipay.com/gateway.do</c> live; an endpoint without a path gets
/// <c>/gateway.do</c> appended, so a sandbox base URL works as it is.
/// </remarks>
public sealed partial class AlipayChannel : IPaymentChannel
{
    /// <summary>The name accounts and notification routes use for this channel.</summary>
    public const string ChannelName = "alipay";

    /// <summary>The next action of a QR code payment: show <see cref="ChannelOrder.NextActionUrl"/> as a QR code.</summary>
    public const string QrCodeAction = "qr_code";

    /// <summary>The next action of a page payment: send the payer's browser to the URL.</summary>
    public const string RedirectAction = "redirect";

    /// <summary>The body Alipay requires as the acknowledgement of a notification; anything else is retried.</summary>
    public const string Acknowledgement = "success";

    private const string QrMethod = "qr";
    private const string PageMethod = "page";
    private const string GatewayPath = "gateway.do";
    private const string PagePayProductCode = "FAST_INSTANT_TRADE_PAY";
    private const string Charset = "utf-8";
    private const string FormContentType = "application/x-www-form-urlencoded;charset=utf-8";
    private const string UserAgent = "Payments.Channels.Alipay/1.0";
    private const string SuccessCode = "10000";
    private const string BusinessFailedCode = "40004";
    private const string TradeNotExist = "ACQ.TRADE_NOT_EXIST";
    private const string TradeStatusSync = "trade_status_sync";

    // Alipay's limits: subject 256 characters, body 128, refund_reason 256.
    private const int MaxSubjectLength = 256;
    private const int MaxBodyLength = 128;
    private const int MaxRefundReasonLength = 256;

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;

    // Parsing a PEM and building an RSA key costs far more than the call it signs. Keyed by the PEM
    // itself, so a rotated key on the same account is never served from the cache.
    private readonly ConcurrentDictionary<KeyId, RSA> _keys = new();

    /// <param name="httpClient">Used for every call; its <see cref="HttpClient.Timeout"/> bounds each call.</param>
    /// <param name="timeProvider">Clock for the request <c>timestamp</c>.</param>
    public AlipayChannel(HttpClient httpClient, TimeProvider timeProvider)
    {
        _httpClient = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc />
    public string Name => ChannelName;

    /// <summary>
    /// <c>qr</c>: places the order with <c>alipay.trade.precreate</c> and returns its <c>qr_code</c>.
    /// <c>page</c>: signs an <c>alipay.trade.page.pay</c> request and returns the gateway URL carrying it
    /// as a <c>redirect</c>; that call is the payer's browser's to make, so nothing is sent now. Both
    /// use our payment id as <c>out_trade_no</c> and its expiry as <c>time_expire</c>. CNY only.
    /// </summary>
    public async Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken)
    {
        if (request.Amount.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create in {request.Amount.Currency.Code}");
        }

        string totalAmount = AlipayStatusMapping.ToYuan(request.Amount);
        string timeExpire = AlipayStatusMapping.FormatTime(request.ExpiresAt);
        string subject = Truncate(request.Subject, MaxSubjectLength);
        string? body = request.Description is { Length: > 0 } description ? Truncate(description, MaxBodyLength) : null;

        if (request.Method == PageMethod)
        {
            string content = JsonSerializer.Serialize(
                new AlipayPagePayContent(request.PaymentId, totalAmount, subject, body, PagePayProductCode, timeExpire),
                AlipayJsonContext.Default.AlipayPagePayContent);
            var parameters = SignedParameters(account, "alipay.trade.page.pay", content, request.NotifyUrl);
            return new ChannelResult<ChannelOrder>.Ok(new ChannelOrder(RedirectAction, Gateway(account) + "?" + AlipayForm.Encode(parameters)));
        }

        if (request.Method != QrMethod)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create with method '{request.Method}'");
        }

        string precreate = JsonSerializer.Serialize(
            new AlipayPrecreateContent(request.PaymentId, totalAmount, subject, body, timeExpire),
            AlipayJsonContext.Default.AlipayPrecreateContent);
        return await CallAsync(account, "alipay.trade.precreate", precreate, request.NotifyUrl, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelOrder>.Unknown(noAnswer.Reason),
            Exchange.Answered { Status.Code: SuccessCode } answered =>
                Deserialize(answered.Node, AlipayJsonContext.Default.AlipayPrecreateResponse) switch
                {
                    { QrCode: { Length: > 0 } qrCode, OutTradeNo: var outTradeNo } when outTradeNo == request.PaymentId =>
                        new ChannelResult<ChannelOrder>.Ok(new ChannelOrder(QrCodeAction, qrCode)),
                    { OutTradeNo: var other } when other != request.PaymentId =>
                        new ChannelResult<ChannelOrder>.Unknown($"precreate answer is for order '{other}'"),
                    _ => new ChannelResult<ChannelOrder>.Unknown("precreate answer without qr_code"),
                },
            Exchange.Answered answered => MapFailure<ChannelOrder>(answered.Status),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Reads the trade by our payment id (<c>alipay.trade.query</c>). A trade Alipay does not have
    /// (ACQ.TRADE_NOT_EXIST) is <c>Ok</c> with <see cref="ChannelPaymentStatus.NotFound"/>; note that
    /// a precreated or page trade exists at Alipay only once the payer has scanned the code or
    /// reached the cashier.
    /// </summary>
    public async Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        string content = JsonSerializer.Serialize(new AlipayTradeContent(paymentId), AlipayJsonContext.Default.AlipayTradeContent);
        return await CallAsync(account, "alipay.trade.query", content, notifyUrl: null, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelPaymentState>.Unknown(noAnswer.Reason),
            Exchange.Answered { Status.Code: SuccessCode } answered => ReadTrade(paymentId, answered.Node),
            Exchange.Answered { Status: { Code: BusinessFailedCode, SubCode: TradeNotExist } } =>
                new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null)),
            Exchange.Answered answered => MapFailure<ChannelPaymentState>(answered.Status),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Closes an unpaid trade (<c>alipay.trade.close</c>) so it can no longer be paid. A paid trade
    /// is refused (ACQ.TRADE_STATUS_ERROR), and so is one Alipay does not have yet.
    /// </summary>
    public async Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken)
    {
        string content = JsonSerializer.Serialize(new AlipayTradeContent(paymentId), AlipayJsonContext.Default.AlipayTradeContent);
        return await CallAsync(account, "alipay.trade.close", content, notifyUrl: null, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<Unit>.Unknown(noAnswer.Reason),
            Exchange.Answered { Status.Code: SuccessCode } => new ChannelResult<Unit>.Ok(default),
            Exchange.Answered answered => MapFailure<Unit>(answered.Status),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Refunds (part of) a paid trade (<c>alipay.trade.refund</c>) with our refund id as
    /// <c>out_request_no</c>, so a retried request refunds once. The trade is our order, or the
    /// <see cref="ChannelRefundRequest.ChannelTransactionId"/> when one is named. Alipay refunds synchronously: an
    /// answer with <c>fund_change=Y</c> is a succeeded refund. CNY only.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken)
    {
        if (request.Amount.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelRefundState>.NotSupported($"refund in {request.Amount.Currency.Code}");
        }

        // A duplicate payment is refunded by its own trade_no; everything else by our order number.
        string content = JsonSerializer.Serialize(
            new AlipayRefundContent(
                request.ChannelTransactionId is null ? request.PaymentId : null,
                request.ChannelTransactionId,
                AlipayStatusMapping.ToYuan(request.Amount),
                request.RefundId,
                request.Reason is { Length: > 0 } reason ? Truncate(reason, MaxRefundReasonLength) : null),
            AlipayJsonContext.Default.AlipayRefundContent);

        // Refund results are notified to the trade's own notify_url; the refund call takes none.
        return await CallAsync(account, "alipay.trade.refund", content, notifyUrl: null, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            Exchange.Answered { Status.Code: SuccessCode } answered => ReadRefund(request, answered.Node),
            Exchange.Answered answered => MapFailure<ChannelRefundState>(answered.Status),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Reads a refund by our refund id (<c>alipay.trade.fastpay.refund.query</c>). An answer without
    /// refund data, or a trade Alipay does not have, is <c>Ok</c> with
    /// <see cref="ChannelRefundStatus.NotFound"/>: Alipay's word for a refund it never made.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken)
    {
        string content = JsonSerializer.Serialize(
            new AlipayRefundQueryContent(paymentId, refundId, ["gmt_refund_pay"]),
            AlipayJsonContext.Default.AlipayRefundQueryContent);
        return await CallAsync(account, "alipay.trade.fastpay.refund.query", content, notifyUrl: null, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            Exchange.Answered { Status.Code: SuccessCode } answered => ReadRefundQuery(paymentId, refundId, answered.Node),
            Exchange.Answered { Status: { Code: BusinessFailedCode, SubCode: TradeNotExist } } =>
                new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null)),
            Exchange.Answered answered => MapFailure<ChannelRefundState>(answered.Status),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Verifies a <c>trade_status_sync</c> notification, a form POST: the signature with the Alipay
    /// public key over every parameter but <c>sign</c> and <c>sign_type</c>, then <c>app_id</c>
    /// against the account (one Alipay key signs for many apps). <c>notify_id</c> is the same on every
    /// retry of one notification, so it is the notification id. A notification carrying
    /// <c>out_biz_no</c> reports a refund (its TRADE_CLOSED means refunded in full, not unpaid). The
    /// acknowledgement is the body <c>success</c>.
    /// </summary>
    public NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body)
    {
        if (AlipayForm.TryParse(body) is not { } form)
        {
            return new NotificationParseResult.Invalid("body is not a well-formed form");
        }

        if (!form.TryGetValue("sign", out string? sign) || sign.Length == 0)
        {
            return new NotificationParseResult.Invalid("not signed");
        }

        if (form.TryGetValue("sign_type", out string? signType) && signType != AlipaySigner.SignType)
        {
            return new NotificationParseResult.Invalid($"unsupported sign_type '{signType}'");
        }

        string content = AlipaySigner.BuildSignContent(form, excludeSignType: true);
        if (!AlipaySigner.Verify(AlipayKey(account), content, sign))
        {
            return new NotificationParseResult.Invalid("signature does not verify");
        }

        string Field(string name) => form.TryGetValue(name, out string? value) ? value : string.Empty;
        if (Field("app_id") != account.Credential("appId"))
        {
            return new NotificationParseResult.Invalid($"notification belongs to app '{Field("app_id")}'");
        }

        if (form.TryGetValue("notify_type", out string? notifyType) && notifyType != TradeStatusSync)
        {
            return new NotificationParseResult.Invalid($"unsupported notify_type '{notifyType}'");
        }

        if (Field("notify_id") is not { Length: > 0 } notifyId || Field("out_trade_no") is not { Length: > 0 } paymentId)
        {
            return new NotificationParseResult.Invalid("notification without notify_id or out_trade_no");
        }

        if (Field("out_biz_no") is { Length: > 0 } refundId)
        {
            var refundState = new ChannelRefundState(
                ChannelRefundStatus.Succeeded,
                null,
                null,
                AlipayStatusMapping.TryParseTime(Field("gmt_refund"), out var refundedAt) ? refundedAt : null);

            // Only a paid trade can be refunded, so the payment's own state is known without a query.
            var paid = new ChannelPaymentState(ChannelPaymentStatus.Succeeded, Field("trade_no"), null, null);
            return new NotificationParseResult.Valid(
                new ChannelNotification(notifyId, paymentId, paid, body, refundId, refundState), 200, "text/plain", Acknowledgement);
        }

        if (!AlipayStatusMapping.TryToState(Field("trade_status"), Field("trade_no"), Field("total_amount"), Field("gmt_payment"), out var state, out string problem))
        {
            return new NotificationParseResult.Invalid(problem);
        }

        return new NotificationParseResult.Valid(new ChannelNotification(notifyId, paymentId, state, body), 200, "text/plain", Acknowledgement);
    }

    private static ChannelResult<ChannelPaymentState> ReadTrade(string paymentId, string node)
    {
        if (Deserialize(node, AlipayJsonContext.Default.AlipayQueryResponse) is not { } trade)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown("query answer is not a trade");
        }

        if (trade.OutTradeNo != paymentId)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown($"query answer is for order '{trade.OutTradeNo}'");
        }

        return AlipayStatusMapping.TryToState(trade.TradeStatus, trade.TradeNo, trade.TotalAmount, trade.SendPayDate, out var state, out string problem)
            ? new ChannelResult<ChannelPaymentState>.Ok(state)
            : new ChannelResult<ChannelPaymentState>.Unknown(problem);
    }

    private static ChannelResult<ChannelRefundState> ReadRefund(ChannelRefundRequest request, string node)
    {
        if (Deserialize(node, AlipayJsonContext.Default.AlipayRefundResponse) is not { } refund)
        {
            return new ChannelResult<ChannelRefundState>.Unknown("refund answer is not a refund");
        }

        if (request.ChannelTransactionId is { } tradeNo ? refund.TradeNo != tradeNo : refund.OutTradeNo != request.PaymentId)
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"refund answer is for trade '{refund.TradeNo}' of order '{refund.OutTradeNo}'");
        }

        return AlipayStatusMapping.TryToRefundState(refund, out var state, out string problem)
            ? new ChannelResult<ChannelRefundState>.Ok(state)
            : new ChannelResult<ChannelRefundState>.Unknown(problem);
    }

    private static ChannelResult<ChannelRefundState> ReadRefundQuery(string paymentId, string refundId, string node)
    {
        if (Deserialize(node, AlipayJsonContext.Default.AlipayRefundQueryResponse) is not { } refund)
        {
            return new ChannelResult<ChannelRefundState>.Unknown("refund query answer is not a refund");
        }

        // Without refund data the answer names nothing to compare; with it, it must be ours.
        if (!string.IsNullOrEmpty(refund.RefundAmount) && (refund.OutTradeNo != paymentId || refund.OutRequestNo != refundId))
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"refund query answer is for refund '{refund.OutRequestNo}' of order '{refund.OutTradeNo}'");
        }

        return AlipayStatusMapping.TryToRefundState(refund, out var state, out string problem)
            ? new ChannelResult<ChannelRefundState>.Ok(state)
            : new ChannelResult<ChannelRefundState>.Unknown(problem);
    }

    // Only a definite "no" is Rejected: 20001 (insufficient authorisation) and the 4xxxx argument and
    // business failures. 20000 (service unavailable), ACQ.SYSTEM_ERROR and codes we do not know may
    // hide an order or refund that was made, so the caller has to query.
    private static ChannelResult<T> MapFailure<T>(AlipayStatus status)
    {
        string code = status.Code ?? string.Empty;
        string subCode = status.SubCode ?? string.Empty;
        string message = status.SubMsg ?? status.Msg ?? string.Empty;
        bool definite = code is "20001" or "40001" or "40002" or "40003" or "40004" or "40006";
        if (!definite || subCode is "ACQ.SYSTEM_ERROR" or "aop.ACQ.SYSTEM_ERROR")
        {
            return new ChannelResult<T>.Unknown($"{code} {subCode}: {message}".Trim());
        }

        return new ChannelResult<T>.Rejected(subCode.Length > 0 ? subCode : code, message);
    }

    private async Task<Exchange> CallAsync(ChannelAccount account, string method, string bizContent, Uri? notifyUrl, CancellationToken cancellationToken)
    {
        var parameters = SignedParameters(account, method, bizContent, notifyUrl);
        using var request = new HttpRequestMessage(HttpMethod.Post, Gateway(account))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(AlipayForm.Encode(parameters))),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", FormContentType);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);

        return await ChannelHttp.SendAsync<Exchange>(
            _httpClient,
            request,
            async response => response.StatusCode != System.Net.HttpStatusCode.OK
                ? new Exchange.NoAnswer($"HTTP {(int)response.StatusCode}")
                : ChannelHttp.StrictUtf8(await response.Content.ReadAsByteArrayAsync(cancellationToken)) is { } body
                    ? ReadAnswer(account, method, body)
                    : new Exchange.NoAnswer("answer is not UTF-8"),
            reason => new Exchange.NoAnswer(reason),
            cancellationToken);
    }

    private Exchange ReadAnswer(ChannelAccount account, string method, string responseBody)
    {
        string responseNode = method.Replace('.', '_') + "_response";
        if (AlipaySigner.ExtractSignedNode(responseBody, responseNode) is not { } node)
        {
            return new Exchange.NoAnswer($"answer has no {responseNode}");
        }

        if (Deserialize(node.RawText, AlipayJsonContext.Default.AlipayStatus) is not { Code: { Length: > 0 } } status)
        {
            return new Exchange.NoAnswer("answer without code");
        }

        // A success is believed only when signed. A failure may come unsigned (the gateway cannot
        // sign for an app it does not recognise), but if it carries a signature, that must hold.
        if (status.Code == SuccessCode || node.Sign is not null)
        {
            if (node.Sign is null)
            {
                return new Exchange.NoAnswer("answer not signed");
            }

            if (!VerifyNode(AlipayKey(account), node.RawText, node.Sign))
            {
                return new Exchange.NoAnswer("answer signature does not verify");
            }
        }

        return new Exchange.Answered(status, node.RawText);
    }

    // The official SDKs also accept a signature over the node with "\/" written as "/": the gateway
    // escapes slashes in its JSON after signing in some answers (URLs in qr_code, for one).
    private static bool VerifyNode(RSA key, string rawNode, string sign) =>
        AlipaySigner.Verify(key, rawNode, sign)
        || (rawNode.Contains("\\/", StringComparison.Ordinal) && AlipaySigner.Verify(key, rawNode.Replace("\\/", "/", StringComparison.Ordinal), sign));

    private List<KeyValuePair<string, string>> SignedParameters(ChannelAccount account, string method, string bizContent, Uri? notifyUrl)
    {
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("app_id", account.Credential("appId")),
            new("method", method),
            new("format", "JSON"),
            new("charset", Charset),
            new("sign_type", AlipaySigner.SignType),
            new("timestamp", AlipayStatusMapping.FormatTime(_timeProvider.GetUtcNow())),
            new("version", "1.0"),
        };
        if (notifyUrl is not null)
        {
            parameters.Add(new("notify_url", notifyUrl.AbsoluteUri));
        }

        parameters.Add(new("biz_content", bizContent));
        string content = AlipaySigner.BuildSignContent(parameters, excludeSignType: false);
        parameters.Add(new("sign", AlipaySigner.Sign(AppKey(account), content)));
        return parameters;
    }

    private static string Gateway(ChannelAccount account)
    {
        var endpoint = account.Endpoint;
        return endpoint.AbsolutePath is "" or "/"
            ? endpoint.GetLeftPart(UriPartial.Authority) + "/" + GatewayPath
            : endpoint.GetLeftPart(UriPartial.Path);
    }

    private RSA AppKey(ChannelAccount account)
    {
        string pem = account.Credential("appPrivateKeyPem");
        return _keys.GetOrAdd(new KeyId(account.Id, pem, IsPrivate: true), static (_, text) => AlipaySigner.ImportPrivateKeyPem(text), pem);
    }

    private RSA AlipayKey(ChannelAccount account)
    {
        string pem = account.Credential("alipayPublicKeyPem");
        return _keys.GetOrAdd(new KeyId(account.Id, pem, IsPrivate: false), static (_, text) => AlipaySigner.ImportPublicKeyPem(text), pem);
    }

    private readonly record struct KeyId(string AccountId, string Pem, bool IsPrivate);

    private abstract record Exchange
    {
        /// <summary>A readable, and where required verified, answer node.</summary>
        public sealed record Answered(AlipayStatus Status, string Node) : Exchange;

        public sealed record NoAnswer(string Reason) : Exchange;
    }
}
