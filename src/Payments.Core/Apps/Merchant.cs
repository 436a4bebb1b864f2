using Payments.Core.Payments;

namespace Payments.Core.Apps;

public enum MerchantStatus
{
    PendingReview,
    Active,
    Suspended,
}

public static class MerchantStatusExtensions
{
    public static string ToWire(this MerchantStatus status) => status switch
    {
        MerchantStatus.PendingReview => "pending_review",
        MerchantStatus.Active => "active",
        _ => "suspended",
    };
}

/// <summary>A business we take payments for. Only an active merchant's apps may call the merchant API;
/// suspending one stops new requests, while payments already in flight still finish, because queue
/// consumers never ask.</summary>
public sealed record Merchant(string Id, string Name, string ContactEmail, MerchantStatus Status, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>Review approves (pending_review -> active); activate also lifts a suspension.</summary>
    public Result<Merchant> Activate(DateTimeOffset at) => Status switch
    {
        MerchantStatus.PendingReview or MerchantStatus.Suspended => this with { Status = MerchantStatus.Active, UpdatedAt = at },
        _ => new Problem(ProblemCodes.InvalidState, "The merchant is already active."),
    };

    public Result<Merchant> Suspend(DateTimeOffset at) => Status switch
    {
        MerchantStatus.Active or MerchantStatus.PendingReview => this with { Status = MerchantStatus.Suspended, UpdatedAt = at },
        _ => new Problem(ProblemCodes.InvalidState, "The merchant is already suspended."),
    };
}

public interface IMerchantDirectory
{
    /// <summary>Read through a short cache: for the per-request status check.</summary>
    Task<Merchant?> GetMerchantCachedAsync(string merchantId, CancellationToken cancellationToken);

    Task<Versioned<Merchant>?> GetMerchantAsync(string merchantId, CancellationToken cancellationToken);

    /// <summary>False when a merchant with that id exists.</summary>
    Task<bool> TryAddMerchantAsync(Merchant merchant, CancellationToken cancellationToken);

    Task<bool> TryReplaceMerchantAsync(Versioned<Merchant> current, Merchant next, CancellationToken cancellationToken);

    IAsyncEnumerable<Merchant> ListMerchantsAsync(CancellationToken cancellationToken);
}
