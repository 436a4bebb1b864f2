using Microsoft.AspNetCore.Diagnostics;
using Payments.Core;

namespace Payments.Functions.Api;

/// <summary>ASP.NET Core reports a query or route value it cannot bind (waitForSeconds=abc) by throwing
/// BadHttpRequestException; the exception handler would turn that into a 500. It is the caller's
/// mistake: answer 400 with our stable code, naming the parameter when the framework said which.</summary>
internal sealed partial class BadRequestExceptionHandler : IExceptionHandler
{
    [System.Text.RegularExpressions.GeneratedRegex("parameter \"(?:[^ ]+ )?(?<name>[A-Za-z0-9_]{1,64})\"")]
    private static partial System.Text.RegularExpressions.Regex ParameterName();

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var problem = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
            ? new Problem(ProblemCodes.PayloadTooLarge, "The request body is too large.")
            : Problem.Validation(new Dictionary<string, string[]>
            {
                [ParameterName().Match(bad.Message) is { Success: true } m ? m.Groups["name"].Value : "request"] = ["Malformed value."],
            });
        await Problems.From(problem).ExecuteAsync(httpContext);
        return true;
    }
}
