using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.Card;

/// <summary>
/// The card acquirer simulator: merchant onboarding, the session/refund/report API (API key in
/// <c>X-API-Key</c>), the hosted payment page with its 3-D Secure challenge, expiry and webhooks.
/// </summary>
internal static class CardSandbox
{
    private const string ApiKeyHeader = "X-API-Key";

    public static IServiceCollection AddCardSandbox(this IServiceCollection services)
    {
        services.AddSingleton<CardStore>();
        services.AddSingleton<CardNotifier>();
        services.AddSingleton<CardExpiry>();
        services.AddSingleton<CardStatementSource>();
        services.AddSingleton<IStatementSource>(sp => sp.GetRequiredService<CardStatementSource>());
        services.AddHttpClient(CardNotifier.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    public static void MapCardSandbox(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sandbox/card/merchants", RegisterAsync);
        app.MapGet("/sandbox/card/sessions/{reference}", (string reference, CardStore store, CardExpiry expiry) =>
        {
            if (store.AnyByReference(reference) is not { } session)
            {
                return Error(StatusCodes.Status404NotFound, "not_found", "no such session");
            }

            expiry.Refresh(session);
            return Results.Json(session.Inspect(), CardSandboxJson.Default.CardSessionInspection);
        });

        app.MapPost("/card/v1/sessions", CreateSessionAsync);
        app.MapGet("/card/v1/sessions/{reference}", QuerySessionAsync);
        app.MapPost("/card/v1/sessions/{reference}/cancel", CancelSessionAsync);
        app.MapPost("/card/v1/refunds", RefundAsync);
        app.MapGet("/card/v1/refunds/{reference}", QueryRefundAsync);
        app.MapGet("/card/v1/reports/settlement", ReportAsync);
        app.MapCardHostedPage();
    }

    internal static IResult Error(int status, string code, string message) =>
        Results.Json(new CardErrorAnswer(code, message), CardSandboxJson.Default.CardErrorAnswer, statusCode: status);

    private static async Task<IResult> RegisterAsync(HttpRequest request, CardStore store)
    {
        var (body, error) = await SandboxJson.ReadAsync(request, CardSandboxJson.Default.CardMerchantRegistration);
        if (body is null)
        {
            return Error(StatusCodes.Status400BadRequest, "validation", error!);
        }

        string account = body.MerchantAccount ?? "MerchantAccount" + RandomNumberGenerator.GetHexString(8);
        if (account.Length is 0 or > 64 || !account.All(char.IsAsciiLetterOrDigit))
        {
            return Error(StatusCodes.Status400BadRequest, "validation", "merchantAccount must be 1 to 64 letters or digits");
        }

        var merchant = store.Register(account, body.ChannelAccountId);
        return Results.Json(
            new CardMerchantRegistered(merchant.MerchantAccount, merchant.ApiKey, merchant.HmacKeyHex, BaseUrl(request)),
            CardSandboxJson.Default.CardMerchantRegistered);
    }

    private static Task<IResult> CreateSessionAsync(HttpContext context, CardStore store, CardExpiry expiry, TimeProvider time) =>
        WithFaultsAsync(context, FaultNames.Create, async () =>
        {
            var (body, error) = await SandboxJson.ReadAsync(context.Request, CardSandboxJson.Default.CardSessionCreate);
            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "validation", error!);
            }

            if (Authenticate(context, store, body.MerchantAccount) is not { } merchant)
            {
                return Unauthorized();
            }

            if (body.Reference is not { Length: > 0 and <= 64 } reference
                || body.Amount is not { Value: > 0, Currency: { Length: 3 } }
                || body.ExpiresAt is not { } expiresAt
                || !Uri.TryCreate(body.NotifyUrl, UriKind.Absolute, out var notifyUrl) || notifyUrl.Scheme is not ("http" or "https"))
            {
                return Error(StatusCodes.Status422UnprocessableEntity, "validation", "reference, amount (value > 0, currency), expiresAt and an absolute notifyUrl are required");
            }

            var (session, created) = store.GetOrAdd(merchant, reference, () =>
                new CardSessionState("cs_" + RandomNumberGenerator.GetHexString(24, lowercase: true), merchant, reference, body.Amount, body.Description ?? "", expiresAt, notifyUrl.AbsoluteUri));
            if (created)
            {
                expiry.Track(session);
            }

            expiry.Refresh(session);
            lock (session.Gate)
            {
                if (session.Amount != body.Amount)
                {
                    return Error(StatusCodes.Status422UnprocessableEntity, "reference_conflict", "the reference was opened with another amount");
                }

                if (!created)
                {
                    session.CreateCalls++;
                }

                return Results.Json(session.Answer(BaseUrl(context.Request)), CardSandboxJson.Default.CardSessionAnswer, statusCode: StatusCodes.Status201Created);
            }
        });

    private static Task<IResult> QuerySessionAsync(HttpContext context, string reference, string? merchantAccount, CardStore store, CardExpiry expiry) =>
        WithFaultsAsync(context, FaultNames.Query, () =>
        {
            if (Authenticate(context, store, merchantAccount) is not { } merchant)
            {
                return Task.FromResult(Unauthorized());
            }

            if (store.ByReference(merchant.MerchantAccount, reference) is not { } session)
            {
                return Task.FromResult(Error(StatusCodes.Status404NotFound, "not_found", "no such session"));
            }

            expiry.Refresh(session);
            lock (session.Gate)
            {
                return Task.FromResult(Results.Json(session.Answer(BaseUrl(context.Request)), CardSandboxJson.Default.CardSessionAnswer));
            }
        });

    private static Task<IResult> CancelSessionAsync(HttpContext context, string reference, CardStore store, CardExpiry expiry, CardNotifier notifier) =>
        WithFaultsAsync(context, FaultNames.Close, async () =>
        {
            var (body, error) = await SandboxJson.ReadAsync(context.Request, CardSandboxJson.Default.CardMerchantOnly);
            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "validation", error!);
            }

            if (Authenticate(context, store, body.MerchantAccount) is not { } merchant)
            {
                return Unauthorized();
            }

            if (store.ByReference(merchant.MerchantAccount, reference) is not { } session)
            {
                return Error(StatusCodes.Status404NotFound, "not_found", "no such session");
            }

            expiry.Refresh(session);
            lock (session.Gate)
            {
                session.CancelCalls++;
                if (session.Status == "pending")
                {
                    session.Status = "cancelled";
                    notifier.Send(session, "CANCELLATION", success: true, reason: null);
                }

                // Cancelling what is already closed is harmless; an authorised session needs a refund instead.
                return session.Status is "cancelled" or "expired" or "refused"
                    ? Results.Json(session.Answer(BaseUrl(context.Request)), CardSandboxJson.Default.CardSessionAnswer)
                    : Error(StatusCodes.Status422UnprocessableEntity, "not_cancellable", $"the session is {session.Status}");
            }
        });

    private static Task<IResult> RefundAsync(HttpContext context, CardStore store, CardNotifier notifier, TimeProvider time) =>
        WithFaultsAsync(context, FaultNames.Refund, async () =>
        {
            var (body, error) = await SandboxJson.ReadAsync(context.Request, CardSandboxJson.Default.CardRefundCreate);
            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "validation", error!);
            }

            if (Authenticate(context, store, body.MerchantAccount) is not { } merchant)
            {
                return Unauthorized();
            }

            if (body.Reference is not { Length: > 0 and <= 64 } reference || body.PaymentReference is not { Length: > 0 } paymentReference || body.Amount is not { Value: > 0 } amount)
            {
                return Error(StatusCodes.Status422UnprocessableEntity, "validation", "reference, paymentReference and a positive amount are required");
            }

            if (store.ByReference(merchant.MerchantAccount, paymentReference) is not { } session)
            {
                return Error(StatusCodes.Status422UnprocessableEntity, "not_found", "no such payment");
            }

            if (!store.ClaimRefund(merchant.MerchantAccount, reference, session))
            {
                return Error(StatusCodes.Status422UnprocessableEntity, "reference_conflict", "the refund reference belongs to another payment");
            }

            lock (session.Gate)
            {
                if (session.Refunds.Find(r => r.Reference == reference) is { } existing)
                {
                    return existing.Amount == amount
                        ? Results.Json(existing, CardSandboxJson.Default.CardRefundAnswer, statusCode: StatusCodes.Status201Created)
                        : Error(StatusCodes.Status422UnprocessableEntity, "reference_conflict", "the refund reference was used with another amount");
                }

                if (session.Status != "authorised")
                {
                    return Error(StatusCodes.Status422UnprocessableEntity, "not_refundable", $"the payment is {session.Status}");
                }

                if (amount.Currency != session.Amount.Currency)
                {
                    return Error(StatusCodes.Status422UnprocessableEntity, "currency_mismatch", "refund currency differs from the payment's");
                }

                if (session.Refunds.Sum(r => r.Amount.Value) + amount.Value > session.Amount.Value)
                {
                    return Error(StatusCodes.Status422UnprocessableEntity, "exceeds_amount", "refunds would exceed the authorised amount");
                }

                var refund = new CardRefundAnswer(reference, paymentReference, "succeeded", amount, "RFD" + RandomNumberGenerator.GetHexString(16), time.GetUtcNow(), null);
                session.Refunds.Add(refund);
                notifier.Send(session, "REFUND", success: true, reason: null, refundReference: reference, amount: amount);
                return Results.Json(refund, CardSandboxJson.Default.CardRefundAnswer, statusCode: StatusCodes.Status201Created);
            }
        });

    private static Task<IResult> QueryRefundAsync(HttpContext context, string reference, string? merchantAccount, CardStore store) =>
        WithFaultsAsync(context, FaultNames.RefundQuery, () =>
        {
            if (Authenticate(context, store, merchantAccount) is not { } merchant)
            {
                return Task.FromResult(Unauthorized());
            }

            var session = store.SessionOfRefund(merchant.MerchantAccount, reference);
            CardRefundAnswer? refund = null;
            if (session is not null)
            {
                lock (session.Gate)
                {
                    refund = session.Refunds.Find(r => r.Reference == reference);
                }
            }

            return Task.FromResult(refund is null
                ? Error(StatusCodes.Status404NotFound, "not_found", "no such refund")
                : Results.Json(refund, CardSandboxJson.Default.CardRefundAnswer));
        });

    /// <summary>
    /// The settlement details report of a booking day, built from the acquirer's records now (today included) with
    /// the sandbox's statement mutations applied. A day without records is a report of none; a day that has not
    /// begun has no report.
    /// </summary>
    private static Task<IResult> ReportAsync(
        HttpContext context, string? merchantAccount, string? date, CardStore store, CardStatementSource source, StatementMutationStore mutations, TimeProvider time) =>
        WithFaultsAsync(context, FaultNames.Statement, () =>
        {
            if (Authenticate(context, store, merchantAccount) is not { } merchant)
            {
                return Task.FromResult(Unauthorized());
            }

            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return Task.FromResult(Error(StatusCodes.Status400BadRequest, "validation", "date must be yyyy-MM-dd"));
            }

            if (day > source.DayOf(time.GetUtcNow()))
            {
                return Task.FromResult(Error(StatusCodes.Status404NotFound, "not_found", "no report for that day"));
            }

            var entries = StatementBuilder.Build(source, mutations, merchant.MerchantAccount, day);
            return Task.FromResult(Results.Bytes(source.Render(merchant.MerchantAccount, entries), source.MediaType));
        });

    internal static string Major(long minor, string currency) => currency is "JPY" or "KRW" or "VND" or "CLP" or "ISK"
        ? minor.ToString(CultureInfo.InvariantCulture)
        : (minor / 100m).ToString("F2", CultureInfo.InvariantCulture);

    private static CardMerchant? Authenticate(HttpContext context, CardStore store, string? merchantAccount) =>
        merchantAccount is not null && store.Merchant(merchantAccount) is { } merchant
        && context.Request.Headers[ApiKeyHeader].ToString() is { Length: > 0 } key
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(merchant.ApiKey))
            ? merchant
            : null;

    private static IResult Unauthorized() => Error(StatusCodes.Status401Unauthorized, "unauthorized", "unknown merchant account or wrong API key");

    internal static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/";

    /// <summary>Error answers before acting; delay waits before acting; timeout acts and withholds the answer.</summary>
    private static async Task<IResult> WithFaultsAsync(HttpContext context, string operation, Func<Task<IResult>> act)
    {
        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var fault = services.GetRequiredService<FaultRegistry>().TryConsume(FaultNames.Card, operation);
        if (fault?.Mode == FaultMode.Error)
        {
            return Error(StatusCodes.Status500InternalServerError, "internal_error", "injected fault");
        }

        if (fault?.Mode == FaultMode.Delay && !await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted))
        {
            return Results.Empty;
        }

        var answer = await act();
        if (fault?.Mode == FaultMode.Timeout)
        {
            await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted);
            return Results.Empty;
        }

        return answer;
    }
}
