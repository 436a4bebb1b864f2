using System.Text.Json;
using System.Text.RegularExpressions;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.WeChatPay;

/// <summary>The API v3 transaction and refund endpoints, behaving as the real channel does on the wire.</summary>
internal static partial class WeChatPayApi
{
    private const int MaxDescriptionLength = 127;
    private const int MaxRefundReasonBytes = 80;
    private const int MaxNotifyUrlLength = 256;

    public static void MapWeChatPayApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v3/pay/transactions/native", (HttpContext context) =>
            HandleAsync(context, FaultNames.Create, CreateNative));
        app.MapGet("/v3/pay/transactions/out-trade-no/{out_trade_no}", (HttpContext context) =>
            HandleAsync(context, FaultNames.Query, Query));
        app.MapPost("/v3/pay/transactions/out-trade-no/{out_trade_no}/close", (HttpContext context) =>
            HandleAsync(context, FaultNames.Close, Close));
        app.MapPost("/v3/refund/domestic/refunds", (HttpContext context) =>
            HandleAsync(context, FaultNames.Refund, CreateRefund));
        app.MapGet("/v3/refund/domestic/refunds/{out_refund_no}", (HttpContext context) =>
            HandleAsync(context, FaultNames.RefundQuery, QueryRefund));

        // Unknown API paths still get a signed answer, like the channel's own 404s.
        app.Map("/v3/{**rest}", () => SignedAnswer.Error(StatusCodes.Status404NotFound, "NOT_FOUND", "请求的资源不存在"));
    }

    private static async Task HandleAsync(HttpContext context, string operation, Func<ApiCall, SignedAnswer> run)
    {
        var result = await RunAsync(context, operation, run);
        await result.ExecuteAsync(context);
    }

    /// <summary>
    /// Authenticates, applies any queued fault, then runs the operation. A timeout fault runs the
    /// operation and withholds the answer: the channel acted but the caller never learns of it.
    /// </summary>
    private static async Task<IResult> RunAsync(HttpContext context, string operation, Func<ApiCall, SignedAnswer> run)
    {
        var services = context.RequestServices;
        var aborted = context.RequestAborted;
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, aborted);
            body = buffer.ToArray();
        }

        var (caller, authError) = services.GetRequiredService<RequestAuthenticator>().Authenticate(context.Request, body);
        if (caller is null)
        {
            return SignedAnswer.Error(StatusCodes.Status401Unauthorized, "SIGN_ERROR", authError!);
        }

        var time = services.GetRequiredService<TimeProvider>();
        var fault = services.GetRequiredService<FaultRegistry>().TryConsume(FaultNames.WeChatPay, operation);
        if (fault?.Mode == FaultMode.Error)
        {
            return SignedAnswer.Error(StatusCodes.Status500InternalServerError, "SYSTEM_ERROR", "系统错误");
        }

        if (fault?.Mode == FaultMode.Delay && !await InjectedDelay.WaitAsync(fault.Delay, time, aborted))
        {
            return Results.Empty;
        }

        var answer = run(new ApiCall(context, caller.Merchant, body));

        if (fault?.Mode == FaultMode.Timeout && !await InjectedDelay.WaitAsync(fault.Delay, time, aborted))
        {
            return Results.Empty;
        }

        return answer;
    }

    private static SignedAnswer CreateNative(ApiCall call)
    {
        if (!TryRead(call.Body, WeChatPayJsonContext.Wire.NativeCreateRequest, out var request, out var parseError))
        {
            return ParamError(parseError);
        }

        if (request.Mchid != call.Merchant.MchId)
        {
            return ParamError("mchid与请求签名中的商户号不一致");
        }

        if (request.Appid is { } appid && (appid.Length == 0 || appid.Length > 32))
        {
            return ParamError("appid长度不正确");
        }

        if (string.IsNullOrWhiteSpace(request.Description) || request.Description.Length > MaxDescriptionLength)
        {
            return ParamError("description为必填字段，长度不超过127");
        }

        if (request.OutTradeNo is null || !OutTradeNoPattern().IsMatch(request.OutTradeNo))
        {
            return ParamError("out_trade_no应为6-32位字母、数字、_-|*");
        }

        DateTimeOffset? timeExpire = null;
        if (request.TimeExpire is not null)
        {
            if (!WeChatPayTime.TryParse(request.TimeExpire, out var parsed))
            {
                return ParamError("time_expire格式错误，应为yyyy-MM-DDTHH:mm:ss+TIMEZONE");
            }

            timeExpire = parsed;
        }

        if (!Uri.TryCreate(request.NotifyUrl, UriKind.Absolute, out var notifyUri)
            || (notifyUri.Scheme != Uri.UriSchemeHttp && notifyUri.Scheme != Uri.UriSchemeHttps))
        {
            return ParamError("notify_url应为http或https的绝对地址");
        }

        if (request.Amount?.Total is not { } total || total < 1)
        {
            return ParamError("amount.total为必填字段，且不小于1");
        }

        var currency = request.Amount.Currency ?? "CNY";
        if (currency != "CNY")
        {
            return ParamError("amount.currency仅支持CNY");
        }

        var terms = new OrderTerms(request.Appid, request.Description, timeExpire, request.NotifyUrl!, total, currency);
        var http = call.Context.Request;
        var (order, created) = call.Services.GetRequiredService<OrderStore>().GetOrCreate(
            call.Merchant.MchId,
            request.OutTradeNo,
            terms,
            token => $"{http.Scheme}://{http.Host}{http.PathBase}/pay/wechatpay/{token}");

        var outcome = created ? RepeatCreateOutcome.SameOrder : order.RepeatCreate(terms);
        return outcome switch
        {
            RepeatCreateOutcome.SameOrder => SignedAnswer.Json(
                StatusCodes.Status200OK, new NativeCreateResponse(order.CodeUrl), WeChatPayJsonContext.Wire.NativeCreateResponse),
            RepeatCreateOutcome.AlreadyPaid => SignedAnswer.Error(StatusCodes.Status400BadRequest, "ORDERPAID", "该订单已支付"),
            RepeatCreateOutcome.Closed => SignedAnswer.Error(StatusCodes.Status400BadRequest, "ORDER_CLOSED", "订单已关闭"),
            _ => SignedAnswer.Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "201 商户订单号重复"),
        };
    }

    private static SignedAnswer Query(ApiCall call)
    {
        var mchid = call.Context.Request.Query["mchid"].ToString();
        if (mchid.Length == 0)
        {
            return ParamError("缺少参数mchid");
        }

        if (mchid != call.Merchant.MchId)
        {
            return ParamError("mchid与请求签名中的商户号不一致");
        }

        var order = FindOrder(call);
        return order is null
            ? OrderNotFound()
            : SignedAnswer.Json(StatusCodes.Status200OK, order.AnswerQuery(), WeChatPayJsonContext.Wire.Transaction);
    }

    private static SignedAnswer Close(ApiCall call)
    {
        if (!TryRead(call.Body, WeChatPayJsonContext.Wire.CloseRequest, out var request, out var parseError))
        {
            return ParamError(parseError);
        }

        if (request.Mchid != call.Merchant.MchId)
        {
            return ParamError("mchid与请求签名中的商户号不一致");
        }

        var order = FindOrder(call);
        if (order is null)
        {
            return OrderNotFound();
        }

        return order.Close() == CloseOutcome.AlreadyPaid
            ? SignedAnswer.Error(StatusCodes.Status400BadRequest, "ORDERPAID", "该订单已支付")
            : SignedAnswer.NoContent();
    }

    private static SignedAnswer CreateRefund(ApiCall call)
    {
        if (!TryRead(call.Body, WeChatPayJsonContext.Wire.RefundCreateRequest, out var request, out var parseError))
        {
            return ParamError(parseError);
        }

        // Exactly one of the two names what is refunded: the order (its own payment), or one transaction,
        // which is the only way to name a duplicate payment of the order.
        if ((request.TransactionId is null) == (request.OutTradeNo is null))
        {
            return ParamError("transaction_id与out_trade_no须二选一");
        }

        if (request.TransactionId is { } transactionId && !TransactionIdPattern().IsMatch(transactionId))
        {
            return ParamError("transaction_id应为1-32位字母、数字");
        }

        if (request.OutTradeNo is { } outTradeNo && !OutTradeNoPattern().IsMatch(outTradeNo))
        {
            return ParamError("out_trade_no应为6-32位字母、数字、_-|*");
        }

        if (request.OutRefundNo is null || !OutRefundNoPattern().IsMatch(request.OutRefundNo))
        {
            return ParamError("out_refund_no应为1-64位字母、数字、_-|*@");
        }

        if (request.Reason is { } reason && System.Text.Encoding.UTF8.GetByteCount(reason) > MaxRefundReasonBytes)
        {
            return ParamError("reason长度不超过80字节");
        }

        if (request.NotifyUrl is { } notifyUrl
            && (notifyUrl.Length > MaxNotifyUrlLength
                || !Uri.TryCreate(notifyUrl, UriKind.Absolute, out var notifyUri)
                || (notifyUri.Scheme != Uri.UriSchemeHttp && notifyUri.Scheme != Uri.UriSchemeHttps)))
        {
            return ParamError("notify_url应为http或https的绝对地址");
        }

        if (request.Amount is not { Refund: { } refund, Total: { } total, Currency: { } currency } || refund < 1 || total < 1)
        {
            return ParamError("amount.refund、amount.total、amount.currency为必填字段，金额不小于1");
        }

        if (currency != "CNY")
        {
            return ParamError("amount.currency仅支持CNY");
        }

        var orders = call.Services.GetRequiredService<OrderStore>();
        var order = request.TransactionId is { } named
            ? orders.FindByTransaction(call.Merchant.MchId, named)
            : orders.Find(call.Merchant.MchId, request.OutTradeNo!);
        if (order is null)
        {
            return SignedAnswer.Error(StatusCodes.Status404NotFound, "RESOURCE_NOT_EXISTS", "订单不存在");
        }

        if (orders.FindRefundOwner(call.Merchant.MchId, request.OutRefundNo) is { } owner && !ReferenceEquals(owner, order))
        {
            return RefundNoReused();
        }

        var terms = new RefundTerms(request.OutRefundNo, refund, total, currency, request.Reason, request.NotifyUrl);
        var time = call.Services.GetRequiredService<TimeProvider>();
        var (outcome, answer) = order.RequestRefund(terms, request.TransactionId, time.GetUtcNow(), () => orders.ClaimRefundNo(order, request.OutRefundNo));
        if (outcome == RefundRequestOutcome.Created)
        {
            call.Services.GetRequiredService<RefundSettler>().Track(order, request.OutRefundNo);
        }

        return outcome switch
        {
            RefundRequestOutcome.Created or RefundRequestOutcome.Existing =>
                SignedAnswer.Json(StatusCodes.Status200OK, answer!, WeChatPayJsonContext.Wire.RefundResponse),
            RefundRequestOutcome.OrderNotPaid => InvalidRequest("订单未支付，不能发起退款"),
            RefundRequestOutcome.TotalMismatch => InvalidRequest("订单金额与原订单不一致"),
            RefundRequestOutcome.ExceedsRefundable => InvalidRequest("申请退款金额超过订单可退金额"),
            _ => RefundNoReused(),
        };
    }

    private static SignedAnswer QueryRefund(ApiCall call)
    {
        var outRefundNo = call.Context.Request.RouteValues["out_refund_no"] as string ?? "";
        var refund = call.Services.GetRequiredService<OrderStore>().FindRefundOwner(call.Merchant.MchId, outRefundNo)?.FindRefund(outRefundNo);
        return refund is null
            ? SignedAnswer.Error(StatusCodes.Status404NotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
            : SignedAnswer.Json(StatusCodes.Status200OK, refund, WeChatPayJsonContext.Wire.RefundResponse);
    }

    private static Order? FindOrder(ApiCall call) =>
        call.Context.Request.RouteValues["out_trade_no"] is string outTradeNo
            ? call.Services.GetRequiredService<OrderStore>().Find(call.Merchant.MchId, outTradeNo)
            : null;

    private static bool TryRead<T>(
        byte[] body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value,
        out string error)
        where T : class
    {
        try
        {
            value = JsonSerializer.Deserialize(body, typeInfo);
            error = "请求体应为JSON对象";
            return value is not null;
        }
        catch (JsonException ex)
        {
            value = null;
            error = "请求体不是有效的JSON: " + ex.Message;
            return false;
        }
    }

    private static SignedAnswer ParamError(string message) =>
        SignedAnswer.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", message);

    private static SignedAnswer OrderNotFound() =>
        SignedAnswer.Error(StatusCodes.Status404NotFound, "ORDER_NOT_EXIST", "订单不存在");

    private static SignedAnswer InvalidRequest(string message) =>
        SignedAnswer.Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", message);

    private static SignedAnswer RefundNoReused() =>
        InvalidRequest("商户退款单号重复，且退款参数与原退款单不一致");

    [GeneratedRegex("^[A-Za-z0-9_*|-]{6,32}\\z")]
    private static partial Regex OutTradeNoPattern();

    [GeneratedRegex("^[A-Za-z0-9_*|@-]{1,64}\\z")]
    private static partial Regex OutRefundNoPattern();

    [GeneratedRegex("^[A-Za-z0-9]{1,32}\\z")]
    private static partial Regex TransactionIdPattern();

    private sealed record ApiCall(HttpContext Context, Merchant Merchant, byte[] Body)
    {
        public IServiceProvider Services => Context.RequestServices;
    }
}
