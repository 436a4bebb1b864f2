using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Payments.Sandbox.Alipay;

/// <summary>The Alipay gateway simulator: services, onboarding, inspection, gateway and payer pages.</summary>
internal static class AlipaySandbox
{
    private const int MinimumKeySize = 2048;

    public static IServiceCollection AddAlipaySandbox(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AlipayKey>();
        services.AddSingleton<AlipayAppRegistry>();
        services.AddSingleton<AlipayTradeStore>();
        services.AddSingleton<AlipayNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<AlipayNotifier>());
        services.AddSingleton<AlipayExpiry>();
        services.AddHostedService(sp => sp.GetRequiredService<AlipayExpiry>());
        services.AddSingleton<AlipayStatementSource>();
        services.AddSingleton<Statements.IStatementSource>(sp => sp.GetRequiredService<AlipayStatementSource>());
        services.AddSingleton<AlipayBillDownloads>();

        // The notifier enforces the acknowledgement deadline itself, on the injected clock.
        services.AddHttpClient(AlipayNotifier.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    public static void MapAlipaySandbox(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sandbox/alipay/apps", RegisterAsync);
        app.MapGet("/sandbox/alipay/trades/{outTradeNo}", (string outTradeNo, string? appId, AlipayTradeStore trades, AlipayExpiry expiry) =>
        {
            var trade = appId is null ? trades.FindAny(outTradeNo) : trades.Find(appId, outTradeNo);
            if (trade is null)
            {
                return Results.Json(new SandboxError("ACQ.TRADE_NOT_EXIST", "交易不存在"), AlipaySandboxJson.Default.SandboxError, statusCode: StatusCodes.Status404NotFound);
            }

            expiry.Refresh(trade);
            return Results.Json(trade.Inspect(), AlipaySandboxJson.Default.AlipayTradeInspection);
        });
        app.MapAlipayGateway();
        app.MapAlipayPayerPages();
    }

    /// <summary>
    /// Creates (or re-keys) an app, as the open platform does: the developer uploads the application
    /// public key and gets the app id and Alipay's public key. Without a key, the sandbox generates
    /// the pair and hands back the private half too, as Alipay's own sandbox console does.
    /// </summary>
    private static async Task<IResult> RegisterAsync(HttpRequest request, AlipayAppRegistry apps, AlipayKey alipayKey)
    {
        AlipayAppRegistration? body;
        try
        {
            body = await request.ReadFromJsonAsync(AlipaySandboxJson.Default.AlipayAppRegistration, request.HttpContext.RequestAborted);
        }
        catch (System.Text.Json.JsonException ex)
        {
            return Invalid("malformed JSON: " + ex.Message);
        }

        if (body is null)
        {
            return Invalid("body must be a JSON object");
        }

        var appId = body.AppId ?? "2021" + RandomNumberGenerator.GetString("0123456789", 12);
        if (appId.Length is 0 or > 32 || !appId.All(char.IsAsciiLetterOrDigit))
        {
            return Invalid("appId must be 1 to 32 letters or digits");
        }

        string? privateKeyPem = null;
        byte[] publicKey;
        if (body.AppPublicKeyPem is null)
        {
            using var generated = RSA.Create(MinimumKeySize);
            privateKeyPem = generated.ExportPkcs8PrivateKeyPem();
            publicKey = generated.ExportSubjectPublicKeyInfo();
        }
        else if (!TryReadPublicKey(body.AppPublicKeyPem, out publicKey, out var error))
        {
            return Invalid(error);
        }

        apps.Register(appId, publicKey, body.ChannelAccountId);
        return Results.Json(
            new AlipayAppRegistered(appId, alipayKey.PublicKeyPem, privateKeyPem, $"{request.Scheme}://{request.Host}{request.PathBase}{AlipayGateway.Path}"),
            AlipaySandboxJson.Default.AlipayAppRegistered);
    }

    private static bool TryReadPublicKey(string pem, out byte[] subjectPublicKeyInfo, out string error)
    {
        subjectPublicKeyInfo = [];
        error = "appPublicKeyPem must be an RSA public key in PEM";
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return false;
        }

        if (rsa.KeySize < MinimumKeySize)
        {
            error = $"application key must be at least {MinimumKeySize} bits";
            return false;
        }

        // A private key pasted here would work, but it must never be uploaded: refuse it.
        try
        {
            rsa.ExportParameters(includePrivateParameters: true);
            error = "appPublicKeyPem holds a private key; upload only the public key";
            return false;
        }
        catch (CryptographicException)
        {
            subjectPublicKeyInfo = rsa.ExportSubjectPublicKeyInfo();
            return true;
        }
    }

    private static IResult Invalid(string message) =>
        Results.Json(new SandboxError("PARAM_ERROR", message), AlipaySandboxJson.Default.SandboxError, statusCode: StatusCodes.Status400BadRequest);
}
