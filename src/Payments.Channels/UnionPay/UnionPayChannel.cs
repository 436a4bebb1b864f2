using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Payments.Channels.Shared;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.UnionPay;

/// <summary>
/// The UnionPay online gateway (全渠道 ACP, version 5.1.0): the front-end consume (<c>frontTransReq.do</c>, the
/// payer's browser carries the signed request to UnionPay's cashier), the back-end QR code request, query
/// (<c>queryTrans.do</c>), refund (txnType 04, partial and several) and refund query, the back-end notification
/// and the daily settlement file. Every request is signed with the merchant's certificate key; every answer and
/// notification is believed only when it carries a <c>signPubKeyCert</c> that chains to the configured UnionPay
/// root and middle certificates and a signature that verifies with it.
/// </summary>
/// <remarks>
/// Credentials (<see cref="ChannelAccount.Credential"/>): <c>merId</c>, <c>merchantPrivateKeyPem</c> (the key of the
/// merchant signing certificate), <c>merchantCertId</c> (that certificate's serial number in decimal, the
/// <c>certId</c> field), <c>rootCertPem</c> and <c>middleCertPem</c> (UnionPay's verification chain). The account
/// endpoint is the gateway host (<c>https://gateway.95516.com/</c> live); paths live under <c>gateway/api/</c>.
/// Our ids become <c>orderId</c>s through <see cref="UnionPayOrderId"/>.
/// </remarks>
public sealed partial class UnionPayChannel : IPaymentChannel
{
    /// <summary>The name accounts and notification routes use for this channel.</summary>
    public const string ChannelName = "unionpay";

    /// <summary>The next action of a QR code payment: show the URL as a QR code for the UnionPay app to scan.</summary>
    public const string QrCodeAction = "qr_code";

    /// <summary>The next action of a page payment: send the payer's browser to the URL.</summary>
    public const string RedirectAction = "redirect";

    /// <summary>UnionPay takes HTTP 200 as the acknowledgement of a notification; the SDK demos answer <c>ok</c>.</summary>
    public const string Acknowledgement = "ok";

    private const string PageMethod = "page";
    private const string QrMethod = "qr";
    private const string UserAgent = "Payments.Channels.UnionPay/1.0";
    private const string FormContentType = "application/x-www-form-urlencoded;charset=UTF-8";

    private readonly HttpClient _httpClient;
    private readonly TimeProvider _timeProvider;

    // Parsing PEM costs more than the call it serves. Keyed by the PEM itself, so rotation is never served stale.
    private readonly ConcurrentDictionary<string, RSA> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, X509Certificate2> _certificates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TrustedSigner> _trustedSigners = new(StringComparer.Ordinal);
    private const int MaxTrustedSigners = 64;

    /// <param name="httpClient">Used for every call; its <see cref="HttpClient.Timeout"/> bounds each call.</param>
    /// <param name="timeProvider">Clock for the <c>txnTime</c> of a request that has no creation time to name, and for
    /// the validity of UnionPay's certificates.</param>
    public UnionPayChannel(HttpClient httpClient, TimeProvider timeProvider)
    {
        _httpClient = httpClient ?? throw new ArgumentNullException(nameof(httpClient));
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
    }

    /// <inheritdoc />
    public string Name => ChannelName;

    /// <summary>
    /// <c>page</c>: signs a front-end consume (txnType 01/01, bizType 000201, channelType 07) and returns
    /// <c>frontTransReq.do</c> with the signed fields as its query string, a <c>redirect</c>: the request is the
    /// payer's browser's to carry, so nothing is sent now. <c>qr</c>: asks for a QR code (txnType 01/07, bizType
    /// 000000) and returns its <c>qrCode</c>. Both name our payment as <c>orderId</c> and its creation time as
    /// <c>txnTime</c> (so every retry, and every later query, names the same order), expire at <c>payTimeout</c>,
    /// notify <c>backUrl</c>; a page payment returns the payer to the storefront's return URL (<c>frontUrl</c>).
    /// </summary>
    public async Task<ChannelResult<ChannelOrder>> CreateAsync(ChannelAccount account, ChannelCreateRequest request, CancellationToken cancellationToken)
    {
        if (request.Amount.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create in {request.Amount.Currency.Code}");
        }

        if (request.Method is not (PageMethod or QrMethod))
        {
            return new ChannelResult<ChannelOrder>.NotSupported($"create with method '{request.Method}'");
        }

        if (UnionPayOrderId.FromId(request.PaymentId) is not { } orderId)
        {
            return new ChannelResult<ChannelOrder>.Rejected("invalid_order_id", $"'{request.PaymentId}' has no UnionPay orderId");
        }

        bool page = request.Method == PageMethod;
        var fields = Common(account, UnionPayStatusMapping.ConsumeTxnType, page ? "01" : "07", page ? "000201" : "000000", page ? "07" : "08");
        fields.Add(new("orderId", orderId));
        fields.Add(new("txnTime", TxnTime(request.CreatedAt)));
        fields.Add(new("txnAmt", UnionPayStatusMapping.ToTxnAmt(request.Amount)));
        fields.Add(new("currencyCode", UnionPayWire.CurrencyCny));
        fields.Add(new("backUrl", request.NotifyUrl.AbsoluteUri));
        fields.Add(new("payTimeout", UnionPayWire.FormatTime(request.ExpiresAt)));
        if (page)
        {
            if (request.ReturnUrl is { } returnUrl)
            {
                fields.Add(new("frontUrl", returnUrl.AbsoluteUri));
            }

            Sign(account, fields);
            return new ChannelResult<ChannelOrder>.Ok(new ChannelOrder(RedirectAction, new Uri(BaseUri(account), UnionPayWire.FrontTransPath) + "?" + UnionPayWire.EncodeForm(fields)));
        }

        return await CallAsync(account, UnionPayWire.BackTransPath, fields, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelOrder>.Unknown(noAnswer.Reason),
            Exchange.Answered { RespCode: UnionPayStatusMapping.Success } answered when answered.Field("orderId") != orderId =>
                new ChannelResult<ChannelOrder>.Unknown($"QR answer is for order '{answered.Field("orderId")}'"),
            Exchange.Answered { RespCode: UnionPayStatusMapping.Success } answered when answered.Field("qrCode") is { Length: > 0 } qrCode =>
                new ChannelResult<ChannelOrder>.Ok(new ChannelOrder(QrCodeAction, qrCode)),
            Exchange.Answered { RespCode: UnionPayStatusMapping.Success } => new ChannelResult<ChannelOrder>.Unknown("QR answer without qrCode"),
            Exchange.Answered answered => MapFailure<ChannelOrder>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Queries the consume by our payment id (txnType 00). <c>respCode</c> 34 is <c>Ok</c> with
    /// <see cref="ChannelPaymentStatus.NotFound"/>: UnionPay has a front-end order only once the payer has tried
    /// to pay it, so a pending order that nobody has paid, and one that lapsed at <c>payTimeout</c>, are both unknown
    /// there. Otherwise <c>origRespCode</c> says: 00 paid, 03/04/05 in progress, anything else failed.
    /// </summary>
    /// <remarks>ACP names the original by <c>orderId</c> and its original <c>txnTime</c>; without the order's
    /// creation time this overload can only send the query's own, which UnionPay answers with 34 for any order
    /// not sent in that very second. The core calls the overload that carries it.</remarks>
    public Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken) =>
        QueryPaymentAsync(account, paymentId, null, cancellationToken);

    /// <summary>Queries the consume created at <paramref name="orderCreatedAt"/>, the <c>txnTime</c> the create sent;
    /// otherwise as the overload without it.</summary>
    public Task<ChannelResult<ChannelPaymentState>> QueryAsync(ChannelAccount account, string paymentId, DateTimeOffset orderCreatedAt, CancellationToken cancellationToken) =>
        QueryPaymentAsync(account, paymentId, orderCreatedAt, cancellationToken);

    private async Task<ChannelResult<ChannelPaymentState>> QueryPaymentAsync(ChannelAccount account, string paymentId, DateTimeOffset? orderCreatedAt, CancellationToken cancellationToken)
    {
        if (UnionPayOrderId.FromId(paymentId) is not { } orderId)
        {
            return new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null));
        }

        return await QueryOrderAsync(account, orderId, orderCreatedAt, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelPaymentState>.Unknown(noAnswer.Reason),
            Exchange.Answered { RespCode: UnionPayStatusMapping.NotFound } =>
                new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(ChannelPaymentStatus.NotFound, null, null, null)),
            Exchange.Answered { RespCode: UnionPayStatusMapping.Success } answered => ReadPayment(orderId, answered),
            Exchange.Answered answered => MapFailure<ChannelPaymentState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Not supported: ACP has no close for an unpaid consume. Its cancel (txnType 31) voids a consume that was
    /// paid the same day, which is a refund in our terms, not a close. An unpaid order lapses at <c>payTimeout</c>,
    /// which is the payment's expiry, so an expired payment closes safely; one closed earlier can still be paid
    /// until then, and that payment arrives as a late success.
    /// </summary>
    public Task<ChannelResult<Unit>> CloseAsync(ChannelAccount account, string paymentId, CancellationToken cancellationToken) =>
        Task.FromResult<ChannelResult<Unit>>(new ChannelResult<Unit>.NotSupported("close of an unpaid consume"));

    /// <summary>
    /// Refunds (part of) a paid consume (txnType 04) with our refund id as its <c>orderId</c> and the refund's creation
    /// time as its <c>txnTime</c>, so a retried request names the same refund. ACP refunds by the consume's
    /// <c>queryId</c> (<c>origQryId</c>): the named transaction when one is given, otherwise the one a query of our
    /// payment (by the payment's creation time) finds. Accepted (00) is <c>Processing</c>; the
    /// outcome comes by notification or refund query.
    /// </summary>
    public async Task<ChannelResult<ChannelRefundState>> RefundAsync(ChannelAccount account, ChannelRefundRequest request, CancellationToken cancellationToken)
    {
        if (request.Amount.Currency != Currency.CNY)
        {
            return new ChannelResult<ChannelRefundState>.NotSupported($"refund in {request.Amount.Currency.Code}");
        }

        if (UnionPayOrderId.FromId(request.RefundId) is not { } refundOrderId)
        {
            return new ChannelResult<ChannelRefundState>.Rejected("invalid_order_id", $"'{request.RefundId}' has no UnionPay orderId");
        }

        string? origQryId = request.ChannelTransactionId;
        if (origQryId is null)
        {
            switch (await QueryPaymentAsync(account, request.PaymentId, request.PaymentCreatedAt, cancellationToken))
            {
                case ChannelResult<ChannelPaymentState>.Ok { Value: { Status: ChannelPaymentStatus.Succeeded, ChannelTransactionId: { Length: > 0 } queryId } }:
                    origQryId = queryId;
                    break;
                case ChannelResult<ChannelPaymentState>.Ok ok:
                    return new ChannelResult<ChannelRefundState>.Rejected("not_refundable", $"the consume is {ok.Value.Status}");
                case ChannelResult<ChannelPaymentState>.Unknown unknown:
                    return new ChannelResult<ChannelRefundState>.Unknown("finding the consume to refund: " + unknown.Reason);
                case ChannelResult<ChannelPaymentState>.Rejected rejected:
                    return new ChannelResult<ChannelRefundState>.Unknown($"finding the consume to refund: {rejected.Code} {rejected.Message}");
                default:
                    return new ChannelResult<ChannelRefundState>.Unknown("finding the consume to refund failed");
            }
        }

        var fields = Common(account, UnionPayStatusMapping.RefundTxnType, "00", "000201", "07");
        fields.Add(new("orderId", refundOrderId));
        fields.Add(new("origQryId", origQryId));
        fields.Add(new("txnTime", TxnTime(request.CreatedAt)));
        fields.Add(new("txnAmt", UnionPayStatusMapping.ToTxnAmt(request.Amount)));
        fields.Add(new("currencyCode", UnionPayWire.CurrencyCny));
        fields.Add(new("backUrl", request.NotifyUrl.AbsoluteUri));
        return await CallAsync(account, UnionPayWire.BackTransPath, fields, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            Exchange.Answered { RespCode: UnionPayStatusMapping.Success } answered when answered.Field("orderId") != refundOrderId =>
                new ChannelResult<ChannelRefundState>.Unknown($"refund answer is for order '{answered.Field("orderId")}'"),
            Exchange.Answered { RespCode: UnionPayStatusMapping.Success } answered =>
                new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.Processing, answered.Field("queryId"), null, null)),
            Exchange.Answered answered => MapFailure<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>Queries a refund by our refund id and, lacking its creation time, the query's own <c>txnTime</c> (see
    /// the payment query); 34 is <c>Ok</c> with <see cref="ChannelRefundStatus.NotFound"/>.</summary>
    public Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, CancellationToken cancellationToken) =>
        QueryRefundOrderAsync(account, refundId, null, cancellationToken);

    /// <summary>Queries the refund created at <paramref name="refundCreatedAt"/>, the <c>txnTime</c> the refund sent.</summary>
    public Task<ChannelResult<ChannelRefundState>> QueryRefundAsync(ChannelAccount account, string paymentId, string refundId, DateTimeOffset refundCreatedAt, CancellationToken cancellationToken) =>
        QueryRefundOrderAsync(account, refundId, refundCreatedAt, cancellationToken);

    private async Task<ChannelResult<ChannelRefundState>> QueryRefundOrderAsync(ChannelAccount account, string refundId, DateTimeOffset? refundCreatedAt, CancellationToken cancellationToken)
    {
        if (UnionPayOrderId.FromId(refundId) is not { } orderId)
        {
            return new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null));
        }

        return await QueryOrderAsync(account, orderId, refundCreatedAt, cancellationToken) switch
        {
            Exchange.NoAnswer noAnswer => new ChannelResult<ChannelRefundState>.Unknown(noAnswer.Reason),
            Exchange.Answered { RespCode: UnionPayStatusMapping.NotFound } =>
                new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(ChannelRefundStatus.NotFound, null, null, null)),
            Exchange.Answered { RespCode: UnionPayStatusMapping.Success } answered => ReadRefund(orderId, answered),
            Exchange.Answered answered => MapFailure<ChannelRefundState>(answered),
            _ => throw new InvalidOperationException("Unreachable exchange."),
        };
    }

    /// <summary>
    /// Verifies a back-end notification, a form POST to <c>backUrl</c>: the <c>signPubKeyCert</c> chain and the
    /// signature, then <c>merId</c> against the account. A consume (txnType 01) reports the payment; a refund (04)
    /// one of its refunds. The <c>queryId</c> is UnionPay's id of the transaction and the same on every retry, so
    /// it is the notification id. Any HTTP 200 acknowledges; we answer <c>ok</c>.
    /// </summary>
    public NotificationParseResult ParseNotification(ChannelAccount account, IReadOnlyDictionary<string, string> headers, string body)
    {
        if (UnionPayWire.ParseForm(body) is not { } form)
        {
            return new NotificationParseResult.Invalid("body is not a well-formed form");
        }

        if (Verify(account, form) is { } problem)
        {
            return new NotificationParseResult.Invalid(problem);
        }

        string Field(string name) => form.TryGetValue(name, out string? value) ? value : string.Empty;
        if (Field("merId") != account.Credential("merId"))
        {
            return new NotificationParseResult.Invalid($"notification belongs to merchant '{Field("merId")}'");
        }

        if (Field("queryId") is not { Length: > 0 } queryId || UnionPayOrderId.ToId(Field("orderId")) is not { } id)
        {
            return new NotificationParseResult.Invalid("notification without queryId or with an orderId we did not make");
        }

        bool succeeded = Field("respCode") == UnionPayStatusMapping.Success;
        if (!UnionPayStatusMapping.TryToMoney(Field("txnAmt"), out var amount))
        {
            return new NotificationParseResult.Invalid("notification txnAmt is not an amount");
        }

        DateTimeOffset? at = UnionPayWire.TryParseTraceTime(Field("traceTime"), Field("txnTime"), out var traced) ? traced : null;
        switch (Field("txnType"))
        {
            case UnionPayStatusMapping.ConsumeTxnType when id.StartsWith("pay_", StringComparison.Ordinal):
                var state = succeeded
                    ? new ChannelPaymentState(ChannelPaymentStatus.Succeeded, queryId, amount, at)
                    : new ChannelPaymentState(ChannelPaymentStatus.Failed, queryId, null, null, Field("respCode"), Field("respMsg"));
                return new NotificationParseResult.Valid(new ChannelNotification(queryId, id, state, body), 200, "text/plain", Acknowledgement);
            case UnionPayStatusMapping.RefundTxnType when Ids.PaymentIdOfRefund(id) is { } paymentId:
                var refundState = succeeded
                    ? new ChannelRefundState(ChannelRefundStatus.Succeeded, queryId, amount, at)
                    : new ChannelRefundState(ChannelRefundStatus.Failed, queryId, null, null, Field("respCode"), Field("respMsg"));

                // Only a paid consume can be refunded, so the payment's own state is known without a query.
                var paid = new ChannelPaymentState(ChannelPaymentStatus.Succeeded, Field("origQryId"), null, null);
                return new NotificationParseResult.Valid(new ChannelNotification(queryId, paymentId, paid, body, id, refundState), 200, "text/plain", Acknowledgement);
            default:
                return new NotificationParseResult.Invalid($"unsupported txnType '{Field("txnType")}' for order '{Field("orderId")}'");
        }
    }

    private static ChannelResult<ChannelPaymentState> ReadPayment(string orderId, Exchange.Answered answered)
    {
        if (answered.Field("orderId") != orderId)
        {
            return new ChannelResult<ChannelPaymentState>.Unknown($"query answer is for order '{answered.Field("orderId")}'");
        }

        string origRespCode = answered.Field("origRespCode");
        var status = UnionPayStatusMapping.ToPaymentStatus(origRespCode);
        string queryId = answered.Field("queryId");
        if (status != ChannelPaymentStatus.Succeeded)
        {
            return new ChannelResult<ChannelPaymentState>.Ok(status == ChannelPaymentStatus.Failed
                ? new ChannelPaymentState(status, queryId, null, null, origRespCode, answered.Field("origRespMsg"))
                : new ChannelPaymentState(status, null, null, null));
        }

        if (queryId.Length == 0 || !UnionPayStatusMapping.TryToMoney(answered.Field("txnAmt"), out var amount))
        {
            return new ChannelResult<ChannelPaymentState>.Unknown("paid consume without queryId or txnAmt");
        }

        DateTimeOffset? paidAt = UnionPayWire.TryParseTraceTime(answered.Field("traceTime"), answered.Field("txnTime"), out var at) ? at : null;
        return new ChannelResult<ChannelPaymentState>.Ok(new ChannelPaymentState(status, queryId, amount, paidAt));
    }

    private static ChannelResult<ChannelRefundState> ReadRefund(string orderId, Exchange.Answered answered)
    {
        if (answered.Field("orderId") != orderId || answered.Field("txnType") is { Length: > 0 } txnType && txnType != UnionPayStatusMapping.RefundTxnType)
        {
            return new ChannelResult<ChannelRefundState>.Unknown($"refund query answer is for order '{answered.Field("orderId")}' ({answered.Field("txnType")})");
        }

        string origRespCode = answered.Field("origRespCode");
        var status = UnionPayStatusMapping.ToRefundStatus(origRespCode);
        string queryId = answered.Field("queryId");
        return status switch
        {
            ChannelRefundStatus.Succeeded when UnionPayStatusMapping.TryToMoney(answered.Field("txnAmt"), out var amount) =>
                new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(status, queryId, amount,
                    UnionPayWire.TryParseTraceTime(answered.Field("traceTime"), answered.Field("txnTime"), out var at) ? at : null)),
            ChannelRefundStatus.Succeeded => new ChannelResult<ChannelRefundState>.Unknown("refunded without txnAmt"),
            ChannelRefundStatus.Failed => new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(status, queryId, null, null, origRespCode, answered.Field("origRespMsg"))),
            _ => new ChannelResult<ChannelRefundState>.Ok(new ChannelRefundState(status, queryId, null, null)),
        };
    }

    private static ChannelResult<T> MapFailure<T>(Exchange.Answered answered) =>
        UnionPayStatusMapping.IsDefiniteRefusal(answered.RespCode)
            ? new ChannelResult<T>.Rejected(answered.RespCode, answered.Field("respMsg"))
            : new ChannelResult<T>.Unknown($"respCode {answered.RespCode}: {answered.Field("respMsg")}".Trim());

    /// <summary>Names the original transaction by <c>orderId</c> and the <c>txnTime</c> it was sent with.</summary>
    private Task<Exchange> QueryOrderAsync(ChannelAccount account, string orderId, DateTimeOffset? originalCreatedAt, CancellationToken cancellationToken)
    {
        var fields = Common(account, "00", "00", "000201", "07");
        fields.Add(new("orderId", orderId));
        fields.Add(new("txnTime", TxnTime(originalCreatedAt)));
        return CallAsync(account, UnionPayWire.QueryPath, fields, cancellationToken);
    }

    /// <summary>The <c>txnTime</c> of a transaction created at <paramref name="createdAt"/>; now when a caller has
    /// none to give (then only a query sent in the same second can find it again).</summary>
    private string TxnTime(DateTimeOffset? createdAt) => UnionPayWire.FormatTime(createdAt ?? _timeProvider.GetUtcNow());

    private static List<KeyValuePair<string, string>> Common(ChannelAccount account, string txnType, string txnSubType, string bizType, string channelType) =>
    [
        new("version", UnionPayWire.Version),
        new("encoding", UnionPayWire.Encoding),
        new("signMethod", UnionPayWire.SignMethodRsa),
        new("txnType", txnType),
        new("txnSubType", txnSubType),
        new("bizType", bizType),
        new("channelType", channelType),
        new("accessType", "0"),
        new("merId", account.Credential("merId")),
        new("certId", account.Credential("merchantCertId")),
    ];

    private void Sign(ChannelAccount account, List<KeyValuePair<string, string>> fields)
    {
        string pem = account.Credential("merchantPrivateKeyPem");
        var key = _keys.GetOrAdd(pem, static text => UnionPaySigner.ImportPrivateKeyPem(text));
        fields.Add(new("signature", UnionPaySigner.Sign(key, UnionPaySigner.BuildSignContent(fields))));
    }

    /// <summary>Null when the message is UnionPay's; otherwise why not.</summary>
    private string? Verify(ChannelAccount account, IReadOnlyDictionary<string, string> fields)
    {
        if (!fields.TryGetValue("signature", out string? signature) || signature.Length == 0)
        {
            return "not signed";
        }

        if (!fields.TryGetValue("signMethod", out string? signMethod) || signMethod != UnionPayWire.SignMethodRsa
            || !fields.TryGetValue("version", out string? version) || version != UnionPayWire.Version)
        {
            return "not a version 5.1.0 RSA-signed message";
        }

        if (!fields.TryGetValue("signPubKeyCert", out string? certificatePem) || certificatePem.Length == 0)
        {
            return "no signPubKeyCert";
        }

        if (TrustedKey(account, certificatePem, out string problem) is not { } key)
        {
            return problem;
        }

        return UnionPaySigner.Verify(key, UnionPaySigner.BuildSignContent(fields), signature) ? null : "signature does not verify";
    }

    /// <summary>The key of a signing certificate that chains to the account's root and middle certificates. Building
    /// the chain is most of a message's cost (bench/run.sh sign) and UnionPay's signing certificate changes once in
    /// years, so a certificate that chained is remembered, keyed by itself and the anchors it chained to; its validity
    /// is checked on every use.</summary>
    private RSA? TrustedKey(ChannelAccount account, string certificatePem, out string problem)
    {
        string rootPem = account.Credential("rootCertPem");
        string middlePem = account.Credential("middleCertPem");
        string cacheKey = string.Concat(certificatePem, "\n", rootPem, "\n", middlePem);
        var now = _timeProvider.GetUtcNow();
        if (_trustedSigners.TryGetValue(cacheKey, out var known))
        {
            if (now >= known.NotBefore && now <= known.NotAfter)
            {
                problem = string.Empty;
                return known.Key;
            }

            _trustedSigners.TryRemove(cacheKey, out _);
            problem = "signPubKeyCert is not valid now";
            return null;
        }

        var key = UnionPaySigner.VerifySigningCertificate(certificatePem, Certificate(rootPem), Certificate(middlePem), now, out problem);
        if (key is null)
        {
            return null;
        }

        if (_trustedSigners.Count >= MaxTrustedSigners)
        {
            _trustedSigners.Clear();
        }

        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        _trustedSigners[cacheKey] = new TrustedSigner(key, certificate.NotBefore.ToUniversalTime(), certificate.NotAfter.ToUniversalTime());
        return key;
    }

    private sealed record TrustedSigner(RSA Key, DateTimeOffset NotBefore, DateTimeOffset NotAfter);

    private X509Certificate2 Certificate(string pem) => _certificates.GetOrAdd(pem, static text => X509Certificate2.CreateFromPem(text));

    private async Task<Exchange> CallAsync(ChannelAccount account, string path, List<KeyValuePair<string, string>> fields, CancellationToken cancellationToken)
    {
        Sign(account, fields);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUri(account), path))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(UnionPayWire.EncodeForm(fields))),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", FormContentType);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);

        return await ChannelHttp.SendAsync<Exchange>(
            _httpClient,
            request,
            async response => response.StatusCode != System.Net.HttpStatusCode.OK
                ? new Exchange.NoAnswer($"HTTP {(int)response.StatusCode}")
                : ChannelHttp.StrictUtf8(await response.Content.ReadAsByteArrayAsync(cancellationToken)) is { } body
                    ? ReadAnswer(account, body)
                    : new Exchange.NoAnswer("answer is not UTF-8"),
            reason => new Exchange.NoAnswer(reason),
            cancellationToken);
    }

    private Exchange ReadAnswer(ChannelAccount account, string body)
    {
        if (UnionPayWire.ParseAnswer(body) is not { } answer || !answer.TryGetValue("respCode", out string? respCode) || respCode.Length == 0)
        {
            return new Exchange.NoAnswer("answer is not an ACP answer");
        }

        // Every answer, refusals included, must prove it is UnionPay's: an unsigned "34" would close a payment.
        if (Verify(account, answer) is { } problem)
        {
            return new Exchange.NoAnswer($"answer {respCode} not believed: {problem}");
        }

        if (answer.TryGetValue("merId", out string? merId) && merId != account.Credential("merId"))
        {
            return new Exchange.NoAnswer($"answer is for merchant '{merId}'");
        }

        return new Exchange.Answered(respCode, answer);
    }

    private static Uri BaseUri(ChannelAccount account)
    {
        string text = account.Endpoint.GetLeftPart(UriPartial.Authority);
        return new Uri(text + "/");
    }

    private abstract record Exchange
    {
        /// <summary>A verified answer.</summary>
        public sealed record Answered(string RespCode, IReadOnlyDictionary<string, string> Fields) : Exchange
        {
            public string Field(string name) => Fields.TryGetValue(name, out string? value) ? value : string.Empty;
        }

        public sealed record NoAnswer(string Reason) : Exchange;
    }
}
