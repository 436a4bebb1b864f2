using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Payments.Sandbox.WeChatPay;

internal sealed class OrderStore
{
    private const string TokenChars = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly ConcurrentDictionary<(string MchId, string OutTradeNo), Order> _orders = new();
    private readonly ConcurrentDictionary<string, Order> _byToken = new(StringComparer.Ordinal);

    /// <summary>Creates the order, or returns the existing one for the caller to compare against.</summary>
    public (Order Order, bool Created) GetOrCreate(
        string mchId, string outTradeNo, OrderTerms terms, Func<string, string> codeUrlForToken)
    {
        var token = RandomNumberGenerator.GetString(TokenChars, 24);
        var candidate = new Order(mchId, outTradeNo, terms, token, codeUrlForToken(token));
        var order = _orders.GetOrAdd((mchId, outTradeNo), candidate);
        if (!ReferenceEquals(order, candidate))
        {
            return (order, false);
        }

        _byToken[token] = order;
        return (order, true);
    }

    public Order? Find(string mchId, string outTradeNo) =>
        _orders.TryGetValue((mchId, outTradeNo), out var order) ? order : null;

    /// <summary>For inspection, where the caller may not name the merchant.</summary>
    public Order? FindAny(string outTradeNo) =>
        _orders.FirstOrDefault(entry => entry.Key.OutTradeNo == outTradeNo).Value;

    public Order? FindByToken(string token) => _byToken.TryGetValue(token, out var order) ? order : null;
}
