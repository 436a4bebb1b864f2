using Microsoft.AspNetCore.Http.HttpResults;
using Payments.Core;

namespace Payments.Functions.Api;

/// <summary>The one place where use-case problems become RFC 9457 answers with a stable code.</summary>
public static class Problems
{
    public static int StatusFor(string code) => code switch
    {
        ProblemCodes.ValidationFailed => StatusCodes.Status400BadRequest,
        ProblemCodes.Unauthorized => StatusCodes.Status401Unauthorized,
        ProblemCodes.Forbidden or ProblemCodes.MerchantSuspended or ProblemCodes.MerchantNotActive => StatusCodes.Status403Forbidden,
        ProblemCodes.NotFound => StatusCodes.Status404NotFound,
        ProblemCodes.IdempotencyConflict or ProblemCodes.InvalidState or ProblemCodes.Conflict => StatusCodes.Status409Conflict,
        ProblemCodes.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        ProblemCodes.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        ProblemCodes.ChannelNotEnabled or ProblemCodes.ChannelNotAvailable or ProblemCodes.AmountExceedsRefundable or ProblemCodes.RiskDenied => StatusCodes.Status422UnprocessableEntity,
        ProblemCodes.RateLimited => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static string TitleFor(string code) => code switch
    {
        ProblemCodes.ValidationFailed => "The request is invalid.",
        ProblemCodes.Unauthorized => "Authentication failed.",
        ProblemCodes.Forbidden => "Not allowed for this role.",
        ProblemCodes.MerchantSuspended => "The merchant is suspended.",
        ProblemCodes.MerchantNotActive => "The merchant is not active yet.",
        ProblemCodes.NotFound => "Not found.",
        ProblemCodes.IdempotencyConflict => "Idempotency key reused with different parameters.",
        ProblemCodes.InvalidState => "Not allowed in the resource's current state.",
        ProblemCodes.PayloadTooLarge => "The request body is too large.",
        ProblemCodes.UnsupportedMediaType => "Unsupported media type.",
        ProblemCodes.ChannelNotEnabled => "Channel not enabled.",
        ProblemCodes.ChannelNotAvailable => "No channel account can take this payment now.",
        ProblemCodes.RiskDenied => "Refused by risk control.",
        ProblemCodes.RateLimited => "Too many requests.",
        _ => "The request could not be processed.",
    };

    public static ProblemHttpResult From(Problem problem)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = problem.Code };
        if (problem.Errors is { Count: > 0 } errors)
        {
            extensions["errors"] = errors;
        }

        if (problem.Reasons is { Count: > 0 } reasons)
        {
            extensions["reasons"] = reasons.ToArray();
        }

        return TypedResults.Problem(
            detail: problem.Detail,
            statusCode: StatusFor(problem.Code),
            title: TitleFor(problem.Code),
            type: $"https://docs.payments.dev/errors/{problem.Code}",
            extensions: extensions);
    }

    public static ProblemHttpResult Unauthorized() => From(new Problem(ProblemCodes.Unauthorized, "Missing or invalid credentials."));

    public static ProblemHttpResult NotFound(string what) => From(Problem.NotFound(what));

    public static ProblemHttpResult Invalid(string field, string message) =>
        From(Problem.Validation(new Dictionary<string, string[]> { [field] = [message] }));
}
