using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace Payments.Sandbox.Alipay;

/// <summary>An app as onboarded on the open platform: its id and the public half of its key.</summary>
internal sealed record AlipayApp(string AppId, byte[] PublicKey);

internal sealed class AlipayAppRegistry
{
    private readonly ConcurrentDictionary<string, string> _byChannelAccount = new(StringComparer.Ordinal);
    private ImmutableDictionary<string, AlipayApp> _apps = ImmutableDictionary.Create<string, AlipayApp>(StringComparer.Ordinal);

    /// <summary>Registers the app, or replaces its key: the platform keeps one application key per app.</summary>
    public AlipayApp Register(string appId, byte[] subjectPublicKeyInfo, string? channelAccountId)
    {
        var app = ImmutableInterlocked.AddOrUpdate(ref _apps, appId, new AlipayApp(appId, subjectPublicKeyInfo), (_, _) => new AlipayApp(appId, subjectPublicKeyInfo));
        if (channelAccountId is { Length: > 0 })
        {
            _byChannelAccount[channelAccountId] = appId;
        }

        return app;
    }

    public AlipayApp? Find(string appId) => _apps.TryGetValue(appId, out var app) ? app : null;

    public AlipayApp? FindByChannelAccount(string channelAccountId) =>
        _byChannelAccount.TryGetValue(channelAccountId, out var appId) ? Find(appId) : null;
}

internal sealed class AlipayTradeStore
{
    private readonly ConcurrentDictionary<(string AppId, string OutTradeNo), AlipayTrade> _trades = new();
    private readonly ConcurrentDictionary<string, AlipayTrade> _byToken = new(StringComparer.Ordinal);

    /// <summary>Creates the trade, or returns the existing one for the caller to compare against.</summary>
    public (AlipayTrade Trade, bool Created) GetOrCreate(string appId, string outTradeNo, TradeTerms terms, string token, string payUrl)
    {
        var candidate = new AlipayTrade(appId, outTradeNo, terms, payUrl);
        var trade = _trades.GetOrAdd((appId, outTradeNo), candidate);
        if (!ReferenceEquals(trade, candidate))
        {
            return (trade, false);
        }

        _byToken[token] = trade;
        return (trade, true);
    }

    public AlipayTrade? Find(string appId, string outTradeNo) =>
        _trades.TryGetValue((appId, outTradeNo), out var trade) ? trade : null;

    public AlipayTrade? FindByTradeNo(string appId, string tradeNo) =>
        _trades.Values.FirstOrDefault(trade => trade.AppId == appId && trade.TradeNo == tradeNo);

    public IEnumerable<AlipayTrade> TradesOf(string appId) =>
        _trades.Where(entry => entry.Key.AppId == appId).Select(entry => entry.Value);

    /// <summary>For inspection, where the caller may not name the app.</summary>
    public AlipayTrade? FindAny(string outTradeNo) =>
        _trades.FirstOrDefault(entry => entry.Key.OutTradeNo == outTradeNo).Value;

    public AlipayTrade? FindByToken(string token) => _byToken.TryGetValue(token, out var trade) ? trade : null;
}
