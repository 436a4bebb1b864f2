using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.UnionPay;

/// <summary>
/// The UnionPay ACP gateway simulator: onboarding, the front-end consume and its cashier, the back-end QR and
/// refund requests, query, the settlement file transfer, notifications and faults. Requests are checked as the
/// gateway checks them (version 5.1.0, signMethod 01, the merchant's certId and signature); every answer is signed.
/// </summary>
internal static class UnionPaySandbox
{
    private const int MinimumKeySize = 2048;

    public static IServiceCollection AddUnionPaySandbox(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<UnionPayPki>();
        services.AddSingleton<UnionPayStore>();
        services.AddSingleton<UnionPayNotifier>();
        services.AddSingleton<UnionPayExpiry>();
        services.AddSingleton<UnionPayStatementSource>();
        services.AddSingleton<IStatementSource>(sp => sp.GetRequiredService<UnionPayStatementSource>());
        services.AddHttpClient(UnionPayNotifier.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    public static void MapUnionPaySandbox(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sandbox/unionpay/merchants", RegisterAsync);
        app.MapGet("/sandbox/unionpay/orders/{orderId}", (string orderId, UnionPayStore store, UnionPayExpiry expiry) =>
        {
            if (store.AnyOrder(orderId) is not { } order)
            {
                return SandboxJson.Error(StatusCodes.Status404NotFound, "NOT_FOUND", "no such order");
            }

            expiry.Refresh(order);
            return Results.Json(order.View(), UnionPaySandboxJson.Default.UnionPayOrderView);
        });
        app.MapMethods("/gateway/api/frontTransReq.do", [HttpMethods.Get, HttpMethods.Post], FrontAsync);
        app.MapPost("/gateway/api/backTransReq.do", BackAsync);
        app.MapPost("/gateway/api/queryTrans.do", QueryAsync);
        app.MapPost("/gateway/api/fileTransRequest.do", FileTransferAsync);
        app.MapGet("/unionpay/qr/{token}", (string token, UnionPayStore store, UnionPayExpiry expiry) =>
            store.ByToken(token) is { } order ? Cashier(order, expiry) : Page(StatusCodes.Status404NotFound, "<p>二维码无效</p>"));
        app.MapPost("/unionpay/qr/{token}", async (string token, HttpContext context, UnionPayStore store) =>
            store.ByToken(token) is { } order ? await DecideAsync(context, order) : SandboxJson.Error(StatusCodes.Status404NotFound, "NOT_FOUND", "no such order"));
    }

    /// <summary>
    /// Onboards a merchant as UnionPay's merchant service does, with the public half of the key of its signing
    /// certificate: it answers the certId (the serial the merchant puts in every request) and the root and middle
    /// certificates that the merchant checks UnionPay's signing certificate against.
    /// </summary>
    private static async Task<IResult> RegisterAsync(HttpRequest request, UnionPayStore store, UnionPayPki pki)
    {
        var (body, error) = await SandboxJson.ReadAsync(request, UnionPaySandboxJson.Default.UnionPayMerchantRegistration);
        if (body is null)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", error);
        }

        string merId = body.MerId ?? "777" + RandomNumberGenerator.GetString("0123456789", 12);
        if (merId.Length != 15 || !merId.All(char.IsAsciiDigit))
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "merId must be 15 digits");
        }

        using var key = RSA.Create();
        try
        {
            if (body.MerchantPublicKeyPem is not { } pem)
            {
                return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "merchantPublicKeyPem is required");
            }

            if (pem.Contains("CERTIFICATE", StringComparison.Ordinal))
            {
                using var certificate = X509Certificate2.CreateFromPem(pem);
                using var certificateKey = certificate.GetRSAPublicKey() ?? throw new CryptographicException("not RSA");
                key.ImportSubjectPublicKeyInfo(certificateKey.ExportSubjectPublicKeyInfo(), out _);
            }
            else
            {
                key.ImportFromPem(pem);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "merchantPublicKeyPem must be an RSA public key or certificate in PEM");
        }

        if (key.KeySize < MinimumKeySize)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", $"the key must be at least {MinimumKeySize} bits");
        }

        var merchant = store.Register(merId, key.ExportSubjectPublicKeyInfo(), body.ChannelAccountId);
        return Results.Json(
            new UnionPayMerchantRegistered(merchant.MerId, merchant.CertId, pki.RootPem, pki.MiddlePem, $"{request.Scheme}://{request.Host}{request.PathBase}/"),
            UnionPaySandboxJson.Default.UnionPayMerchantRegistered);
    }

    /// <summary>
    /// The cashier behind a front-end consume. The browser brings the signed request as a form post (how the
    /// SDK's auto-submitting page sends it) or as the query string of a GET (how our adapter's redirect does);
    /// both are checked as the gateway checks a request, and the order is placed on first sight. A JSON POST to the
    /// same URL carries the payer's decision.
    /// </summary>
    private static async Task<IResult> FrontAsync(HttpContext context, UnionPayStore store, UnionPayExpiry expiry, TimeProvider time)
    {
        var request = context.Request;
        bool decision = request.Method == HttpMethods.Post && request.HasJsonContentType();
        var fields = request.HasFormContentType
            ? (await request.ReadFormAsync(context.RequestAborted)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal)
            : request.Query.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        if (Authenticate(store, fields) is not { } merchant)
        {
            return Refuse(decision, "11", "验证签名失败");
        }

        if (ReadTerms(fields, "page", out string? problem) is not { } terms || F(fields, "txnType") != "01" || F(fields, "txnSubType") != "01" || F(fields, "bizType") != "000201")
        {
            return Refuse(decision, "30", problem ?? "txnType 01, txnSubType 01 and bizType 000201 are required");
        }

        if (time.GetUtcNow() >= terms.PayTimeout)
        {
            return Refuse(decision, "30", "payTimeout has passed");
        }

        var (order, created) = store.GetOrAdd(merchant, fields["orderId"], terms);
        if (created)
        {
            expiry.Track(order);
        }
        else if (order.Terms with { TxnTime = terms.TxnTime } != terms)
        {
            return Refuse(decision, "12", "重复交易: the orderId was used with other terms");
        }

        return decision ? await DecideAsync(context, order) : Cashier(order, expiry);
    }

    private static IResult Cashier(UnionPayOrder order, UnionPayExpiry expiry)
    {
        expiry.Refresh(order);
        lock (order.Gate)
        {
            if (order.Status != "unpaid")
            {
                return Page(StatusCodes.Status409Conflict, $"<p>订单状态：{WebUtility.HtmlEncode(order.Status)}</p>");
            }

            // Reaching the cashier is what gives UnionPay a transaction to answer queries about.
            order.Attempted = true;
            string amount = (order.Terms.TxnAmt / 100m).ToString("F2", CultureInfo.InvariantCulture);
            return Page(StatusCodes.Status200OK, $"""<h1>银联在线支付</h1><p>订单号 {WebUtility.HtmlEncode(order.OrderId)}</p><p class="amount">¥{amount}</p><p>POST {"{"}"decision":"approve"|"decline"{"}"} to this URL to decide.</p>""");
        }
    }

    private static async Task<IResult> DecideAsync(HttpContext context, UnionPayOrder order)
    {
        var (body, _) = await SandboxJson.ReadAsync(context.Request, UnionPaySandboxJson.Default.UnionPayDecisionRequest);
        if (body?.Decision is not ("approve" or "decline"))
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "INVALID_DECISION", "decision must be approve or decline");
        }

        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        services.GetRequiredService<UnionPayExpiry>().Refresh(order);
        lock (order.Gate)
        {
            if (order.Status != "unpaid")
            {
                return SandboxJson.Error(StatusCodes.Status409Conflict, "ORDER_NOT_PAYABLE", $"the order is {order.Status}");
            }

            order.Attempted = true;
            if (body.Decision == "approve")
            {
                var now = time.GetUtcNow();
                order.Status = "paid";
                order.PaidAt = now;
                order.QueryId = UnionPayAcp.NewQueryId(now);
                services.GetRequiredService<UnionPayNotifier>().Send(order);
                return Results.Json(new UnionPayDecisionAnswer(order.OrderId, order.Status, "00"), UnionPaySandboxJson.Default.UnionPayDecisionAnswer);
            }

            // The issuer refused: the transaction failed. UnionPay notifies consumes only when they succeed.
            order.Status = "failed";
            return Results.Json(new UnionPayDecisionAnswer(order.OrderId, order.Status, "01"), UnionPaySandboxJson.Default.UnionPayDecisionAnswer);
        }
    }

    private static Task<IResult> BackAsync(HttpContext context, UnionPayStore store, UnionPayPki pki, UnionPayExpiry expiry, UnionPayNotifier notifier, TimeProvider time) =>
        WithRequestAsync(context, store, pki, fields => F(fields, "txnType") == "04" ? FaultNames.Refund : FaultNames.Create, (merchant, fields) =>
        {
            return F(fields, "txnType") switch
            {
                "01" when F(fields, "txnSubType") == "07" && F(fields, "bizType") == "000000" => Qr(context, store, expiry, pki, merchant, fields, time),
                "04" => Refund(store, pki, notifier, merchant, fields, time),
                _ => Answer(pki, fields, "30", "报文错误: unsupported txnType/txnSubType/bizType for backTransReq.do"),
            };
        });

    private static IResult Qr(HttpContext context, UnionPayStore store, UnionPayExpiry expiry, UnionPayPki pki, UnionPayMerchant merchant, Dictionary<string, string> fields, TimeProvider time)
    {
        if (ReadTerms(fields, "qr", out string? problem) is not { } terms)
        {
            return Answer(pki, fields, "30", problem!);
        }

        if (time.GetUtcNow() >= terms.PayTimeout)
        {
            return Answer(pki, fields, "30", "payTimeout has passed");
        }

        var (order, created) = store.GetOrAdd(merchant, fields["orderId"], terms);
        if (created)
        {
            expiry.Track(order);
        }
        else
        {
            lock (order.Gate)
            {
                if (order.Terms with { TxnTime = terms.TxnTime } != terms)
                {
                    return Answer(pki, fields, "12", "重复交易");
                }

                order.CreateCalls++;
            }
        }

        var request = context.Request;
        return Answer(pki, fields, "00", "成功[0000000]", ("qrCode", $"{request.Scheme}://{request.Host}{request.PathBase}/unionpay/qr/{order.Token}"));
    }

    private static IResult Refund(UnionPayStore store, UnionPayPki pki, UnionPayNotifier notifier, UnionPayMerchant merchant, Dictionary<string, string> fields, TimeProvider time)
    {
        string refundOrderId = F(fields, "orderId");
        if (!IsOrderId(refundOrderId) || !long.TryParse(F(fields, "txnAmt"), NumberStyles.None, CultureInfo.InvariantCulture, out long amount) || amount <= 0
            || !Uri.TryCreate(F(fields, "backUrl"), UriKind.Absolute, out var backUrl) || F(fields, "currencyCode") != "156")
        {
            return Answer(pki, fields, "30", "报文错误: orderId, txnAmt, currencyCode 156 and backUrl are required");
        }

        if (store.ByQueryId(merchant.MerId, F(fields, "origQryId")) is not { } order)
        {
            return Answer(pki, fields, "35", "原交易不存在");
        }

        if (!store.ClaimRefund(merchant.MerId, refundOrderId, order))
        {
            return Answer(pki, fields, "12", "重复交易: the orderId belongs to another refund");
        }

        lock (order.Gate)
        {
            if (order.Refunds.Find(r => r.OrderId == refundOrderId) is { } existing)
            {
                return existing.TxnAmt == amount
                    ? Answer(pki, fields, "00", "成功[0000000]", ("queryId", existing.QueryId), ("origQryId", order.QueryId!))
                    : Answer(pki, fields, "12", "重复交易: the orderId was used with another amount");
            }

            if (order.Status != "paid")
            {
                return Answer(pki, fields, "36", "原交易状态不正确");
            }

            if (order.Refunds.Sum(r => r.TxnAmt) + amount > order.Terms.TxnAmt)
            {
                return Answer(pki, fields, "37", "退货金额超限");
            }

            var now = time.GetUtcNow();
            var refund = new UnionPayRefund(refundOrderId, UnionPayAcp.NewQueryId(now), amount, F(fields, "txnTime"), now, backUrl.AbsoluteUri);
            order.Refunds.Add(refund);
            notifier.Send(order, refund);
            return Answer(pki, fields, "00", "成功[0000000]", ("queryId", refund.QueryId), ("origQryId", order.QueryId!));
        }
    }

    private static Task<IResult> QueryAsync(HttpContext context, UnionPayStore store, UnionPayPki pki, UnionPayExpiry expiry) =>
        WithRequestAsync(context, store, pki, fields => store.OrderOfRefund(F(fields, "merId"), F(fields, "orderId")) is null ? FaultNames.Query : FaultNames.RefundQuery, (merchant, fields) =>
        {
            string orderId = F(fields, "orderId");
            if (F(fields, "txnType") != "00")
            {
                return Answer(pki, fields, "30", "报文错误: txnType 00 is required");
            }

            // UnionPay names the original by orderId and the txnTime it was sent with: any other time finds nothing.
            string txnTime = F(fields, "txnTime");
            if (store.Order(merchant.MerId, orderId) is { } order && order.Terms.TxnTime == txnTime)
            {
                expiry.Refresh(order);
                lock (order.Gate)
                {
                    return order.Status switch
                    {
                        "paid" => Answer(pki, fields, "00", "成功[0000000]", ("origRespCode", "00"), ("origRespMsg", "成功[0000000]"), ("txnType", "01"),
                            ("queryId", order.QueryId!), ("txnAmt", order.Terms.TxnAmt.ToString(CultureInfo.InvariantCulture)), ("currencyCode", "156"),
                            ("txnTime", order.Terms.TxnTime), ("traceTime", UnionPayAcp.TraceTime(order.PaidAt!.Value)), ("settleDate", UnionPayAcp.TraceTime(order.PaidAt.Value)[..4])),
                        "failed" => Answer(pki, fields, "00", "成功[0000000]", ("origRespCode", "01"), ("origRespMsg", "交易失败[持卡人拒绝]"), ("txnType", "01"), ("txnTime", order.Terms.TxnTime)),
                        "unpaid" when order.Attempted => Answer(pki, fields, "00", "成功[0000000]", ("origRespCode", "05"), ("origRespMsg", "交易已受理，请稍后查询交易结果"), ("txnType", "01"), ("txnTime", order.Terms.TxnTime)),
                        _ => Answer(pki, fields, "34", "查无此交易"),
                    };
                }
            }

            if (store.OrderOfRefund(merchant.MerId, orderId) is { } refunded)
            {
                lock (refunded.Gate)
                {
                    if (refunded.Refunds.Find(r => r.OrderId == orderId && r.TxnTime == txnTime) is { } refund)
                    {
                        return Answer(pki, fields, "00", "成功[0000000]", ("origRespCode", "00"), ("origRespMsg", "成功[0000000]"), ("txnType", "04"),
                            ("queryId", refund.QueryId), ("origQryId", refunded.QueryId!), ("txnAmt", refund.TxnAmt.ToString(CultureInfo.InvariantCulture)), ("currencyCode", "156"),
                            ("txnTime", refund.TxnTime), ("traceTime", UnionPayAcp.TraceTime(refund.RefundedAt)));
                    }
                }
            }

            return Answer(pki, fields, "34", "查无此交易");
        });

    private static Task<IResult> FileTransferAsync(HttpContext context, UnionPayStore store, UnionPayPki pki, UnionPayStatementSource source, StatementMutationStore mutations, TimeProvider time) =>
        WithRequestAsync(context, store, pki, _ => FaultNames.Statement, (merchant, fields) =>
        {
            if (F(fields, "txnType") != "76" || F(fields, "fileType") != "00" || UnionPayStatementSource.DayOf(F(fields, "settleDate"), time.GetUtcNow()) is not { } day)
            {
                return Answer(pki, fields, "30", "报文错误: txnType 76, fileType 00 and settleDate MMdd are required");
            }

            var entries = StatementBuilder.Build(source, mutations, merchant.MerId, day);
            if (entries.Count == 0)
            {
                return Answer(pki, fields, "98", "文件不存在");
            }

            using var compressed = new MemoryStream();
            using (var deflater = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                deflater.Write(source.Render(merchant.MerId, entries));
            }

            return Answer(pki, fields, "00", "成功[0000000]", ("fileContent", Convert.ToBase64String(compressed.ToArray())), ("fileName", UnionPayStatementSource.NewFileName(day, merchant.MerId)));
        });

    /// <summary>
    /// Reads and authenticates a back-end request, then runs it under the operation's faults: error answers HTTP
    /// 500 before acting; delay waits before acting; timeout acts and withholds the answer.
    /// </summary>
    private static async Task<IResult> WithRequestAsync(
        HttpContext context, UnionPayStore store, UnionPayPki pki, Func<Dictionary<string, string>, string> operation, Func<UnionPayMerchant, Dictionary<string, string>, IResult> act)
    {
        if (!context.Request.HasFormContentType)
        {
            return Results.Text("content must be application/x-www-form-urlencoded", statusCode: StatusCodes.Status400BadRequest);
        }

        var fields = (await context.Request.ReadFormAsync(context.RequestAborted)).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var fault = services.GetRequiredService<FaultRegistry>().TryConsume(FaultNames.UnionPay, operation(fields));
        if (fault?.Mode == FaultMode.Error)
        {
            return Results.Text("injected fault", statusCode: StatusCodes.Status500InternalServerError);
        }

        if (fault?.Mode == FaultMode.Delay && !await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted))
        {
            return Results.Empty;
        }

        var answer = Authenticate(store, fields) is { } merchant ? act(merchant, fields) : Answer(pki, fields, "11", "验证签名失败");
        if (fault?.Mode == FaultMode.Timeout)
        {
            await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted);
            return Results.Empty;
        }

        return answer;
    }

    private static UnionPayMerchant? Authenticate(UnionPayStore store, Dictionary<string, string> fields)
    {
        if (F(fields, "version") != UnionPayAcp.Version || F(fields, "signMethod") != "01" || store.Merchant(F(fields, "merId")) is not { } merchant || F(fields, "certId") != merchant.CertId)
        {
            return null;
        }

        using var key = RSA.Create();
        key.ImportSubjectPublicKeyInfo(merchant.PublicKey, out _);
        return UnionPayAcp.Verify(key, fields) ? merchant : null;
    }

    private static UnionPayTerms? ReadTerms(Dictionary<string, string> fields, string kind, out string? problem)
    {
        problem = null;
        if (!IsOrderId(F(fields, "orderId")))
        {
            problem = "orderId must be 8 to 40 letters or digits";
        }
        else if (!long.TryParse(F(fields, "txnAmt"), NumberStyles.None, CultureInfo.InvariantCulture, out long amount) || amount <= 0 || F(fields, "currencyCode") != "156")
        {
            problem = "txnAmt must be a positive number of fen, currencyCode 156";
        }
        else if (!Uri.TryCreate(F(fields, "backUrl"), UriKind.Absolute, out var backUrl) || backUrl.Scheme is not ("http" or "https"))
        {
            problem = "backUrl must be an absolute http(s) URL";
        }
        else if (!UnionPayAcp.TryParseTime(F(fields, "txnTime"), out _) || !UnionPayAcp.TryParseTime(F(fields, "payTimeout"), out var payTimeout))
        {
            problem = "txnTime and payTimeout must be yyyyMMddHHmmss";
        }
        else
        {
            string? frontUrl = fields.TryGetValue("frontUrl", out string? front) && front.Length > 0 ? front : null;
            return new UnionPayTerms(amount, backUrl.AbsoluteUri, frontUrl, payTimeout, F(fields, "txnTime"), kind);
        }

        return null;
    }

    private static bool IsOrderId(string orderId) => orderId.Length is >= 8 and <= 40 && orderId.All(char.IsAsciiLetterOrDigit);

    private static string F(IReadOnlyDictionary<string, string> fields, string name) => fields.TryGetValue(name, out string? value) ? value : string.Empty;

    /// <summary>A signed answer echoing the request's identifying fields, as the gateway answers.</summary>
    private static IResult Answer(UnionPayPki pki, Dictionary<string, string> request, string respCode, string respMsg, params (string Name, string Value)[] extra)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string name in new[] { "version", "encoding", "signMethod", "txnType", "txnSubType", "bizType", "accessType", "merId", "orderId", "txnTime" })
        {
            if (request.TryGetValue(name, out string? value))
            {
                fields[name] = value;
            }
        }

        fields["version"] = UnionPayAcp.Version;
        fields["signMethod"] = "01";
        fields["respCode"] = respCode;
        fields["respMsg"] = respMsg;
        foreach (var (name, value) in extra)
        {
            fields[name] = value;
        }

        pki.Sign(fields);
        return Results.Text(UnionPayAcp.Answer(fields), "text/plain", Encoding.UTF8);
    }

    private static IResult Refuse(bool json, string respCode, string message) => json
        ? SandboxJson.Error(StatusCodes.Status400BadRequest, respCode, message)
        : Page(StatusCodes.Status400BadRequest, $"<p class=\"error\">{respCode}</p><p>{WebUtility.HtmlEncode(message)}</p>");

    private static IResult Page(int status, string body) =>
        Results.Content($"<!doctype html><html><head><meta charset=\"utf-8\"><title>银联在线支付 (sandbox)</title></head><body>{body}</body></html>", "text/html; charset=utf-8", Encoding.UTF8, status);
}
