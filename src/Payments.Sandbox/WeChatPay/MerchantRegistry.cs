using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Payments.Sandbox.WeChatPay;

/// <summary>A merchant as onboarded; certificates accumulate so a key rotation can be rehearsed.</summary>
internal sealed record Merchant(string MchId, string ApiV3Key, ImmutableDictionary<string, byte[]> PublicKeys);

internal sealed class MerchantRegistry
{
    private readonly ConcurrentDictionary<string, Merchant> _merchants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _byChannelAccount = new(StringComparer.Ordinal);

    public Merchant Register(string mchId, string serialNo, byte[] subjectPublicKeyInfo, string apiV3Key) =>
        _merchants.AddOrUpdate(
            mchId,
            _ => new Merchant(
                mchId,
                apiV3Key,
                ImmutableDictionary.Create<string, byte[]>(StringComparer.OrdinalIgnoreCase).Add(serialNo, subjectPublicKeyInfo)),
            (_, existing) => existing with
            {
                ApiV3Key = apiV3Key,
                PublicKeys = existing.PublicKeys.SetItem(serialNo, subjectPublicKeyInfo),
            });

    public Merchant? Find(string mchId) => _merchants.TryGetValue(mchId, out var merchant) ? merchant : null;

    /// <summary>Records which of our channel accounts the merchant is, so statement routes can name it by that id.</summary>
    public void LinkChannelAccount(string channelAccountId, string mchId) => _byChannelAccount[channelAccountId] = mchId;

    public Merchant? FindByChannelAccount(string channelAccountId) =>
        _byChannelAccount.TryGetValue(channelAccountId, out var mchId) ? Find(mchId) : null;
}
