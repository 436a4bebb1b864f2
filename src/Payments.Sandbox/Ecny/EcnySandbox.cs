using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.Ecny;

/// <summary>
/// The e-CNY wallet operator simulator: onboarding (SM2 keys exchanged), the signed merchant API under
/// <c>/ecny/v1</c>, the wallet pages that stand in for the payer, expiry, notifications and statements.
/// </summary>
internal static class EcnySandbox
{
    public const string MerchantNoHeader = "Ecny-Merchant-No";
    public const string SerialHeader = "Ecny-Serial";
    public const string TimestampHeader = "Ecny-Timestamp";
    public const string NonceHeader = "Ecny-Nonce";
    public const string SignatureHeader = "Ecny-Signature";

    private const long MaxSkewSeconds = 300;

    public static IServiceCollection AddEcnySandbox(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<EcnyPlatformKey>();
        services.AddSingleton<EcnyStore>();
        services.AddSingleton<EcnyNotifier>();
        services.AddSingleton<EcnyExpiry>();
        services.AddSingleton<EcnyStatementSource>();
        services.AddSingleton<IStatementSource>(sp => sp.GetRequiredService<EcnyStatementSource>());
        services.AddHttpClient(EcnyNotifier.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    public static void MapEcnySandbox(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sandbox/ecny/merchants", RegisterAsync);
        app.MapGet("/sandbox/ecny/orders/{outTradeNo}", (string outTradeNo, string? merchantNo, EcnyStore store, EcnyExpiry expiry) =>
        {
            var order = merchantNo is null ? store.AnyOrder(outTradeNo) : store.Order(merchantNo, outTradeNo);
            if (order is null)
            {
                return Results.Json(new SandboxError("ORDER_NOT_EXIST", "订单不存在"), EcnySandboxJson.Default.SandboxError, statusCode: StatusCodes.Status404NotFound);
            }

            expiry.Refresh(order);
            return Results.Json(order.Inspect(), EcnySandboxJson.Default.EcnyOrderInspection);
        });

        // Cast to Delegate so the minimal API writes the IResult rather than binding a bare RequestDelegate.
        app.MapPost("/ecny/v1/orders", (Delegate)((HttpContext context) => HandleAsync(context, FaultNames.Create, CreateOrder)));
        app.MapGet("/ecny/v1/orders/{outTradeNo}", (HttpContext context, string outTradeNo) => HandleAsync(context, FaultNames.Query, call => QueryOrder(call, outTradeNo)));
        app.MapPost("/ecny/v1/orders/{outTradeNo}/close", (HttpContext context, string outTradeNo) => HandleAsync(context, FaultNames.Close, call => CloseOrder(call, outTradeNo)));
        app.MapPost("/ecny/v1/refunds", (Delegate)((HttpContext context) => HandleAsync(context, FaultNames.Refund, CreateRefund)));
        app.MapGet("/ecny/v1/refunds/{outRefundNo}", (HttpContext context, string outRefundNo) => HandleAsync(context, FaultNames.RefundQuery, call => QueryRefund(call, outRefundNo)));
        app.MapGet("/ecny/v1/statements", (Delegate)((HttpContext context) => HandleAsync(context, FaultNames.Statement, Statement)));
        app.MapEcnyPayerPages();
    }

    /// <summary>
    /// Registers (or re-keys) a merchant, as an operator's merchant portal does: the merchant uploads the public half
    /// of its SM2 key with the key's serial and gets the platform's public key and serial, and the SM4 key that
    /// notification resources are encrypted with.
    /// </summary>
    private static async Task<IResult> RegisterAsync(HttpRequest request, EcnyStore store, EcnyPlatformKey platform)
    {
        var (body, error) = await SandboxJson.ReadAsync(request, EcnySandboxJson.Default.EcnyMerchantRegistration);
        if (body is null)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", error);
        }

        string merchantNo = body.MerchantNo ?? "89" + RandomNumberGenerator.GetString("0123456789", 13);
        if (merchantNo.Length is 0 or > 32 || !merchantNo.All(char.IsAsciiLetterOrDigit))
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "merchantNo must be 1 to 32 letters or digits");
        }

        if (body.MerchantSerialNo is not { Length: > 0 and <= 64 } serial)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "merchantSerialNo is required");
        }

        if (EcnyPlatformKey.ReadMerchantKey(body.MerchantSm2PublicKeyPem ?? "", out string problem) is not { } key)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", problem);
        }

        byte[] notifyKey;
        if (body.NotifySm4KeyHex is null)
        {
            notifyKey = RandomNumberGenerator.GetBytes(16);
        }
        else if (body.NotifySm4KeyHex.Length != 32 || !body.NotifySm4KeyHex.All(char.IsAsciiHexDigit))
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "notifySm4KeyHex must be 32 hex digits");
        }
        else
        {
            notifyKey = Convert.FromHexString(body.NotifySm4KeyHex);
        }

        store.Register(new EcnyMerchant(merchantNo, serial, key, notifyKey, body.ChannelAccountId));
        return Results.Json(
            new EcnyMerchantRegistered(merchantNo, serial, platform.SerialNo, platform.PublicKeyPem, Convert.ToHexStringLower(notifyKey), BaseUrl(request)),
            EcnySandboxJson.Default.EcnyMerchantRegistered);
    }

    private static EcnyAnswer CreateOrder(EcnyCall call)
    {
        if (call.Read(EcnySandboxJson.Default.EcnyOrderCreate) is not { } body)
        {
            return EcnyAnswer.Error(400, "PARAM_ERROR", "body must be a JSON object");
        }

        if (body.MerchantNo != call.Merchant.MerchantNo)
        {
            return EcnyAnswer.Error(400, "MERCHANT_MISMATCH", "merchantNo differs from the signing merchant");
        }

        if (body.OutTradeNo is not { Length: > 0 and <= 64 } outTradeNo
            || body.TradeType is not ("QR" or "APP")
            || body.Amount is not > 0
            || body.Currency != "CNY"
            || body.Subject is not { Length: > 0 and <= 128 }
            || !DateTimeOffset.TryParseExact(body.ExpireTime, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var expiresAt)
            || !Uri.TryCreate(body.NotifyUrl, UriKind.Absolute, out var notifyUrl) || notifyUrl.Scheme is not ("http" or "https"))
        {
            return EcnyAnswer.Error(400, "PARAM_ERROR", "outTradeNo, tradeType QR|APP, amount > 0 in CNY, subject, expireTime (RFC 3339) and an absolute notifyUrl are required");
        }

        var store = call.Get<EcnyStore>();
        var expiry = call.Get<EcnyExpiry>();
        var (order, created) = store.GetOrAdd(call.Merchant, outTradeNo, () => new EcnyOrderState(
            call.Merchant, outTradeNo, body.TradeType, body.Amount.Value, body.Subject, expiresAt, notifyUrl.AbsoluteUri, RandomNumberGenerator.GetHexString(32, lowercase: true)));
        if (created)
        {
            expiry.Track(order);
        }

        expiry.Refresh(order);
        lock (order.Gate)
        {
            if (!created)
            {
                order.CreateCalls++;
                if (order.Amount != body.Amount || order.TradeType != body.TradeType)
                {
                    return EcnyAnswer.Error(400, "OUT_TRADE_NO_USED", "the outTradeNo was placed with other terms");
                }
            }

            return order.Status switch
            {
                "SUCCESS" or "REFUND" => EcnyAnswer.Error(400, "ORDER_PAID", "订单已支付"),
                "CLOSED" => EcnyAnswer.Error(400, "ORDER_CLOSED", "订单已关闭"),
                "FAILED" => EcnyAnswer.Error(400, "ORDER_FAILED", "订单支付失败"),
                _ => EcnyAnswer.Json(200, order.Answer(call.BaseUrl), EcnySandboxJson.Default.EcnyOrderAnswer),
            };
        }
    }

    private static EcnyAnswer QueryOrder(EcnyCall call, string outTradeNo)
    {
        if (call.Query("merchantNo") != call.Merchant.MerchantNo)
        {
            return EcnyAnswer.Error(400, "MERCHANT_MISMATCH", "merchantNo differs from the signing merchant");
        }

        if (call.Get<EcnyStore>().Order(call.Merchant.MerchantNo, outTradeNo) is not { } order)
        {
            return EcnyAnswer.Error(404, "ORDER_NOT_EXIST", "订单不存在");
        }

        call.Get<EcnyExpiry>().Refresh(order);
        lock (order.Gate)
        {
            return EcnyAnswer.Json(200, order.Answer(call.BaseUrl), EcnySandboxJson.Default.EcnyOrderAnswer);
        }
    }

    private static EcnyAnswer CloseOrder(EcnyCall call, string outTradeNo)
    {
        if (call.Read(EcnySandboxJson.Default.EcnyMerchantOnly) is not { } body || body.MerchantNo != call.Merchant.MerchantNo)
        {
            return EcnyAnswer.Error(400, "MERCHANT_MISMATCH", "merchantNo differs from the signing merchant");
        }

        if (call.Get<EcnyStore>().Order(call.Merchant.MerchantNo, outTradeNo) is not { } order)
        {
            return EcnyAnswer.Error(404, "ORDER_NOT_EXIST", "订单不存在");
        }

        call.Get<EcnyExpiry>().Refresh(order);
        lock (order.Gate)
        {
            order.CloseCalls++;
            if (order.Status is "WAIT_PAY" or "PAYING")
            {
                order.Status = "CLOSED";
            }

            // Closing what is closed (or failed) is harmless; a paid order needs a refund instead.
            return order.Status is "SUCCESS" or "REFUND"
                ? EcnyAnswer.Error(400, "ORDER_PAID", "订单已支付，不能关闭")
                : EcnyAnswer.Json(200, order.Answer(call.BaseUrl), EcnySandboxJson.Default.EcnyOrderAnswer);
        }
    }

    private static EcnyAnswer CreateRefund(EcnyCall call)
    {
        if (call.Read(EcnySandboxJson.Default.EcnyRefundCreate) is not { } body)
        {
            return EcnyAnswer.Error(400, "PARAM_ERROR", "body must be a JSON object");
        }

        if (body.MerchantNo != call.Merchant.MerchantNo)
        {
            return EcnyAnswer.Error(400, "MERCHANT_MISMATCH", "merchantNo differs from the signing merchant");
        }

        if (body.OutTradeNo is not { Length: > 0 } outTradeNo || body.OutRefundNo is not { Length: > 0 and <= 64 } outRefundNo
            || body.RefundAmount is not > 0 || body.TotalAmount is not > 0 || body.Currency != "CNY"
            || !Uri.TryCreate(body.NotifyUrl, UriKind.Absolute, out _))
        {
            return EcnyAnswer.Error(400, "PARAM_ERROR", "outTradeNo, outRefundNo, refundAmount > 0, totalAmount > 0 in CNY and notifyUrl are required");
        }

        var store = call.Get<EcnyStore>();
        if (store.Order(call.Merchant.MerchantNo, outTradeNo) is not { } order || (body.OrderNo is { } orderNo && orderNo != order.OrderNo))
        {
            return EcnyAnswer.Error(404, "ORDER_NOT_EXIST", "订单不存在");
        }

        if (!store.ClaimRefund(call.Merchant.MerchantNo, outRefundNo, order))
        {
            return EcnyAnswer.Error(400, "OUT_REFUND_NO_USED", "the outRefundNo belongs to another order");
        }

        lock (order.Gate)
        {
            if (order.Refunds.Find(r => r.OutRefundNo == outRefundNo) is { } existing)
            {
                return existing.RefundAmount == body.RefundAmount
                    ? EcnyAnswer.Json(200, existing, EcnySandboxJson.Default.EcnyRefundAnswer)
                    : EcnyAnswer.Error(400, "OUT_REFUND_NO_USED", "the outRefundNo was used with another amount");
            }

            if (order.Status is not ("SUCCESS" or "REFUND"))
            {
                return EcnyAnswer.Error(400, "ORDER_NOT_PAID", "订单未支付");
            }

            if (body.TotalAmount != order.Amount)
            {
                return EcnyAnswer.Error(400, "PARAM_ERROR", "totalAmount differs from the order amount");
            }

            if (order.Refunds.Sum(r => r.RefundAmount) + body.RefundAmount > order.Amount)
            {
                return EcnyAnswer.Error(400, "REFUND_AMOUNT_EXCEEDED", "退款金额超过订单可退金额");
            }

            var now = call.Get<TimeProvider>().GetUtcNow();
            var refund = new EcnyRefundAnswer(
                order.Merchant.MerchantNo, order.OutTradeNo, order.OrderNo, outRefundNo, "ER" + RandomNumberGenerator.GetString("0123456789", 26),
                "SUCCESS", body.RefundAmount.Value, "CNY", EcnyTime.Format(now));
            order.Refunds.Add(refund);
            order.RefundTimes.Add(now);
            order.Status = "REFUND";
            call.Get<EcnyNotifier>().Send(order, "REFUND.SUCCESS", refund);
            return EcnyAnswer.Json(200, refund, EcnySandboxJson.Default.EcnyRefundAnswer);
        }
    }

    private static EcnyAnswer QueryRefund(EcnyCall call, string outRefundNo)
    {
        if (call.Query("merchantNo") != call.Merchant.MerchantNo)
        {
            return EcnyAnswer.Error(400, "MERCHANT_MISMATCH", "merchantNo differs from the signing merchant");
        }

        if (call.Get<EcnyStore>().OrderOfRefund(call.Merchant.MerchantNo, outRefundNo) is { } order)
        {
            lock (order.Gate)
            {
                if (order.Refunds.Find(r => r.OutRefundNo == outRefundNo) is { } refund)
                {
                    return EcnyAnswer.Json(200, refund, EcnySandboxJson.Default.EcnyRefundAnswer);
                }
            }
        }

        return EcnyAnswer.Error(404, "REFUND_NOT_EXIST", "退款单不存在");
    }

    private static EcnyAnswer Statement(EcnyCall call)
    {
        if (call.Query("merchantNo") != call.Merchant.MerchantNo)
        {
            return EcnyAnswer.Error(400, "MERCHANT_MISMATCH", "merchantNo differs from the signing merchant");
        }

        if (!DateOnly.TryParseExact(call.Query("date"), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return EcnyAnswer.Error(400, "PARAM_ERROR", "date must be yyyy-MM-dd");
        }

        var source = call.Get<EcnyStatementSource>();
        var entries = StatementBuilder.Build(source, call.Get<StatementMutationStore>(), call.Merchant.MerchantNo, date);
        return entries.Count == 0
            ? EcnyAnswer.Error(404, "NO_STATEMENT_EXIST", "当日无交易，无对账单")
            : new EcnyAnswer(200, source.Render(call.Merchant.MerchantNo, entries), source.MediaType);
    }

    /// <summary>
    /// Authenticates the call (merchant, serial, five-minute window, SM2 signature over the exact request target and
    /// body), applies a queued fault, runs the operation and signs whatever it answers. Error answers before acting;
    /// delay waits before acting; timeout acts and withholds the answer.
    /// </summary>
    private static async Task<IResult> HandleAsync(HttpContext context, string operation, Func<EcnyCall, EcnyAnswer> act)
    {
        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var platform = services.GetRequiredService<EcnyPlatformKey>();
        using var reader = new StreamReader(context.Request.Body, new UTF8Encoding(false));
        string body = await reader.ReadToEndAsync(context.RequestAborted);

        var (merchant, problem) = Authenticate(context, body, services.GetRequiredService<EcnyStore>(), time);
        if (merchant is null)
        {
            return Signed(EcnyAnswer.Error(401, "SIGN_ERROR", "签名验证失败: " + problem), platform, time);
        }

        var fault = services.GetRequiredService<FaultRegistry>().TryConsume(FaultNames.Ecny, operation);
        if (fault?.Mode == FaultMode.Error)
        {
            return Signed(EcnyAnswer.Error(500, "SYSTEM_ERROR", "injected fault"), platform, time);
        }

        if (fault?.Mode == FaultMode.Delay && !await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted))
        {
            return Results.Empty;
        }

        var answer = act(new EcnyCall(context, merchant, body));
        if (fault?.Mode == FaultMode.Timeout)
        {
            await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted);
            return Results.Empty;
        }

        return Signed(answer, platform, time);
    }

    /// <summary>The signing merchant, or null and the reason, which the 401 carries to help an integrator.</summary>
    private static (EcnyMerchant? Merchant, string Problem) Authenticate(HttpContext context, string body, EcnyStore store, TimeProvider time)
    {
        var headers = context.Request.Headers;
        string timestamp = headers[TimestampHeader].ToString();
        string nonce = headers[NonceHeader].ToString();
        string signature = headers[SignatureHeader].ToString();
        if (store.Merchant(headers[MerchantNoHeader].ToString()) is not { } merchant)
        {
            return (null, $"unknown merchant in {MerchantNoHeader}");
        }

        if (headers[SerialHeader].ToString() != merchant.SerialNo)
        {
            return (null, $"{SerialHeader} is not the merchant key's serial");
        }

        if (nonce.Length == 0 || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || Math.Abs(time.GetUtcNow().ToUnixTimeSeconds() - seconds) > MaxSkewSeconds)
        {
            return (null, "nonce missing or timestamp outside the five-minute window");
        }

        // The target exactly as it came over the wire: a signature over a re-encoded path would hide escaping bugs.
        string? rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        string target = string.IsNullOrEmpty(rawTarget) ? (context.Request.PathBase + context.Request.Path + context.Request.QueryString).ToString() : rawTarget;
        byte[] message = Encoding.UTF8.GetBytes($"{context.Request.Method}\n{target}\n{timestamp}\n{nonce}\n{body}\n");
        return EcnyPlatformKey.Verify(merchant.PublicKey, message, signature) ? (merchant, "") : (null, "signature does not verify over " + target);
    }

    private static IResult Signed(EcnyAnswer answer, EcnyPlatformKey platform, TimeProvider time)
    {
        string timestamp = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(32);
        string signature = platform.Sign(timestamp, nonce, answer.Body);
        return new SignedResult(answer, platform.SerialNo, timestamp, nonce, signature);
    }

    internal static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/";

    private sealed class SignedResult(EcnyAnswer answer, string serial, string timestamp, string nonce, string signature) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = answer.Status;
            response.ContentType = answer.ContentType;
            response.Headers[SerialHeader] = serial;
            response.Headers[TimestampHeader] = timestamp;
            response.Headers[NonceHeader] = nonce;
            response.Headers[SignatureHeader] = signature;
            response.ContentLength = answer.Body.Length;
            await response.Body.WriteAsync(answer.Body, httpContext.RequestAborted);
        }
    }
}

/// <summary>One authenticated API call: the merchant, the body text, services and the base URL for payer links.</summary>
internal sealed class EcnyCall(HttpContext context, EcnyMerchant merchant, string body)
{
    public EcnyMerchant Merchant { get; } = merchant;

    public string BaseUrl { get; } = EcnySandbox.BaseUrl(context.Request);

    public T Get<T>()
        where T : notnull => context.RequestServices.GetRequiredService<T>();

    public string? Query(string name) => context.Request.Query.TryGetValue(name, out var value) ? value.ToString() : null;

    public T? Read<T>(JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, typeInfo);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>An answer before signing: status, exact body bytes (the signature covers them) and media type.</summary>
internal sealed record EcnyAnswer(int Status, byte[] Body, string ContentType)
{
    public static EcnyAnswer Json<T>(int status, T value, JsonTypeInfo<T> typeInfo) =>
        new(status, JsonSerializer.SerializeToUtf8Bytes(value, typeInfo), "application/json; charset=utf-8");

    public static EcnyAnswer Error(int status, string code, string message) =>
        Json(status, new EcnyErrorAnswer(code, message), EcnySandboxJson.Default.EcnyErrorAnswer);
}
