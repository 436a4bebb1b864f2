using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Shared;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.Transfer;

/// <summary>
/// The bank simulator for transfers to a reference: corporate onboarding, the collections API (HMAC-signed requests,
/// see <see cref="TransferSignatures"/>), the payer instruction page that stands in for the payer's own bank, expiry,
/// signed notifications with retries, refunds and the daily account statement.
/// </summary>
internal static class TransferSandbox
{
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    public static IServiceCollection AddTransferSandbox(this IServiceCollection services)
    {
        services.AddSingleton<TransferStore>();
        services.AddSingleton<TransferNotifier>();
        services.AddSingleton<TransferExpiry>();
        services.AddSingleton<TransferStatementSource>();
        services.AddSingleton<IStatementSource>(sp => sp.GetRequiredService<TransferStatementSource>());
        services.AddHttpClient(TransferNotifier.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan);
        return services;
    }

    public static void MapTransferSandbox(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sandbox/transfer/merchants", RegisterAsync);
        app.MapGet("/sandbox/transfer/collections/{merchantRef}", (string merchantRef, TransferStore store, TransferExpiry expiry) =>
        {
            if (store.AnyByReference(merchantRef) is not { } collection)
            {
                return Error(StatusCodes.Status404NotFound, "NOT_FOUND", "no such collection");
            }

            expiry.Refresh(collection);
            return Results.Json(collection.Inspect(), TransferSandboxJson.Default.TransferCollectionInspection);
        });

        app.MapPost("/transfer/v1/collections", CreateAsync);
        app.MapGet("/transfer/v1/collections/{merchantRef}", QueryAsync);
        app.MapPost("/transfer/v1/collections/{merchantRef}/close", CloseAsync);
        app.MapPost("/transfer/v1/refunds", RefundAsync);
        app.MapGet("/transfer/v1/refunds/{refundRef}", QueryRefundAsync);
        app.MapGet("/transfer/v1/statements", StatementAsync);
        app.MapTransferPayerPage();
    }

    internal static IResult Error(int status, string code, string message) =>
        Results.Json(new TransferErrorAnswer(code, message), TransferSandboxJson.Default.TransferErrorAnswer, statusCode: status);

    internal static string BaseUrl(HttpRequest request) => $"{request.Scheme}://{request.Host}{request.PathBase}/";

    private static async Task<IResult> RegisterAsync(HttpRequest request, TransferStore store)
    {
        var (body, error) = await SandboxJson.ReadAsync(request, TransferSandboxJson.Default.TransferMerchantRegistration);
        if (body is null)
        {
            return Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", error!);
        }

        string corporateId = body.CorporateId ?? "CORP" + RandomNumberGenerator.GetHexString(10);
        if (corporateId.Length is 0 or > 32 || !corporateId.All(char.IsAsciiLetterOrDigit))
        {
            return Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "corporateId must be 1 to 32 letters or digits");
        }

        var merchant = store.Register(corporateId, body.ChannelAccountId);
        return Results.Json(
            new TransferMerchantRegistered(merchant.CorporateId, merchant.ApiKeyHex, merchant.NotifyKeyHex, BaseUrl(request)),
            TransferSandboxJson.Default.TransferMerchantRegistered);
    }

    private static Task<IResult> CreateAsync(HttpContext context, TransferStore store, TransferExpiry expiry) =>
        SignedAsync(context, FaultNames.Create, TransferSandboxJson.Default.TransferCollectionCreate, (merchant, body) =>
        {
            if (body.MerchantRef is not { Length: > 0 and <= 64 } merchantRef
                || body.Amount is not > 0 || body.Currency != "CNY"
                || body.ExpiresAt is not { } expiresAt
                || !Uri.TryCreate(body.NotifyUrl, UriKind.Absolute, out var notifyUrl) || notifyUrl.Scheme is not ("http" or "https"))
            {
                return Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "merchantRef, a positive amount in fen, currency CNY, expiresAt and an absolute notifyUrl are required");
            }

            var (collection, created) = store.GetOrAdd(merchant, merchantRef, () => new TransferCollectionState(
                "COL" + RandomNumberGenerator.GetHexString(20), merchant, merchantRef, body.Amount.Value, body.Currency, body.Remark ?? "", expiresAt, notifyUrl.AbsoluteUri,
                "9558" + RandomNumberGenerator.GetString("0123456789", 16), RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 10)));
            if (created)
            {
                expiry.Track(collection);
            }

            expiry.Refresh(collection);
            lock (collection.Gate)
            {
                if (collection.AmountDue != body.Amount)
                {
                    return Error(StatusCodes.Status409Conflict, "REFERENCE_CONFLICT", "the merchantRef was allocated with another amount");
                }

                if (!created)
                {
                    collection.CreateCalls++;
                }

                return Results.Json(collection.Answer(BaseUrl(context.Request)), TransferSandboxJson.Default.TransferCollectionAnswer, statusCode: StatusCodes.Status201Created);
            }
        });

    private static Task<IResult> QueryAsync(HttpContext context, string merchantRef, TransferStore store, TransferExpiry expiry) =>
        SignedAsync(context, FaultNames.Query, merchant =>
        {
            if (store.ByReference(merchant.CorporateId, merchantRef) is not { } collection)
            {
                return Error(StatusCodes.Status404NotFound, "NOT_FOUND", "no such collection");
            }

            expiry.Refresh(collection);
            lock (collection.Gate)
            {
                return Results.Json(collection.Answer(BaseUrl(context.Request)), TransferSandboxJson.Default.TransferCollectionAnswer);
            }
        });

    private static Task<IResult> CloseAsync(HttpContext context, string merchantRef, TransferStore store, TransferExpiry expiry, TransferNotifier notifier, TimeProvider time) =>
        SignedAsync(context, FaultNames.Close, merchant =>
        {
            if (store.ByReference(merchant.CorporateId, merchantRef) is not { } collection)
            {
                return Error(StatusCodes.Status404NotFound, "NOT_FOUND", "no such collection");
            }

            expiry.Refresh(collection);
            lock (collection.Gate)
            {
                collection.CloseCalls++;
                if (collection.TakesCredits)
                {
                    // A partly paid reference closes too: what it holds stays with the bank for the merchant to refund.
                    collection.Status = TransferCollectionState.Closed;
                    collection.ClosedAt = time.GetUtcNow();
                    notifier.Send(collection, "COLLECTION_CLOSED");
                }

                return collection.Status == TransferCollectionState.Paid
                    ? Error(StatusCodes.Status409Conflict, "ALREADY_PAID", "the reference is paid in full; refund instead")
                    : Results.Json(collection.Answer(BaseUrl(context.Request)), TransferSandboxJson.Default.TransferCollectionAnswer);
            }
        });

    private static Task<IResult> RefundAsync(HttpContext context, TransferStore store, TransferNotifier notifier, TimeProvider time) =>
        SignedAsync(context, FaultNames.Refund, TransferSandboxJson.Default.TransferRefundCreate, (merchant, body) =>
        {
            if (body.RefundRef is not { Length: > 0 and <= 64 } refundRef || body.Amount is not > 0 || body.Currency is not { Length: 3 }
                || (body.MerchantRef is null) == (body.CollectionId is null)
                || !Uri.TryCreate(body.NotifyUrl, UriKind.Absolute, out var notifyUrl) || notifyUrl.Scheme is not ("http" or "https"))
            {
                return Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "refundRef, a positive amount in fen, currency, an absolute notifyUrl and one of merchantRef or collectionId are required");
            }

            var collection = body.MerchantRef is { } merchantRef
                ? store.ByReference(merchant.CorporateId, merchantRef)
                : store.ById(body.CollectionId!) is { } byId && byId.Merchant.CorporateId == merchant.CorporateId ? byId : null;
            if (collection is null)
            {
                return Error(StatusCodes.Status404NotFound, "COLLECTION_NOT_FOUND", "no such collection");
            }

            if (!store.ClaimRefund(merchant.CorporateId, refundRef, collection))
            {
                return Error(StatusCodes.Status409Conflict, "REFERENCE_CONFLICT", "the refundRef belongs to another collection");
            }

            long amount = body.Amount.Value;
            lock (collection.Gate)
            {
                if (collection.Refunds.Find(r => r.RefundRef == refundRef) is { } existing)
                {
                    return existing.Amount == amount
                        ? Results.Json(existing, TransferSandboxJson.Default.TransferRefundAnswer, statusCode: StatusCodes.Status201Created)
                        : Error(StatusCodes.Status409Conflict, "REFERENCE_CONFLICT", "the refundRef was used with another amount");
                }

                if (body.Currency != collection.Currency)
                {
                    return Error(StatusCodes.Status409Conflict, "CURRENCY_MISMATCH", "refund currency differs from the collection's");
                }

                if (collection.Credited == 0)
                {
                    return Error(StatusCodes.Status409Conflict, "NOTHING_CREDITED", "no money reached this reference");
                }

                if (collection.Refunded + amount > collection.Credited)
                {
                    return Error(StatusCodes.Status409Conflict, "EXCEEDS_CREDITED", "refunds would exceed what was credited");
                }

                var refund = new TransferRefundAnswer(
                    refundRef, "RTN" + RandomNumberGenerator.GetHexString(20), collection.Id, collection.MerchantRef, "SUCCEEDED", amount, collection.Currency, time.GetUtcNow(), null);
                collection.Refunds.Add(refund);
                notifier.Send(collection, "REFUND_SETTLED", refund, notifyUrl.AbsoluteUri);
                return Results.Json(refund, TransferSandboxJson.Default.TransferRefundAnswer, statusCode: StatusCodes.Status201Created);
            }
        });

    private static Task<IResult> QueryRefundAsync(HttpContext context, string refundRef, TransferStore store) =>
        SignedAsync(context, FaultNames.RefundQuery, merchant =>
        {
            var collection = store.CollectionOfRefund(merchant.CorporateId, refundRef);
            TransferRefundAnswer? refund = null;
            if (collection is not null)
            {
                lock (collection.Gate)
                {
                    refund = collection.Refunds.Find(r => r.RefundRef == refundRef);
                }
            }

            return refund is null
                ? Error(StatusCodes.Status404NotFound, "NOT_FOUND", "no such refund")
                : Results.Json(refund, TransferSandboxJson.Default.TransferRefundAnswer);
        });

    /// <summary>
    /// The account statement of a value day, built from the bank's records now (today included) with the sandbox's
    /// statement mutations applied. A day without entries is a statement of none; a day that has not begun has none.
    /// </summary>
    private static Task<IResult> StatementAsync(
        HttpContext context, string? date, TransferStatementSource source, StatementMutationStore mutations, TimeProvider time) =>
        SignedAsync(context, FaultNames.Statement, merchant =>
        {
            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "date must be yyyy-MM-dd");
            }

            if (day > source.DayOf(time.GetUtcNow()))
            {
                return Error(StatusCodes.Status404NotFound, "NOT_FOUND", "no statement for that day");
            }

            var entries = StatementBuilder.Build(source, mutations, merchant.CorporateId, day);
            return Results.Bytes(source.Render(merchant.CorporateId, entries), source.MediaType);
        });

    private static Task<IResult> SignedAsync(HttpContext context, string operation, Func<TransferMerchant, IResult> act) =>
        SignedAsync<TransferAckWire>(context, operation, null, (merchant, _) => act(merchant));

    /// <summary>
    /// Authenticates the corporate (known id, time stamp within five minutes, unused nonce, HMAC over the exact request)
    /// and applies injected faults: error answers before acting, delay waits before acting, timeout acts and withholds
    /// the answer. <paramref name="bodyType"/> null: the request has no body worth reading.
    /// </summary>
    private static async Task<IResult> SignedAsync<T>(HttpContext context, string operation, JsonTypeInfo<T>? bodyType, Func<TransferMerchant, T, IResult> act)
        where T : class
    {
        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var fault = services.GetRequiredService<FaultRegistry>().TryConsume(FaultNames.Transfer, operation);
        if (fault?.Mode == FaultMode.Error)
        {
            return Error(StatusCodes.Status500InternalServerError, "SYSTEM_ERROR", "injected fault");
        }

        if (fault?.Mode == FaultMode.Delay && !await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted))
        {
            return Results.Empty;
        }

        string text;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            text = await reader.ReadToEndAsync(context.RequestAborted);
        }

        if (Authenticate(context.Request, text, context.RequestServices.GetRequiredService<TransferStore>(), time) is not { } merchant)
        {
            return Error(StatusCodes.Status401Unauthorized, "UNAUTHORIZED", "unknown corporate, stale time stamp, reused nonce or wrong signature");
        }

        T? body = null;
        if (bodyType is not null)
        {
            try
            {
                body = JsonSerializer.Deserialize(text, bodyType);
            }
            catch (JsonException ex)
            {
                return Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "malformed JSON: " + ex.Message);
            }

            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "body must be a JSON object");
            }
        }

        var answer = act(merchant, body!);
        if (fault?.Mode == FaultMode.Timeout)
        {
            await InjectedDelay.WaitAsync(fault.Delay, time, context.RequestAborted);
            return Results.Empty;
        }

        return answer;
    }

    private static TransferMerchant? Authenticate(HttpRequest request, string body, TransferStore store, TimeProvider time)
    {
        string corporateId = request.Headers[TransferSignatures.CorporateHeader].ToString();
        string timestamp = request.Headers[TransferSignatures.TimestampHeader].ToString();
        string nonce = request.Headers[TransferSignatures.NonceHeader].ToString();
        string signature = request.Headers[TransferSignatures.SignatureHeader].ToString();
        if (store.Merchant(corporateId) is not { } merchant || nonce.Length is < 16 or > 64 || signature.Length != 64
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()
            || (DateTimeOffset.FromUnixTimeSeconds(seconds) - time.GetUtcNow()).Duration() > ClockSkew)
        {
            return null;
        }

        string pathAndQuery = request.PathBase.Add(request.Path).ToUriComponent() + request.QueryString.ToUriComponent();
        return TransferSignatures.RequestIsSigned(merchant.ApiKeyHex, request.Method, pathAndQuery, timestamp, nonce, body, signature)
            && store.UseNonce(corporateId, nonce)
            ? merchant
            : null;
    }
}
