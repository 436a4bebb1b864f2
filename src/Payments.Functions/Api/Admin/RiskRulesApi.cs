using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Apps;
using Payments.Core.Audit;
using Payments.Core.Risk;

namespace Payments.Functions.Api.Admin;

/// <summary>api.md Operators/Risk rules: PUT replaces a merchant's rules as a whole (validated field by
/// field), GET reads them; an empty object removes every rule.</summary>
public static class RiskRulesApi
{
    public static RouteGroupBuilder MapRiskRulesApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/merchants/{id}/risk-rules", GetAsync).RequireRole(OperatorRole.Auditor);
        admin.MapPut("/merchants/{id}/risk-rules", PutAsync).RequireRole(OperatorRole.Admin);
        return admin;
    }

    private static async Task<Results<Ok<RiskRulesDto>, ProblemHttpResult>> GetAsync(
        string id, IMerchantDirectory merchants, IRiskRuleStore rules, CancellationToken cancellationToken)
    {
        if (await merchants.GetMerchantAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound("merchant");
        }

        return TypedResults.Ok(RiskRulesDto.From(await rules.GetAsync(id, cancellationToken) ?? RiskRules.None));
    }

    private static async Task<Results<Ok<RiskRulesDto>, ProblemHttpResult>> PutAsync(
        HttpContext http, string id, IMerchantDirectory merchants, IRiskRuleStore rules, IAuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await AdminBody.ReadAsync(http, AdminJson.Default.RiskRulesDto, cancellationToken);
        if (body.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        var validated = RiskRulesValidator.Validate(body.Value);
        if (validated.Problem is { } invalid)
        {
            return Problems.From(invalid);
        }

        if (await merchants.GetMerchantAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound("merchant");
        }

        var before = await rules.GetAsync(id, cancellationToken) ?? RiskRules.None;
        await rules.SaveAsync(id, validated.Value!, cancellationToken);
        var dto = RiskRulesDto.From(validated.Value!);
        await audit.AppendAsync(new AuditRecord(time.GetUtcNow(), http.Operator().Actor, "risk_rules.replaced", id,
            System.Text.Json.JsonSerializer.Serialize(RiskRulesDto.From(before), AdminJson.Default.RiskRulesDto),
            System.Text.Json.JsonSerializer.Serialize(dto, AdminJson.Default.RiskRulesDto), http.TraceIdentifier), cancellationToken);
        return TypedResults.Ok(dto);
    }
}
