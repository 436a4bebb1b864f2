using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;
using Payments.Core.Audit;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;
using Payments.Core.Routing;
using Payments.Infrastructure.Storage;

namespace Payments.Functions.Api.Admin;

/// <summary>An app's routes: per channel, the ordered candidates new payments are spread over. PUT
/// replaces them as a whole (validated field by field); an empty list for a channel, or leaving the
/// channel out, sends its payments to the app's single account for it again.</summary>
public static class RoutesApi
{
    public const int MaxCandidates = 20;

    public static RouteGroupBuilder MapRoutesApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/apps/{id}/routes", GetAsync).RequireRole(OperatorRole.Auditor);
        admin.MapPut("/apps/{id}/routes", PutAsync).RequireRole(OperatorRole.Admin);
        return admin;
    }

    private static async Task<Results<Ok<Dictionary<string, List<RouteDto>>>, ProblemHttpResult>> GetAsync(
        string id, TableDirectories directories, CancellationToken cancellationToken) =>
        await directories.GetAppRecordAsync(id, cancellationToken) is { } record ? TypedResults.Ok(ToDto(record.Routes)) : Problems.NotFound("app");

    private static async Task<Results<Ok<Dictionary<string, List<RouteDto>>>, ProblemHttpResult>> PutAsync(
        HttpContext http, string id, TableDirectories directories, IAuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var body = await AdminBody.ReadAsync(http, AdminJson.Default.DictionaryStringListRouteDto, cancellationToken);
        if (body.Problem is { } bad)
        {
            return Problems.From(bad);
        }

        if (await directories.GetAppRecordAsync(id, cancellationToken) is not { } app)
        {
            return Problems.NotFound("app");
        }

        var accounts = (await directories.ListChannelAccountsAsync(cancellationToken).ToListAsync(cancellationToken)).ToDictionary(a => a.Id, StringComparer.Ordinal);
        var (routes, errors) = Validate(body.Value!, app, accounts);
        if (errors.Count > 0)
        {
            return Problems.From(Problem.Validation(errors));
        }

        switch (await directories.TryReplaceRoutesAsync(id, routes, cancellationToken))
        {
            case null:
                return Problems.NotFound("app");
            case false:
                return Problems.From(new Problem(ProblemCodes.Conflict, "The app changed while its routes were being replaced; read it and try again."));
        }

        var after = ToDto(routes);
        await audit.AppendAsync(new AuditRecord(time.GetUtcNow(), http.Operator().Actor, "app.routes_replaced", id,
            JsonSerializer.Serialize(ToDto(app.Routes), AdminJson.Default.DictionaryStringListRouteDto),
            JsonSerializer.Serialize(after, AdminJson.Default.DictionaryStringListRouteDto), http.TraceIdentifier), cancellationToken);
        return TypedResults.Ok(after);
    }

    private static (Dictionary<string, List<RouteRecord>>? Routes, Dictionary<string, string[]> Errors) Validate(
        Dictionary<string, List<RouteDto>> body, AppRecord app, Dictionary<string, ChannelAccountRecord> accounts)
    {
        var errors = new Dictionary<string, string[]>();
        var routes = new Dictionary<string, List<RouteRecord>>(StringComparer.Ordinal);
        foreach (var (channel, candidates) in body)
        {
            if (!app.ChannelAccounts.ContainsKey(channel))
            {
                errors[channel] = [$"Not a channel of this app; its channels: {string.Join(", ", app.ChannelAccounts.Keys.Order())}."];
                continue;
            }

            if (candidates is null || candidates.Count > MaxCandidates)
            {
                errors[channel] = [$"A list of at most {MaxCandidates} candidates (empty to use the app's single account)."];
                continue;
            }

            var valid = new List<RouteRecord>();
            for (int i = 0; i < candidates.Count; i++)
            {
                string at = $"{channel}[{i}]";
                if (candidates[i] is not { } c)
                {
                    errors[at] = ["A candidate object."];
                    continue;
                }

                int before = errors.Count;
                if (c.ChannelAccountId is null || !accounts.TryGetValue(c.ChannelAccountId, out var account))
                {
                    errors[at + ".channelAccountId"] = ["No such channel account."];
                }
                else if (account.MerchantId is not null && account.MerchantId != app.MerchantId)
                {
                    errors[at + ".channelAccountId"] = ["The account belongs to another merchant."];
                }
                else if (account.Channel != channel)
                {
                    errors[at + ".channelAccountId"] = [$"The account is a {account.Channel} account."];
                }

                if (c.MinAmount is < 1 || c.MinAmount > CreatePaymentValidator.MaxAmountMinorUnits)
                {
                    errors[at + ".minAmount"] = [$"Minor units, 1 to {CreatePaymentValidator.MaxAmountMinorUnits}."];
                }

                if (c.MaxAmount is < 1 || c.MaxAmount > CreatePaymentValidator.MaxAmountMinorUnits)
                {
                    errors[at + ".maxAmount"] = [$"Minor units, 1 to {CreatePaymentValidator.MaxAmountMinorUnits}."];
                }
                else if (c.MinAmount is { } min && c.MaxAmount is { } max && min > max)
                {
                    errors[at + ".maxAmount"] = ["At least minAmount."];
                }

                if (c.Currency is not null && !Currency.TryParse(c.Currency, out _))
                {
                    errors[at + ".currency"] = ["An ISO 4217 code we support, in upper case."];
                }

                var methods = KnownChannels.Methods[channel];
                if (c.Methods is { } listed && (listed.Count == 0 || listed.Any(m => m is null || !methods.Contains(m)) || listed.Distinct().Count() != listed.Count))
                {
                    errors[at + ".methods"] = [$"Distinct methods among: {string.Join(", ", methods)} (leave it out for all)."];
                }

                if (c.Weight is < RouteCandidate.MinWeight or > RouteCandidate.MaxWeight)
                {
                    errors[at + ".weight"] = [$"{RouteCandidate.MinWeight} to {RouteCandidate.MaxWeight} (1 when left out)."];
                }

                if (errors.Count == before)
                {
                    valid.Add(new RouteRecord(c.ChannelAccountId!, c.MinAmount, c.MaxAmount, c.Currency, c.Methods is null ? null : [.. c.Methods!], c.Weight ?? RouteCandidate.MinWeight));
                }
            }

            if (valid.Count > 0)
            {
                routes[channel] = valid;
            }
        }

        return (routes.Count == 0 ? null : routes, errors);
    }

    private static Dictionary<string, List<RouteDto>> ToDto(Dictionary<string, List<RouteRecord>>? routes) =>
        (routes ?? []).ToDictionary(
            kv => kv.Key,
            kv => kv.Value.Select(r => new RouteDto(r.ChannelAccountId, r.MinAmount, r.MaxAmount, r.Currency, r.Methods, r.Weight)).ToList(),
            StringComparer.Ordinal);
}

public sealed record RouteDto(string? ChannelAccountId, long? MinAmount, long? MaxAmount, string? Currency, List<string>? Methods, int? Weight);
