using System.Net.Mail;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Apps;
using Payments.Core.Audit;
using Payments.Core.Payments;

namespace Payments.Functions.Api.Admin;

/// <summary>api.md Operators/Merchants: create (pending review), activate, suspend, read. Every change
/// writes an audit record with the merchant before and after.</summary>
public static class MerchantsApi
{
    public static RouteGroupBuilder MapMerchantsApi(this RouteGroupBuilder admin)
    {
        admin.MapPost("/merchants", CreateAsync).RequireRole(OperatorRole.Admin);
        admin.MapGet("/merchants", ListAsync).RequireRole(OperatorRole.Auditor);
        admin.MapGet("/merchants/{id}", GetAsync).RequireRole(OperatorRole.Auditor);
        admin.MapPost("/merchants/{id}/activate", (HttpContext http, string id, IMerchantDirectory merchants, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
            ChangeAsync(http, id, "merchant.activated", (m, at) => m.Activate(at), merchants, audit, time, ct)).RequireRole(OperatorRole.Admin);
        admin.MapPost("/merchants/{id}/suspend", (HttpContext http, string id, IMerchantDirectory merchants, IAuditTrail audit, TimeProvider time, CancellationToken ct) =>
            ChangeAsync(http, id, "merchant.suspended", (m, at) => m.Suspend(at), merchants, audit, time, ct)).RequireRole(OperatorRole.Admin);
        return admin;
    }

    private static async Task<Results<Created<MerchantDto>, ProblemHttpResult>> CreateAsync(
        HttpContext http, IMerchantDirectory merchants, IAuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await AdminBody.ReadAsync(http, AdminJson.Default.CreateMerchantCommand, cancellationToken);
        if (body.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        var errors = new Dictionary<string, string[]>();
        string? name = body.Value!.Name?.Trim();
        if (!AdminText.IsName(name))
        {
            errors["name"] = [$"1 to {AdminText.MaxNameLength} printable characters."];
        }

        string? email = body.Value.ContactEmail?.Trim();
        if (email is null || email.Length > 254 || !MailAddress.TryCreate(email, out var parsed) || parsed.Address != email)
        {
            errors["contactEmail"] = ["A plain e-mail address (name@example.com)."];
        }

        if (errors.Count > 0)
        {
            return Problems.From(Problem.Validation(errors));
        }

        var now = time.GetUtcNow();
        var merchant = new Merchant(Ids.Random("mch_"), name!, email!, MerchantStatus.PendingReview, now, now);
        if (!await merchants.TryAddMerchantAsync(merchant, cancellationToken))
        {
            return Problems.From(new Problem(ProblemCodes.Conflict, "Id collision; try again."));
        }

        await audit.AppendAsync(new AuditRecord(now, http.Operator().Actor, "merchant.created", merchant.Id, null, Summary(merchant), http.TraceIdentifier), cancellationToken);
        return TypedResults.Created($"/api/v1/admin/merchants/{merchant.Id}", MerchantDto.From(merchant));
    }

    private static async Task<Ok<ListDto<MerchantDto>>> ListAsync(IMerchantDirectory merchants, CancellationToken cancellationToken)
    {
        var list = new List<MerchantDto>();
        await foreach (var m in merchants.ListMerchantsAsync(cancellationToken))
        {
            list.Add(MerchantDto.From(m));
        }

        return TypedResults.Ok(new ListDto<MerchantDto>([.. list.OrderByDescending(m => m.CreatedAt)], false));
    }

    private static async Task<Results<Ok<MerchantDto>, ProblemHttpResult>> GetAsync(string id, IMerchantDirectory merchants, CancellationToken cancellationToken) =>
        await merchants.GetMerchantAsync(id, cancellationToken) is { } m ? TypedResults.Ok(MerchantDto.From(m.Value)) : Problems.NotFound("merchant");

    private static async Task<Results<Ok<MerchantDto>, ProblemHttpResult>> ChangeAsync(
        HttpContext http, string id, string action, Func<Merchant, DateTimeOffset, Result<Merchant>> change, IMerchantDirectory merchants, IAuditTrail audit,
        TimeProvider time, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            if (await merchants.GetMerchantAsync(id, cancellationToken) is not { } current)
            {
                return Problems.NotFound("merchant");
            }

            var now = time.GetUtcNow();
            var next = change(current.Value, now);
            if (next.Problem is { } problem)
            {
                return Problems.From(problem);
            }

            if (await merchants.TryReplaceMerchantAsync(current, next.Value!, cancellationToken))
            {
                await audit.AppendAsync(new AuditRecord(now, http.Operator().Actor, action, id, Summary(current.Value), Summary(next.Value!), http.TraceIdentifier), cancellationToken);
                return TypedResults.Ok(MerchantDto.From(next.Value!));
            }
        }

        return Problems.From(new Problem(ProblemCodes.Conflict, "The merchant is changing too quickly; try again."));
    }

    private static string Summary(Merchant m) => $"status={m.Status.ToWire()} name={m.Name} contactEmail={m.ContactEmail}";
}

public sealed record CreateMerchantCommand(string? Name, string? ContactEmail);

public sealed record MerchantDto(string Id, string Name, string ContactEmail, string Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string Object = "merchant")
{
    public static MerchantDto From(Merchant m) => new(m.Id, m.Name, m.ContactEmail, m.Status.ToWire(), m.CreatedAt, m.UpdatedAt);
}

/// <summary>What admin names and labels may contain.</summary>
public static class AdminText
{
    public const int MaxNameLength = 100;

    public static bool IsName(string? text) => text is { Length: > 0 and <= MaxNameLength } && PrintableText.IsPrintable(text);
}
