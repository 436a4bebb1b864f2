using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Payments.Sandbox.Transfer;

/// <summary>
/// The bank's payer instruction page, which also stands in for the payer's own bank. GET shows where to send money:
/// account, account name, reference, amount due and deadline. A JSON <c>POST</c> is a transfer from the payer:
/// <c>{"decision":"approve"}</c> sends what is still due, <c>{"decision":"approve","amount":N}</c> sends N fen (less or
/// more), <c>{"decision":"decline"}</c> is a transfer the payer's bank rejects (no funds, a limit): nothing reaches this
/// bank, nothing is credited or notified, and the reference stays open for another attempt. A transfer to a reference
/// that is paid, closed or expired is returned to the payer by the bank and never reaches the merchant.
/// </summary>
internal static class TransferPayerPage
{
    public static void MapTransferPayerPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/transfer/pay/{id}", (string id, TransferStore store, TransferExpiry expiry) =>
        {
            if (store.ById(id) is not { } collection)
            {
                return Html(StatusCodes.Status404NotFound, "<p>Unknown transfer reference.</p>");
            }

            expiry.Refresh(collection);
            lock (collection.Gate)
            {
                if (!collection.TakesCredits)
                {
                    return Html(StatusCodes.Status409Conflict, $"<p>This reference is {collection.Status.ToLowerInvariant()} and takes no transfers.</p>");
                }

                string Fen(long fen) => WebUtility.HtmlEncode($"{collection.Currency} {(fen / 100m).ToString("F2", CultureInfo.InvariantCulture)}");
                return Html(StatusCodes.Status200OK, $"""
                    <h1>Pay {Fen(collection.AmountDue - collection.Credited)} by bank transfer</h1>
                    <dl><dt>Bank</dt><dd>Sandbox Bank</dd>
                    <dt>Account name</dt><dd>Sandbox Merchant {WebUtility.HtmlEncode(collection.Merchant.CorporateId)}</dd>
                    <dt>Account number</dt><dd>{collection.VirtualAccount}</dd>
                    <dt>Reference (quote it exactly)</dt><dd>{collection.ReferenceCode}</dd>
                    <dt>Amount due</dt><dd>{Fen(collection.AmountDue)}</dd>
                    <dt>Received so far</dt><dd>{Fen(collection.Credited)}</dd>
                    <dt>Pay before</dt><dd>{collection.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)}</dd></dl>
                    <p>{WebUtility.HtmlEncode(collection.Remark)}</p>
                    """);
            }
        });
        app.MapPost("/transfer/pay/{id}", TransferAsync);
    }

    private static async Task<IResult> TransferAsync(HttpContext context, string id, TransferStore store, TransferExpiry expiry, TransferNotifier notifier, TimeProvider time)
    {
        var (body, error) = await SandboxJson.ReadAsync(context.Request, TransferSandboxJson.Default.TransferPayerDecision);
        if (body is null)
        {
            return TransferSandbox.Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", error!);
        }

        if (body.Decision is not ("approve" or "decline") || body.Amount is <= 0 || (body.Decision == "decline" && body.Amount is not null))
        {
            return TransferSandbox.Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "decision must be \"approve\" (optionally with a positive amount in fen) or \"decline\"");
        }

        if (store.ById(id) is not { } collection)
        {
            return TransferSandbox.Error(StatusCodes.Status404NotFound, "NOT_FOUND", "unknown transfer reference");
        }

        expiry.Refresh(collection);
        lock (collection.Gate)
        {
            if (body.Decision == "decline")
            {
                collection.RejectedTransfers++;
                return Answer(collection, "REJECTED", null);
            }

            long amount = body.Amount ?? Math.Max(collection.AmountDue - collection.Credited, 1);
            var credit = new TransferCreditWire(
                "CR" + RandomNumberGenerator.GetHexString(20), amount, "6217********" + RandomNumberGenerator.GetString("0123456789", 4), "Sandbox Payer", time.GetUtcNow());
            if (!collection.TakesCredits)
            {
                collection.ReturnedCredits.Add(credit);
                return Answer(collection, "RETURNED", null);
            }

            collection.Credits.Add(credit);
            if (collection.Credited >= collection.AmountDue)
            {
                collection.Status = TransferCollectionState.Paid;
                collection.PaidAt = credit.CreditedAt;
            }
            else
            {
                collection.Status = TransferCollectionState.PartiallyPaid;
            }

            notifier.Send(collection, "CREDIT_RECEIVED");
            return Answer(collection, "CREDITED", credit.CreditId);
        }
    }

    private static IResult Answer(TransferCollectionState collection, string outcome, string? creditId) =>
        Results.Json(
            new TransferPayerAnswer(collection.MerchantRef, outcome, collection.Status, collection.AmountDue, collection.Credited, creditId),
            TransferSandboxJson.Default.TransferPayerAnswer);

    private static IResult Html(int status, string body) =>
        Results.Content($"<!doctype html><html><head><meta charset=\"utf-8\"><title>Bank transfer</title></head><body>{body}</body></html>", "text/html", Encoding.UTF8, status);
}
