namespace Payments.Core;

/// <summary>An expected failure of a use case, with a stable machine code. The HTTP layer maps codes
/// to statuses in one place.</summary>
public sealed record Problem(string Code, string Detail, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    /// <summary>Machine reason codes (risk_denied lists the rules that refused).</summary>
    public IReadOnlyList<string>? Reasons { get; init; }

    public static Problem Validation(IReadOnlyDictionary<string, string[]> errors) =>
        new(ProblemCodes.ValidationFailed, "One or more fields are invalid.", errors);

    public static Problem NotFound(string what) => new(ProblemCodes.NotFound, $"No such {what}.");
}

public static class ProblemCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string MerchantSuspended = "merchant_suspended";
    public const string MerchantNotActive = "merchant_not_active";
    public const string NotFound = "not_found";
    public const string IdempotencyConflict = "idempotency_conflict";
    public const string InvalidState = "invalid_state";
    public const string ChannelNotEnabled = "channel_not_enabled";
    public const string ChannelNotAvailable = "channel_not_available";
    public const string AmountExceedsRefundable = "amount_exceeds_refundable";
    public const string RiskDenied = "risk_denied";
    public const string RateLimited = "rate_limited";
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string Conflict = "concurrency_conflict";
}

/// <summary>A use case's answer: a value or a problem.</summary>
public readonly record struct Result<T>
{
    private Result(T? value, Problem? problem)
    {
        Value = value;
        Problem = problem;
    }

    public T? Value { get; }

    public Problem? Problem { get; }

    public bool IsSuccess => Problem is null;

    public static implicit operator Result<T>(T value) => new(value, null);

    public static implicit operator Result<T>(Problem problem) => new(default, problem);
}
