using System.Globalization;
using Payments.Sandbox.WeChatPay;

namespace Payments.Sandbox.PayerPage;

/// <summary>
/// Body of <c>POST /pay/wechatpay/{token}</c>. Test hooks: <c>Force</c> with an approval pays even a
/// closed or expired order ("payer paid after we gave up"); <c>Duplicate</c> with an approval pays an
/// already paid order a second time ("payer paid twice"): a new transaction_id for the same
/// out_trade_no and amount, notified with TRANSACTION.SUCCESS like the first, refundable by its
/// transaction_id. A duplicate of an unpaid order is 409 ORDER_NOT_PAID.
/// </summary>
internal sealed record PayerDecisionRequest(string? Decision, bool? Force, int? NotifyTotal, bool? Duplicate);

/// <param name="TransactionId">The transaction the decision made, when it made one.</param>
internal sealed record PayerDecisionResponse(string OutTradeNo, string TradeState, string? TransactionId = null);

/// <summary>
/// Stands in for the WeChat app the payer scans the QR code with: the code_url leads here, and the
/// payer's decision drives the order.
/// </summary>
internal static class PayerPageEndpoints
{
    public static void MapWeChatPayPayerPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/pay/wechatpay/{token}", (string token, OrderStore orders) =>
        {
            var order = orders.FindByToken(token);
            return order is null
                ? Results.Content(ApprovalPage.Html("订单不存在", "<p>Unknown or expired payment code.</p>"), "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound)
                : Results.Content(OrderPage(order), "text/html; charset=utf-8");
        });
        app.MapPost("/pay/wechatpay/{token}", DecideAsync);
    }

    private static async Task<IResult> DecideAsync(
        string token, HttpRequest request, OrderStore orders, NotificationDispatcher notifier, TimeProvider time)
    {
        var order = orders.FindByToken(token);
        if (order is null)
        {
            return SandboxJson.Error(StatusCodes.Status404NotFound, "ORDER_NOT_EXIST", "订单不存在");
        }

        var (body, error) = await SandboxJson.ReadAsync(request, SandboxJsonContext.Default.PayerDecisionRequest);
        if (body is null)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", error);
        }

        bool approve;
        switch (body.Decision)
        {
            case "approve":
                approve = true;
                break;
            case "decline":
                approve = false;
                break;
            default:
                return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "decision must be \"approve\" or \"decline\"");
        }

        if (body.Duplicate == true && !approve)
        {
            return SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", "duplicate needs decision \"approve\"");
        }

        var (outcome, paid) = body.Duplicate == true
            ? order.PayAgain(time.GetUtcNow())
            : order.Decide(approve, body.Force ?? false, time.GetUtcNow());
        if (paid is not null)
        {
            // NotifyTotal (test hook): the notification reports another amount than the order's, as a
            // broken or forged channel message would. Queries keep telling the truth.
            notifier.PaymentSucceeded(order, body.NotifyTotal is int total && approve
                ? paid with { Amount = paid.Amount with { Total = total, PayerTotal = total } }
                : paid);
        }

        return outcome switch
        {
            DecisionOutcome.Approved or DecisionOutcome.Declined => Results.Json(
                new PayerDecisionResponse(order.OutTradeNo, order.Inspect().TradeState, paid?.TransactionId),
                SandboxJsonContext.Default.PayerDecisionResponse),
            DecisionOutcome.OrderClosed => Conflict("ORDER_CLOSED", "订单已关闭"),
            DecisionOutcome.OrderExpired => Conflict("ORDER_EXPIRED", "订单已过期"),
            DecisionOutcome.NotPaidYet => Conflict("ORDER_NOT_PAID", "订单尚未支付"),
            _ => Conflict("ALREADY_DECIDED", "订单已支付或已失败"),
        };
    }

    private static IResult Conflict(string code, string message) =>
        SandboxJson.Error(StatusCodes.Status409Conflict, code, message);

    private static string OrderPage(Order order) =>
        ApprovalPage.Render(
            "微信支付", (order.Terms.Total / 100m).ToString("0.00", CultureInfo.InvariantCulture), order.Terms.Description, order.MchId, order.OutTradeNo, "tradeState");
}
