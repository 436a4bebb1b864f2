using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// <c>/gateway.do</c>, behaving as Alipay's does on the wire: common parameters in the query string
/// or the form body, RSA2 request signatures checked against the app's public key, answers signed
/// with Alipay's key. A browser arriving with a signed <c>alipay.trade.page.pay</c> gets the cashier.
/// </summary>
internal static partial class AlipayGateway
{
    public const string Path = "/gateway.do";
    public const string PagePay = "alipay.trade.page.pay";

    private const string Precreate = "alipay.trade.precreate";
    private const string Query = "alipay.trade.query";
    private const string Close = "alipay.trade.close";
    private const string Refund = "alipay.trade.refund";
    private const string RefundQuery = "alipay.trade.fastpay.refund.query";
    private const string BillQuery = "alipay.data.dataservice.bill.downloadurl.query";
    private const int MaxSubjectLength = 256;
    private const int MaxBodyLength = 128;
    private const int MaxReasonLength = 256;
    private const int MaxNotifyUrlLength = 256;
    private const long MaxTotalFen = 10_000_000_000;

    // The sandbox's own window for request timestamps.
    private static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(15);

    private static readonly string[] RequiredParameters = ["app_id", "method", "charset", "sign_type", "sign", "timestamp", "version"];

    private static readonly Dictionary<string, string> Operations = new(StringComparer.Ordinal)
    {
        [Precreate] = FaultNames.Create,
        [Query] = FaultNames.Query,
        [Close] = FaultNames.Close,
        [Refund] = FaultNames.Refund,
        [RefundQuery] = FaultNames.RefundQuery,
        [BillQuery] = FaultNames.Statement,
    };

    public static void MapAlipayGateway(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, (HttpContext context) => HandleAsync(context));
        app.MapGet(Path, (HttpContext context) => HandleAsync(context));

        // The bill link needs no credentials: it is a bearer link, valid for 30 seconds.
        app.MapGet("/alipay/downloadBillFile.resource", (string? fileId, AlipayBillDownloads downloads) =>
            fileId is not null && downloads.Find(fileId) is { } zip
                ? Results.File(zip, "application/octet-stream", "bill.csv.zip")
                : Results.Text("文件不存在或已过期", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound));
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var result = await RunAsync(context);
        await result.ExecuteAsync(context);
    }

    private static async Task<IResult> RunAsync(HttpContext context)
    {
        var request = context.Request;
        var (parameters, duplicate) = await ReadParametersAsync(request);
        if (parameters is null)
        {
            return AlipayAnswer.Failure("error_response", "40002", "Invalid Arguments", "isv.invalid-parameter", $"参数{duplicate}重复");
        }

        parameters.TryGetValue("method", out var method);
        if (method == PagePay)
        {
            return await AlipayPayerPages.CashierAsync(context, parameters);
        }

        if (request.Method != HttpMethods.Post)
        {
            return AlipayPayerPages.ErrorPage("invalid-method", "网关只接受POST请求或收银台跳转");
        }

        var (app, failure) = Authenticate(context.RequestServices, parameters);
        if (app is null)
        {
            return failure!;
        }

        var node = method!.Replace('.', '_') + "_response";
        if (!Operations.TryGetValue(method, out var operation))
        {
            return AlipayAnswer.Failure("error_response", "40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名");
        }

        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var aborted = context.RequestAborted;
        var fault = services.GetRequiredService<FaultRegistry>().TryConsume(FaultNames.Alipay, operation);
        if (fault?.Mode == FaultMode.Error)
        {
            return AlipayAnswer.Failure(node, "20000", "Service Currently Unavailable", "isp.unknow-error", "系统繁忙");
        }

        if (fault?.Mode == FaultMode.Delay && !await InjectedDelay.WaitAsync(fault.Delay, time, aborted))
        {
            return Results.Empty;
        }

        var call = new GatewayCall(context, app, parameters, node);
        var answer = method switch
        {
            Precreate => PrecreateTrade(call),
            Query => QueryTrade(call),
            Close => CloseTrade(call),
            Refund => RefundTrade(call),
            RefundQuery => QueryRefund(call),
            _ => QueryBill(call),
        };

        // A timeout acts and then withholds the answer: Alipay did it, the caller never hears.
        if (fault?.Mode == FaultMode.Timeout && !await InjectedDelay.WaitAsync(fault.Delay, time, aborted))
        {
            return Results.Empty;
        }

        return answer;
    }

    /// <summary>
    /// Checks the common parameters and the RSA2 signature over all of them but <c>sign</c>. Returns
    /// the calling app, or the answer the gateway gives instead.
    /// </summary>
    /// <param name="checkClock">False for a page.pay link, which the payer may follow long after it was signed.</param>
    public static (AlipayApp? App, AlipayAnswer? Failure) Authenticate(IServiceProvider services, IReadOnlyDictionary<string, string> parameters, bool checkClock = true)
    {
        parameters.TryGetValue("method", out var method);
        var node = string.IsNullOrEmpty(method) ? "error_response" : method.Replace('.', '_') + "_response";
        foreach (var name in RequiredParameters)
        {
            if (!parameters.TryGetValue(name, out var value) || value.Length == 0)
            {
                var subCode = name switch
                {
                    "app_id" => "isv.missing-app-id",
                    "sign" => "isv.missing-signature",
                    "sign_type" => "isv.missing-signature-type",
                    _ => "isv.missing-" + name,
                };
                return (null, AlipayAnswer.Failure(node, "40001", "Missing Required Arguments", subCode, $"缺少必选参数{name}", signed: false));
            }
        }

        // An app the gateway does not know cannot be answered in its name: the answer goes unsigned.
        var app = services.GetRequiredService<AlipayAppRegistry>().Find(parameters["app_id"]);
        if (app is null)
        {
            return (null, AlipayAnswer.Failure(node, "40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数", signed: false));
        }

        string? problem = null;
        string? subCodeOf = null;
        if (!string.Equals(parameters["charset"], "utf-8", StringComparison.OrdinalIgnoreCase))
        {
            (subCodeOf, problem) = ("isv.invalid-charset", "字符集错误，沙箱只支持utf-8");
        }
        else if (parameters.TryGetValue("format", out var format) && format.Length > 0 && !string.Equals(format, "JSON", StringComparison.OrdinalIgnoreCase))
        {
            (subCodeOf, problem) = ("isv.invalid-format", "无效的数据格式");
        }
        else if (parameters["sign_type"] != "RSA2")
        {
            (subCodeOf, problem) = ("isv.invalid-signature-type", "无效的签名类型，沙箱只支持RSA2");
        }
        else if (parameters["version"] != "1.0")
        {
            (subCodeOf, problem) = ("isv.invalid-version", "无效的版本号");
        }
        else if (!AlipaySignatures.TryParseTime(parameters["timestamp"], out var timestamp)
            || (checkClock && (services.GetRequiredService<TimeProvider>().GetUtcNow() - timestamp).Duration() > MaxClockSkew))
        {
            (subCodeOf, problem) = ("isv.invalid-timestamp", "非法的时间戳参数");
        }

        if (problem is not null)
        {
            return (null, AlipayAnswer.Failure(node, "40002", "Invalid Arguments", subCodeOf, problem));
        }

        var content = AlipaySignatures.Content(parameters, withoutSignType: false);
        bool verifies;
        try
        {
            verifies = AlipaySignatures.Verify(app.PublicKey, content, parameters["sign"]);
        }
        catch (CryptographicException)
        {
            verifies = false;
        }

        return verifies
            ? (app, null)
            : (null, AlipayAnswer.Failure(
                node, "40002", "Invalid Arguments", "isv.invalid-signature", $"验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{content}"));
    }

    /// <summary>
    /// Parses and checks the terms of a precreate or page payment. Returns the terms, or the refusal.
    /// </summary>
    public static (TradeTerms? Terms, string? OutTradeNo, string? Problem) ReadTerms(
        IReadOnlyDictionary<string, string> parameters, string? outTradeNo, string? totalAmount, string? subject, string? body, string? timeExpire, string productCode)
    {
        if (outTradeNo is null || !OutTradeNoPattern().IsMatch(outTradeNo))
        {
            return (null, outTradeNo, "out_trade_no应为1-64位字母、数字、下划线或短横线");
        }

        if (!AlipaySignatures.TryParseYuan(totalAmount, out var fen) || fen < 1 || fen > MaxTotalFen)
        {
            return (null, outTradeNo, "total_amount应为0.01到100000000之间、最多两位小数的金额");
        }

        if (string.IsNullOrWhiteSpace(subject) || subject.Length > MaxSubjectLength)
        {
            return (null, outTradeNo, "subject为必填字段，长度不超过256");
        }

        if (body is { Length: > MaxBodyLength })
        {
            return (null, outTradeNo, "body长度不超过128");
        }

        DateTimeOffset? expiry = null;
        if (timeExpire is not null)
        {
            if (!AlipaySignatures.TryParseTime(timeExpire, out var parsed))
            {
                return (null, outTradeNo, "time_expire格式应为yyyy-MM-dd HH:mm:ss");
            }

            expiry = parsed;
        }

        string? notifyUrl = null;
        if (parameters.TryGetValue("notify_url", out var notify) && notify.Length > 0)
        {
            if (notify.Length > MaxNotifyUrlLength
                || !Uri.TryCreate(notify, UriKind.Absolute, out var notifyUri)
                || (notifyUri.Scheme != Uri.UriSchemeHttp && notifyUri.Scheme != Uri.UriSchemeHttps))
            {
                return (null, outTradeNo, "notify_url应为http或https的绝对地址");
            }

            notifyUrl = notify;
        }

        return (new TradeTerms(fen, subject, body, expiry, notifyUrl, productCode), outTradeNo, null);
    }

    private static AlipayAnswer PrecreateTrade(GatewayCall call)
    {
        if (!TryReadBiz(call, AlipayWireJson.Wire.PrecreateBiz, out var biz, out var invalid))
        {
            return invalid;
        }

        var (terms, outTradeNo, problem) = ReadTerms(call.Parameters, biz.OutTradeNo, biz.TotalAmount, biz.Subject, biz.Body, biz.TimeExpire, "FACE_TO_FACE_PAYMENT");
        if (terms is null)
        {
            return InvalidParameter(call, problem!);
        }

        var http = call.Context.Request;
        var token = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 24);
        var (trade, created) = call.Get<AlipayTradeStore>().GetOrCreate(
            call.App.AppId, outTradeNo!, terms, token, $"{http.Scheme}://{http.Host}{http.PathBase}/alipay/qr/{token}");
        if (created)
        {
            call.Get<AlipayExpiry>().Track(trade);
        }
        else
        {
            call.Get<AlipayExpiry>().Refresh(trade);
        }

        var repeat = created ? TradeRepeat.Same : trade.Repeat(terms);
        return repeat switch
        {
            TradeRepeat.Same => AlipayAnswer.Of(call.Node, new PrecreateAnswer("10000", "Success", trade.OutTradeNo, trade.PayUrl), AlipayWireJson.Wire.PrecreateAnswer),
            TradeRepeat.AlreadyPaid => AlipayAnswer.Business(call.Node, "ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
            TradeRepeat.Closed => AlipayAnswer.Business(call.Node, "ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
            _ => AlipayAnswer.Business(call.Node, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改"),
        };
    }

    private static AlipayAnswer QueryTrade(GatewayCall call)
    {
        if (!TryFindTrade(call, out var trade, out var refusal))
        {
            return refusal;
        }

        return trade.Query() is { } answer
            ? AlipayAnswer.Of(call.Node, answer, AlipayWireJson.Wire.QueryAnswer)
            : TradeNotExist(call);
    }

    private static AlipayAnswer CloseTrade(GatewayCall call)
    {
        if (!TryFindTrade(call, out var trade, out var refusal))
        {
            return refusal;
        }

        var (outcome, notice) = trade.Close(call.Get<TimeProvider>().GetUtcNow());
        if (notice is not null)
        {
            call.Get<AlipayNotifier>().Send(trade, notice);
        }

        return outcome switch
        {
            TradeCloseOutcome.Closed => AlipayAnswer.Of(
                call.Node, new CloseAnswer("10000", "Success", trade.Query()!.TradeNo, trade.OutTradeNo), AlipayWireJson.Wire.CloseAnswer),
            TradeCloseOutcome.AlreadyPaid => AlipayAnswer.Business(call.Node, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法"),
            _ => TradeNotExist(call),
        };
    }

    private static AlipayAnswer RefundTrade(GatewayCall call)
    {
        if (!TryReadBiz(call, AlipayWireJson.Wire.RefundBiz, out var biz, out var invalid))
        {
            return invalid;
        }

        if (!AlipaySignatures.TryParseYuan(biz.RefundAmount, out var fen) || fen < 1)
        {
            return InvalidParameter(call, "refund_amount应为大于0、最多两位小数的金额");
        }

        if (biz.RefundReason is { Length: > MaxReasonLength })
        {
            return InvalidParameter(call, "refund_reason长度不超过256");
        }

        if (biz.OutRequestNo is { } requestNo && !OutTradeNoPattern().IsMatch(requestNo))
        {
            return InvalidParameter(call, "out_request_no应为1-64位字母、数字、下划线或短横线");
        }

        if (!TryFindTrade(call, out var trade, out var refusal))
        {
            return refusal;
        }

        // Without out_request_no Alipay takes the order number: one refund per trade.
        var outRequestNo = biz.OutRequestNo ?? trade.OutTradeNo;
        var (outcome, answer, notice) = trade.Refund(outRequestNo, fen, biz.RefundReason, call.Get<TimeProvider>().GetUtcNow());
        if (notice is not null)
        {
            call.Get<AlipayNotifier>().Send(trade, notice);
        }

        return outcome switch
        {
            RefundOutcome.Refunded or RefundOutcome.Repeated => AlipayAnswer.Of(call.Node, answer!, AlipayWireJson.Wire.RefundAnswer),
            RefundOutcome.NotExist => TradeNotExist(call),
            RefundOutcome.NotPaid => AlipayAnswer.Business(call.Node, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法"),
            _ => AlipayAnswer.Business(call.Node, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"),
        };
    }

    private static AlipayAnswer QueryRefund(GatewayCall call)
    {
        if (!TryReadBiz(call, AlipayWireJson.Wire.RefundQueryBiz, out var biz, out var invalid))
        {
            return invalid;
        }

        if (string.IsNullOrEmpty(biz.OutRequestNo))
        {
            return InvalidParameter(call, "out_request_no为必填字段");
        }

        if (!TryFindTrade(call, out var trade, out var refusal))
        {
            return refusal;
        }

        var (exists, answer) = trade.QueryRefund(biz.OutRequestNo, biz.QueryOptions?.Contains("gmt_refund_pay") == true);
        return exists ? AlipayAnswer.Of(call.Node, answer, AlipayWireJson.Wire.RefundQueryAnswer) : TradeNotExist(call);
    }

    /// <summary>
    /// The link to the day's bill zip, built from the trades now (today included) with the statement mutations
    /// applied. Only bill_type=trade. A day without a row has no bill (isp.bill_not_exist), as at Alipay.
    /// </summary>
    private static AlipayAnswer QueryBill(GatewayCall call)
    {
        if (!TryReadBiz(call, AlipayWireJson.Wire.BillQueryBiz, out var biz, out var invalid))
        {
            return invalid;
        }

        if (biz.BillType != "trade")
        {
            return AlipayAnswer.Failure(call.Node, "40004", "Business Failed", "isv.invalid-bill-type", "沙箱只支持bill_type=trade");
        }

        if (!DateOnly.TryParseExact(biz.BillDate, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date))
        {
            return AlipayAnswer.Failure(call.Node, "40004", "Business Failed", "isv.invalid-bill-date", "bill_date应为yyyy-MM-dd格式");
        }

        var source = call.Get<AlipayStatementSource>();
        var entries = Statements.StatementBuilder.Build(source, call.Get<Statements.StatementMutationStore>(), call.App.AppId, date);
        if (entries.Count == 0)
        {
            return AlipayAnswer.Failure(call.Node, "40004", "Business Failed", "isp.bill_not_exist", "账单不存在");
        }

        var token = call.Get<AlipayBillDownloads>().Add(source.Zip(call.App.AppId, date, entries));
        var http = call.Context.Request;
        var url = $"{http.Scheme}://{http.Host}{http.PathBase}/alipay/downloadBillFile.resource?bizType=trade&fileType=csv.zip&bizDates={date:yyyyMMdd}&fileId={token}";
        return AlipayAnswer.Of(call.Node, new BillQueryAnswer("10000", "Success", url), AlipayWireJson.Wire.BillQueryAnswer);
    }

    /// <summary>Finds the trade named by trade_no or out_trade_no in biz_content, with any due expiry applied.</summary>
    private static bool TryFindTrade(GatewayCall call, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AlipayTrade? trade, out AlipayAnswer refusal)
    {
        trade = null;
        if (!TryReadBiz(call, AlipayWireJson.Wire.TradeBiz, out var biz, out refusal))
        {
            return false;
        }

        // As at Alipay, trade_no wins when both are given.
        var trades = call.Get<AlipayTradeStore>();
        if (!string.IsNullOrEmpty(biz.TradeNo))
        {
            trade = trades.FindByTradeNo(call.App.AppId, biz.TradeNo);
        }
        else if (!string.IsNullOrEmpty(biz.OutTradeNo))
        {
            trade = trades.Find(call.App.AppId, biz.OutTradeNo);
        }
        else
        {
            refusal = InvalidParameter(call, "out_trade_no和trade_no不能同时为空");
            return false;
        }

        if (trade is null)
        {
            refusal = TradeNotExist(call);
            return false;
        }

        call.Get<AlipayExpiry>().Refresh(trade);
        return true;
    }

    private static bool TryReadBiz<T>(
        GatewayCall call, JsonTypeInfo<T> typeInfo, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? biz, out AlipayAnswer refusal)
        where T : class
    {
        biz = null;
        refusal = null!;
        if (!call.Parameters.TryGetValue("biz_content", out var json) || json.Length == 0)
        {
            refusal = AlipayAnswer.Failure(call.Node, "40001", "Missing Required Arguments", "isv.missing-biz-content", "缺少必选参数biz_content");
            return false;
        }

        try
        {
            biz = JsonSerializer.Deserialize(json, typeInfo);
        }
        catch (JsonException)
        {
            biz = null;
        }

        if (biz is null)
        {
            refusal = InvalidParameter(call, "biz_content不是有效的JSON对象");
            return false;
        }

        return true;
    }

    private static AlipayAnswer InvalidParameter(GatewayCall call, string message) =>
        AlipayAnswer.Business(call.Node, "ACQ.INVALID_PARAMETER", "参数无效：" + message);

    private static AlipayAnswer TradeNotExist(GatewayCall call) =>
        AlipayAnswer.Business(call.Node, "ACQ.TRADE_NOT_EXIST", "交易不存在");

    /// <summary>Query string and form body together, as the gateway reads them; a name twice is refused.</summary>
    private static async Task<(Dictionary<string, string>? Parameters, string? Duplicate)> ReadParametersAsync(HttpRequest request)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in request.Query)
        {
            if (values.Count != 1)
            {
                return (null, name);
            }

            parameters[name] = values.ToString();
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            foreach (var (name, values) in form)
            {
                if (values.Count != 1 || !parameters.TryAdd(name, values.ToString()))
                {
                    return (null, name);
                }
            }
        }

        return (parameters, null);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}\\z")]
    private static partial Regex OutTradeNoPattern();

    private sealed record GatewayCall(HttpContext Context, AlipayApp App, IReadOnlyDictionary<string, string> Parameters, string Node)
    {
        public T Get<T>()
            where T : notnull => Context.RequestServices.GetRequiredService<T>();
    }
}
