using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Payments.Sandbox.WeChatPay;

/// <summary>Body of <c>POST /sandbox/wechatpay/merchants</c>: what a merchant sets up in the merchant platform;
/// <c>channelAccountId</c> (optional, sandbox only) is our channel account id, by which statement routes may name it.</summary>
internal sealed record MerchantRegistration(string? MchId, string? MerchantSerialNo, string? MerchantPublicKeyPem, string? ApiV3Key, string? ChannelAccountId = null);

internal sealed record MerchantRegistered(string PlatformSerialNo, string PlatformPublicKeyPem);

/// <summary>Body of <c>POST /sandbox/wechatpay/refunds/{outRefundNo}/settle</c>.</summary>
internal sealed record RefundSettleRequest(string? Status);

/// <summary>Sandbox-only endpoints around the channel: onboarding, inspection and the refund settle hook.</summary>
internal static class WeChatPaySandbox
{
    private const int ApiV3KeyLength = 32;
    private const int MinimumKeySize = 2048;

    public static IServiceCollection AddWeChatPaySandbox(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PlatformCertificate>();
        services.AddSingleton<MerchantRegistry>();
        services.AddSingleton<OrderStore>();
        services.AddSingleton<RequestAuthenticator>();
        services.AddSingleton(sp => NotifySchedule.Parse(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        services.AddSingleton<RefundSettler>();
        services.AddHostedService(sp => sp.GetRequiredService<RefundSettler>());

        // The dispatcher enforces the acknowledgement deadline itself, on the injected clock.
        services.AddHttpClient(NotificationDispatcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    public static void MapWeChatPaySandbox(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sandbox/wechatpay/merchants", RegisterAsync);
        app.MapGet("/sandbox/wechatpay/orders/{outTradeNo}", (string outTradeNo, string? mchid, OrderStore orders) =>
        {
            var order = mchid is null ? orders.FindAny(outTradeNo) : orders.Find(mchid, outTradeNo);
            return order is null
                ? SandboxJson.Error(StatusCodes.Status404NotFound, "ORDER_NOT_EXIST", "订单不存在")
                : Results.Json(order.Inspect(), SandboxJsonContext.Default.OrderInspection);
        });
        app.MapGet("/sandbox/wechatpay/refunds/{outRefundNo}", (string outRefundNo, string? mchid, OrderStore orders) =>
            FindRefundOwner(orders, outRefundNo, mchid)?.InspectRefund(outRefundNo) is { } refund
                ? Results.Json(refund, SandboxJsonContext.Default.RefundInspection)
                : RefundNotFound());
        app.MapPost("/sandbox/wechatpay/refunds/{outRefundNo}/settle", SettleRefundAsync);
    }

    /// <summary>
    /// Test hook: settles a PROCESSING refund now, as SUCCESS, CLOSED or ABNORMAL, and notifies the
    /// merchant, whatever <c>Sandbox:RefundSettleSeconds</c> says. SUCCESS also settles an ABNORMAL refund
    /// (the merchant re-applied it to another account).
    /// </summary>
    private static async Task<IResult> SettleRefundAsync(
        string outRefundNo, string? mchid, HttpRequest request, OrderStore orders, RefundSettler settler)
    {
        var (body, error) = await SandboxJson.ReadAsync(request, SandboxJsonContext.Default.RefundSettleRequest);
        if (body is null)
        {
            return Invalid(error!);
        }

        RefundStatus status;
        switch (body.Status)
        {
            case "SUCCESS":
                status = RefundStatus.Success;
                break;
            case "CLOSED":
                status = RefundStatus.Closed;
                break;
            case "ABNORMAL":
                status = RefundStatus.Abnormal;
                break;
            default:
                return Invalid("status must be \"SUCCESS\", \"CLOSED\" or \"ABNORMAL\"");
        }

        var order = FindRefundOwner(orders, outRefundNo, mchid);
        var outcome = order is null ? RefundSettleOutcome.NotFound : settler.Settle(order, outRefundNo, status);
        return outcome switch
        {
            RefundSettleOutcome.Settled => Results.Json(order!.InspectRefund(outRefundNo)!, SandboxJsonContext.Default.RefundInspection),
            RefundSettleOutcome.NotProcessing => SandboxJson.Error(
                StatusCodes.Status409Conflict, "REFUND_NOT_PROCESSING", "the refund is already " + order!.InspectRefund(outRefundNo)!.Status),
            _ => RefundNotFound(),
        };
    }

    private static Order? FindRefundOwner(OrderStore orders, string outRefundNo, string? mchid) =>
        mchid is null ? orders.FindAnyRefundOwner(outRefundNo) : orders.FindRefundOwner(mchid, outRefundNo);

    private static IResult RefundNotFound() =>
        SandboxJson.Error(StatusCodes.Status404NotFound, "RESOURCE_NOT_EXISTS", "退款单不存在");

    private static async Task<IResult> RegisterAsync(
        HttpRequest request, MerchantRegistry merchants, PlatformCertificate platform)
    {
        var (body, error) = await SandboxJson.ReadAsync(request, SandboxJsonContext.Default.MerchantRegistration);
        if (body is null)
        {
            return Invalid(error!);
        }

        if (string.IsNullOrWhiteSpace(body.MchId))
        {
            return Invalid("mchId is required");
        }

        if (string.IsNullOrWhiteSpace(body.MerchantSerialNo))
        {
            return Invalid("merchantSerialNo is required");
        }

        // The channel derives AES-256 keys from these bytes, hence exactly 32 ASCII characters.
        if (body.ApiV3Key is not { Length: ApiV3KeyLength } apiV3Key || !Ascii.IsValid(apiV3Key))
        {
            return Invalid("apiV3Key must be exactly 32 ASCII characters");
        }

        if (!TryReadPublicKey(body.MerchantPublicKeyPem, out var publicKey, out var keyError))
        {
            return Invalid(keyError);
        }

        merchants.Register(body.MchId, body.MerchantSerialNo, publicKey, apiV3Key);
        if (body.ChannelAccountId is { Length: > 0 } channelAccountId)
        {
            merchants.LinkChannelAccount(channelAccountId, body.MchId);
        }

        return Results.Json(
            new MerchantRegistered(platform.SerialNo, platform.PublicKeyPem),
            SandboxJsonContext.Default.MerchantRegistered);
    }

    /// <summary>Accepts a public key PEM or, like the merchant platform, the API certificate itself.</summary>
    private static bool TryReadPublicKey(string? pem, out byte[] subjectPublicKeyInfo, out string error)
    {
        subjectPublicKeyInfo = [];
        error = "merchantPublicKeyPem must be an RSA public key or certificate in PEM";
        if (string.IsNullOrWhiteSpace(pem))
        {
            return false;
        }

        try
        {
            using var rsa = ReadRsa(pem);
            if (rsa is null)
            {
                return false;
            }

            if (rsa.KeySize < MinimumKeySize)
            {
                error = $"merchant key must be at least {MinimumKeySize} bits";
                return false;
            }

            subjectPublicKeyInfo = rsa.ExportSubjectPublicKeyInfo();
            return true;
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static RSA? ReadRsa(string pem)
    {
        if (pem.Contains("CERTIFICATE", StringComparison.Ordinal))
        {
            using var certificate = X509Certificate2.CreateFromPem(pem);
            return certificate.GetRSAPublicKey();
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return rsa;
        }
        catch
        {
            rsa.Dispose();
            throw;
        }
    }

    private static IResult Invalid(string message) => SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", message);
}
