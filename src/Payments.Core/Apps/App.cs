namespace Payments.Core.Apps;

/// <summary>A merchant's business system calling our API. Secrets are listed newest first; more than
/// one is valid only during a rotation's overlap window. <paramref name="Routes"/>, when it has a list for a
/// channel, spreads that channel's payments over several accounts; else the channel's one account in
/// <paramref name="ChannelAccounts"/> takes them all.</summary>
public sealed record App(
    string Id,
    string MerchantId,
    string Name,
    IReadOnlyDictionary<string, string> ChannelAccounts,
    string? NotifyUrl,
    IReadOnlyList<Secret> AppSecrets,
    IReadOnlyList<Secret> WebhookSecrets,
    bool Active = true,
    DateTimeOffset? PreviousSecretsValidUntil = null,
    IReadOnlyDictionary<string, IReadOnlyList<Routing.RouteCandidate>>? Routes = null)
{
    public bool IsChannelEnabled(string channel) => ChannelAccounts.ContainsKey(channel);

    /// <summary>The secrets a request may be signed with now: the newest, plus the previous ones until
    /// the rotation's overlap window closes.</summary>
    public IEnumerable<Secret> AppSecretsAt(DateTimeOffset now) => ValidAt(AppSecrets, now);

    /// <summary>The secrets webhooks are signed with now (one v1= signature each).</summary>
    public IEnumerable<Secret> WebhookSecretsAt(DateTimeOffset now) => ValidAt(WebhookSecrets, now);

    private IEnumerable<Secret> ValidAt(IReadOnlyList<Secret> secrets, DateTimeOffset now) =>
        PreviousSecretsValidUntil is { } until && now >= until ? secrets.Take(1) : secrets;
}

public interface IAppDirectory
{
    Task<App?> GetAppAsync(string appId, CancellationToken cancellationToken);
}

public interface IChannelAccountDirectory
{
    Task<Channels.ChannelAccount?> GetChannelAccountAsync(string channelAccountId, CancellationToken cancellationToken);
}

/// <summary>Remembers request nonces per app across instances: true the first time a nonce is seen
/// while its time stamp is in the window.</summary>
public interface INonceStore
{
    Task<bool> TryUseAsync(string appId, string nonce, DateTimeOffset requestTime, CancellationToken cancellationToken);
}
