using System.Security.Cryptography;
using System.Text;
using Payments.Core;

namespace Payments.Functions.Api.Admin;

/// <summary>What an operator may do. Each role includes the ones below it: an auditor reads, an
/// operator also acts on payments (retry, resolve, resend, reconcile), an admin also changes
/// merchants, apps, channel accounts and risk rules.</summary>
public enum OperatorRole
{
    Auditor = 1,
    Operator = 2,
    Admin = 3,
}

/// <summary>One operator key from configuration (Operators:Keys:N:Name|Key|Role). In Azure these give
/// way to Microsoft Entra ID tokens; locally run.sh writes one admin key.</summary>
public sealed class OperatorKeyOptions
{
    public string Name { get; set; } = "";
    public string Key { get; set; } = "";
    public OperatorRole Role { get; set; } = OperatorRole.Auditor;
}

public sealed class OperatorOptions
{
    public List<OperatorKeyOptions> Keys { get; set; } = [];

    /// <summary>Keys shorter than this are refused at start-up: an operator key moves money.</summary>
    public const int MinKeyLength = 32;

    public void Validate()
    {
        foreach (var key in Keys)
        {
            if (string.IsNullOrWhiteSpace(key.Name) || key.Key.Length < MinKeyLength || !Enum.IsDefined(key.Role))
            {
                throw new InvalidOperationException(
                    $"Operators:Keys entry '{key.Name}' needs a Name, a Key of at least {MinKeyLength} characters and a Role (Admin, Operator, Auditor).");
            }
        }
    }
}

/// <summary>The authenticated operator of an admin request.</summary>
public sealed record OperatorIdentity(string Name, OperatorRole Role)
{
    /// <summary>How audit records name the actor.</summary>
    public string Actor => "operator:" + Name;
}

public static class OperatorAuthentication
{
    private const string OperatorKey = "payments.operator";
    private const string BearerPrefix = "Bearer ";

    public static OperatorIdentity Operator(this HttpContext context) => (OperatorIdentity)context.Items[OperatorKey]!;

    /// <summary>Every admin route needs a Bearer operator key; merchant signatures are refused with the
    /// same 401 as a wrong key. The role needed is declared per endpoint with <see cref="RequireRole{TBuilder}"/>.</summary>
    public static RouteGroupBuilder RequireOperator(this RouteGroupBuilder group) => group.AddEndpointFilter(async (invocation, next) =>
    {
        var http = invocation.HttpContext;
        var options = http.RequestServices.GetRequiredService<OperatorOptions>();
        if (Authenticate(options, http.Request.Headers.Authorization.ToString()) is not { } identity)
        {
            return Problems.Unauthorized();
        }

        var needed = http.GetEndpoint()?.Metadata.GetMetadata<RequiredRole>()?.Role ?? OperatorRole.Admin;
        if (identity.Role < needed)
        {
            return Problems.From(new Problem(ProblemCodes.Forbidden, $"This needs the {needed.ToString().ToLowerInvariant()} role; the key has {identity.Role.ToString().ToLowerInvariant()}."));
        }

        http.Items[OperatorKey] = identity;
        return await next(invocation);
    });

    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, OperatorRole role) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredRole(role));

    public static OperatorIdentity? Authenticate(OperatorOptions options, string authorization)
    {
        if (!authorization.StartsWith(BearerPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var presented = Encoding.UTF8.GetBytes(authorization[BearerPrefix.Length..].Trim());
        OperatorIdentity? found = null;
        foreach (var key in options.Keys)
        {
            // Compare with every key in constant time so timing tells nothing about which one nearly matched.
            if (CryptographicOperations.FixedTimeEquals(SHA256.HashData(presented), SHA256.HashData(Encoding.UTF8.GetBytes(key.Key))))
            {
                found = new OperatorIdentity(key.Name, key.Role);
            }
        }

        return found;
    }

    /// <summary>Endpoint metadata: the least role an endpoint needs.</summary>
    public sealed record RequiredRole(OperatorRole Role);
}
