using System.Net.Mime;
using System.Text.Encodings.Web;
using Payments.Sandbox.PayerPage;

namespace Payments.Sandbox.Ecny;

/// <summary>
/// Stands in for the payer's wallet: the dynamic QR code (<c>/ecny/qr/{token}</c>) scanned with the wallet app and
/// the link that opens the wallet app (<c>/ecny/wallet/{token}</c>). GET shows the order; POST with
/// <c>{"decision":"approve"|"decline"}</c> decides. A decline is final: the wallet refuses the payment and the order
/// fails (PAYMENT.FAILED), as a wallet does when the payer cancels or the balance is short.
/// </summary>
internal static class EcnyPayerPages
{
    public static void MapEcnyPayerPages(this IEndpointRouteBuilder app)
    {
        foreach (string prefix in new[] { "/ecny/qr/{token}", "/ecny/wallet/{token}" })
        {
            app.MapGet(prefix, (string token, EcnyStore store, EcnyExpiry expiry) =>
            {
                if (store.ByToken(token) is not { } order)
                {
                    return Results.Content(ApprovalPage.Html("订单不存在", "<p>Unknown payment code.</p>"), "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
                }

                expiry.Refresh(order);
                return Results.Content(OrderPage(order), "text/html; charset=utf-8");
            });
            app.MapPost(prefix, DecideAsync);
        }
    }

    private static async Task<IResult> DecideAsync(string token, HttpRequest request, EcnyStore store, EcnyExpiry expiry, EcnyNotifier notifier, TimeProvider time)
    {
        if (store.ByToken(token) is not { } order)
        {
            return Error(StatusCodes.Status404NotFound, "ORDER_NOT_EXIST", "订单不存在");
        }

        var (body, error) = await SandboxJson.ReadAsync(request, EcnySandboxJson.Default.EcnyDecisionRequest);
        if (body?.Decision is not ("approve" or "decline"))
        {
            return Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", error ?? "decision must be \"approve\" or \"decline\"");
        }

        expiry.Refresh(order);
        lock (order.Gate)
        {
            switch (order.Status)
            {
                case "CLOSED":
                    return Error(StatusCodes.Status409Conflict, "ORDER_CLOSED", "订单已关闭");
                case "FAILED":
                    return Error(StatusCodes.Status409Conflict, "ORDER_FAILED", "订单支付失败");
                case "SUCCESS" or "REFUND":
                    return Error(StatusCodes.Status409Conflict, "ORDER_PAID", "订单已支付");
            }

            if (body.Decision == "approve")
            {
                order.Status = "SUCCESS";
                order.PaidAt = time.GetUtcNow();
                notifier.Send(order, "PAYMENT.SUCCESS");
            }
            else
            {
                order.Status = "FAILED";
                order.FailCode = "PAYER_DECLINED";
                order.FailMessage = "付款方取消支付";
                notifier.Send(order, "PAYMENT.FAILED");
            }

            return Results.Json(new EcnyDecisionResponse(order.OutTradeNo, order.Status), EcnySandboxJson.Default.EcnyDecisionResponse);
        }
    }

    private static IResult Error(int status, string code, string message) =>
        Results.Json(new SandboxError(code, message), EcnySandboxJson.Default.SandboxError, statusCode: status);

    private static string OrderPage(EcnyOrderState order) =>
        ApprovalPage.Render(
            "数字人民币", (order.Amount / 100m).ToString("F2", System.Globalization.CultureInfo.InvariantCulture), order.Subject, order.Merchant.MerchantNo, order.OutTradeNo, "status");
}
