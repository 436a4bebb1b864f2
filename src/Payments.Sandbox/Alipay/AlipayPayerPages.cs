using System.Net.Mime;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Payments.Sandbox.PayerPage;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// Stands in for the payer: the Alipay app that scans a precreated QR code (<c>/alipay/qr/{token}</c>)
/// and the desktop cashier a page payment sends the browser to (<c>/gateway.do?method=alipay.trade.page.pay…</c>).
/// GET shows the page; POST with <c>{"decision":"approve"|"decline"}</c> decides. Opening a QR code is
/// scanning it: from then on Alipay has the trade (WAIT_BUYER_PAY). A decline is a failed payment
/// attempt; as at Alipay the trade stays payable until it expires.
/// </summary>
internal static class AlipayPayerPages
{
    private const string PagePayProductCode = "FAST_INSTANT_TRADE_PAY";

    public static void MapAlipayPayerPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/alipay/qr/{token}", (string token, AlipayTradeStore trades, AlipayExpiry expiry, TimeProvider time) =>
        {
            if (trades.FindByToken(token) is not { } trade)
            {
                return ErrorPage("TRADE_NOT_EXIST", "二维码不存在或已失效");
            }

            expiry.Refresh(trade);
            trade.Open(time.GetUtcNow());
            return Results.Content(TradePage(trade), "text/html; charset=utf-8");
        });
        app.MapPost("/alipay/qr/{token}", async (string token, HttpContext context, AlipayTradeStore trades) =>
            trades.FindByToken(token) is { } trade
                ? await DecideAsync(context, trade)
                : Error(StatusCodes.Status404NotFound, "ACQ.TRADE_NOT_EXIST", "交易不存在"));
    }

    /// <summary>
    /// The cashier behind a signed page.pay link: the link is checked as the gateway checks any request,
    /// the trade is recorded on first sight, and a JSON POST carries the payer's decision.
    /// </summary>
    public static async Task<IResult> CashierAsync(HttpContext context, IReadOnlyDictionary<string, string> parameters)
    {
        var request = context.Request;
        bool isDecision = request.Method == HttpMethods.Post && request.HasJsonContentType();
        var (app, failure) = AlipayGateway.Authenticate(context.RequestServices, parameters, checkClock: false);
        if (app is null)
        {
            var refusal = JsonDocument.Parse(failure!.Json).RootElement;
            var subCode = refusal.GetProperty("sub_code").GetString()!;
            var subMsg = refusal.GetProperty("sub_msg").GetString()!;
            return isDecision ? Error(StatusCodes.Status400BadRequest, subCode, subMsg) : ErrorPage(subCode, subMsg);
        }

        PagePayBiz? biz;
        try
        {
            biz = parameters.TryGetValue("biz_content", out var json) ? JsonSerializer.Deserialize(json, AlipayWireJson.Wire.PagePayBiz) : null;
        }
        catch (JsonException)
        {
            biz = null;
        }

        if (biz is null || biz.ProductCode != PagePayProductCode)
        {
            return Refuse(isDecision, "ACQ.INVALID_PARAMETER", "biz_content应为JSON对象，product_code为FAST_INSTANT_TRADE_PAY");
        }

        var (terms, outTradeNo, problem) = AlipayGateway.ReadTerms(parameters, biz.OutTradeNo, biz.TotalAmount, biz.Subject, biz.Body, biz.TimeExpire, PagePayProductCode);
        if (terms is null)
        {
            return Refuse(isDecision, "ACQ.INVALID_PARAMETER", problem!);
        }

        var services = context.RequestServices;
        var payUrl = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}";
        var token = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 24);
        var (trade, created) = services.GetRequiredService<AlipayTradeStore>().GetOrCreate(app.AppId, outTradeNo!, terms, token, payUrl);
        var expiry = services.GetRequiredService<AlipayExpiry>();
        if (created)
        {
            expiry.Track(trade);
        }
        else
        {
            expiry.Refresh(trade);
            if (trade.Terms != terms)
            {
                return Refuse(isDecision, "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改");
            }
        }

        return isDecision ? await DecideAsync(context, trade) : Results.Content(TradePage(trade), "text/html; charset=utf-8");
    }

    public static IResult ErrorPage(string code, string message) =>
        Results.Content(ApprovalPage.Html("支付宝 · 错误", $"<p class=\"error\">{HtmlEncoder.Default.Encode(code)}</p><p>{HtmlEncoder.Default.Encode(message)}</p>"), "text/html; charset=utf-8");

    private static async Task<IResult> DecideAsync(HttpContext context, AlipayTrade trade)
    {
        AlipayDecisionRequest? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync(AlipaySandboxJson.Default.AlipayDecisionRequest, context.RequestAborted);
        }
        catch (JsonException)
        {
            body = null;
        }

        bool approve;
        switch (body?.Decision)
        {
            case "approve":
                approve = true;
                break;
            case "decline":
                approve = false;
                break;
            default:
                return Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "decision must be \"approve\" or \"decline\"");
        }

        var services = context.RequestServices;
        services.GetRequiredService<AlipayExpiry>().Refresh(trade);
        var (outcome, notice) = trade.Decide(approve, body.Force ?? false, services.GetRequiredService<TimeProvider>().GetUtcNow());
        if (notice is not null)
        {
            services.GetRequiredService<AlipayNotifier>().Send(trade, notice);
        }

        return outcome switch
        {
            PayerOutcome.Paid or PayerOutcome.Declined => Results.Json(
                new AlipayDecisionResponse(trade.OutTradeNo, trade.Inspect().TradeStatus), AlipaySandboxJson.Default.AlipayDecisionResponse),
            PayerOutcome.Closed => Error(StatusCodes.Status409Conflict, "ACQ.TRADE_HAS_CLOSE", "交易已经关闭"),
            PayerOutcome.Expired => Error(StatusCodes.Status409Conflict, "TRADE_EXPIRED", "交易已超时"),
            _ => Error(StatusCodes.Status409Conflict, "ACQ.TRADE_HAS_SUCCESS", "交易已被支付"),
        };
    }

    private static IResult Refuse(bool isDecision, string code, string message) =>
        isDecision ? Error(StatusCodes.Status400BadRequest, code, message) : ErrorPage(code, message);

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new SandboxError(code, message), AlipaySandboxJson.Default.SandboxError, statusCode: status);

    private static string TradePage(AlipayTrade trade) =>
        ApprovalPage.Render("支付宝", AlipaySignatures.Yuan(trade.Terms.TotalFen), trade.Terms.Subject, trade.AppId, trade.OutTradeNo, "tradeStatus");
}
