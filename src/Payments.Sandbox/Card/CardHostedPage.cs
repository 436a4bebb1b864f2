using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Payments.Sandbox.Card;

/// <summary>
/// The acquirer's hosted payment page: the payer enters the card here, then answers a 3-D Secure style
/// one-time code. The card number is checked (digits, Luhn, expiry, CVC), reduced to brand and last
/// four, and never stored, logged or echoed. A browser form post gets HTML; a JSON post (tests) gets JSON.
/// </summary>
/// <remarks>Test cards: any Luhn-valid number pays after the challenge with code <see cref="ChallengeCode"/>,
/// except <see cref="DeclinedCard"/>, which the issuer refuses before any challenge.</remarks>
internal static class CardHostedPage
{
    public const string ChallengeCode = "123456";
    public const string DeclinedCard = "4000000000000002";

    public static void MapCardHostedPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/card/pay/{id}", (string id, CardStore store, CardExpiry expiry) =>
        {
            if (store.ById(id) is not { } session)
            {
                return Html(StatusCodes.Status404NotFound, "<p>Unknown payment session.</p>");
            }

            expiry.Refresh(session);
            lock (session.Gate)
            {
                string amount = WebUtility.HtmlEncode($"{session.Amount.Currency} {CardSandbox.Major(session.Amount.Value, session.Amount.Currency)}");
                return session.Status != "pending"
                    ? Html(StatusCodes.Status409Conflict, $"<p>This payment is {session.Status}.</p>")
                    : Html(StatusCodes.Status200OK, $"""
                        <h1>Pay {amount}</h1><p>{WebUtility.HtmlEncode(session.Description)}</p>
                        <form method="post" autocomplete="off">
                        <label>Card number <input name="cardNumber" inputmode="numeric"></label>
                        <label>Expiry (MM/YY) <input name="expiry"></label>
                        <label>CVC <input name="cvc" inputmode="numeric"></label>
                        <button>Pay</button></form>
                        """);
            }
        });
        app.MapPost("/card/pay/{id}", EnterCardAsync);
        app.MapPost("/card/pay/{id}/challenge", ChallengeAsync);
    }

    private static async Task<IResult> EnterCardAsync(HttpContext context, string id, CardStore store, CardExpiry expiry, CardNotifier notifier, TimeProvider time)
    {
        bool browser = context.Request.HasFormContentType;
        CardEntry? entry;
        if (browser)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            entry = new CardEntry(form["cardNumber"], form["expiry"], form["cvc"]);
        }
        else
        {
            (entry, _) = await SandboxJson.ReadAsync(context.Request, CardSandboxJson.Default.CardEntry);
        }

        if (store.ById(id) is not { } session)
        {
            return Answer(browser, StatusCodes.Status404NotFound, null, "Unknown payment session.");
        }

        string digits = new((entry?.CardNumber ?? "").Where(c => c != ' ').ToArray());
        if (digits.Length is < 13 or > 19 || !digits.All(char.IsAsciiDigit) || !LuhnValid(digits))
        {
            return Answer(browser, StatusCodes.Status400BadRequest, null, "The card number is not valid.");
        }

        if (!ExpiryValid(entry!.Expiry, time.GetUtcNow()) || entry.Cvc is not { Length: 3 or 4 } cvc || !cvc.All(char.IsAsciiDigit))
        {
            return Answer(browser, StatusCodes.Status400BadRequest, null, "The expiry date or security code is not valid.");
        }

        var masked = new CardMaskedCard(Brand(digits), digits[^4..]);
        bool declined = digits == DeclinedCard;
        expiry.Refresh(session);
        lock (session.Gate)
        {
            if (session.Status != "pending" || session.Challenged)
            {
                return Answer(browser, StatusCodes.Status409Conflict, session, $"This payment is {session.Status}.");
            }

            session.Card = masked;
            if (declined)
            {
                session.Status = "refused";
                session.RefusalReason = "card_declined";
                notifier.Send(session, "AUTHORISATION", success: false, reason: "card_declined");
                return Answer(browser, StatusCodes.Status200OK, session, "Your bank declined the card.");
            }

            session.Challenged = true;
            return Answer(browser, StatusCodes.Status200OK, session, "Enter the code your bank sent you.");
        }
    }

    private static async Task<IResult> ChallengeAsync(HttpContext context, string id, CardStore store, CardExpiry expiry, CardNotifier notifier, TimeProvider time)
    {
        bool browser = context.Request.HasFormContentType;
        string? otp;
        if (browser)
        {
            otp = (await context.Request.ReadFormAsync(context.RequestAborted))["otp"];
        }
        else
        {
            otp = (await SandboxJson.ReadAsync(context.Request, CardSandboxJson.Default.CardChallengeEntry)).Value?.Otp;
        }

        if (store.ById(id) is not { } session)
        {
            return Answer(browser, StatusCodes.Status404NotFound, null, "Unknown payment session.");
        }

        expiry.Refresh(session);
        lock (session.Gate)
        {
            if (session.Status != "pending" || !session.Challenged)
            {
                return Answer(browser, StatusCodes.Status409Conflict, session, $"This payment is {session.Status}.");
            }

            if (otp == ChallengeCode)
            {
                session.Status = "authorised";
                session.AuthorisedAt = time.GetUtcNow();
                session.PspReference = "PSP" + RandomNumberGenerator.GetHexString(16);
                notifier.Send(session, "AUTHORISATION", success: true, reason: null);
                return Answer(browser, StatusCodes.Status200OK, session, "Payment authorised.");
            }

            session.Status = "refused";
            session.RefusalReason = "3ds_failed";
            notifier.Send(session, "AUTHORISATION", success: false, reason: "3ds_failed");
            return Answer(browser, StatusCodes.Status200OK, session, "Authentication failed.");
        }
    }

    private static IResult Answer(bool browser, int status, CardSessionState? session, string message)
    {
        string? challengeUrl = session is { Status: "pending", Challenged: true } ? $"/card/pay/{session.Id}/challenge" : null;
        if (!browser)
        {
            return session is null
                ? CardSandbox.Error(status, "page_error", message)
                : Results.Json(new CardPageAnswer(session.Reference, session.Status, challengeUrl, session.Card), CardSandboxJson.Default.CardPageAnswer, statusCode: status);
        }

        string card = session?.Card is { } c ? $"<p>{WebUtility.HtmlEncode(c.Brand)} **** {c.Last4}</p>" : "";
        string challenge = challengeUrl is null ? "" : $"""<form method="post" action="{challengeUrl}"><label>Code <input name="otp" inputmode="numeric"></label><button>Confirm</button></form>""";
        return Html(status, $"<p>{WebUtility.HtmlEncode(message)}</p>{card}{challenge}");
    }

    private static IResult Html(int status, string body) =>
        Results.Content($"<!doctype html><html><head><meta charset=\"utf-8\"><title>Card payment</title></head><body>{body}</body></html>", "text/html", Encoding.UTF8, status);

    private static bool LuhnValid(string digits)
    {
        int sum = 0;
        for (int i = 0; i < digits.Length; i++)
        {
            int d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    private static bool ExpiryValid(string? expiry, DateTimeOffset now) =>
        expiry is { Length: 5 } && expiry[2] == '/'
        && int.TryParse(expiry[..2], out int month) && month is >= 1 and <= 12
        && int.TryParse(expiry[3..], out int year)
        && new DateTime(2000 + year, month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1) > now.UtcDateTime;

    private static string Brand(string digits) => digits switch
    {
        ['4', ..] => "visa",
        ['5', >= '1' and <= '5', ..] => "mastercard",
        ['3', '4' or '7', ..] => "amex",
        ['6', '2', ..] => "unionpay",
        _ => "card",
    };
}
