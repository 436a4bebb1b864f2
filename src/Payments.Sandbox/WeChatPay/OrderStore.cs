using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Payments.Sandbox.WeChatPay;

internal sealed class OrderStore
{
    private const string TokenChars = "abcdefghijklmnopqrstuvwxyz0123456789";

    private readonly ConcurrentDictionary<(string MchId, string OutTradeNo), Order> _orders = new();
    private readonly ConcurrentDictionary<string, Order> _byToken = new(StringComparer.Ordinal);

    // out_refund_no is unique per merchant, not per order.
    private readonly ConcurrentDictionary<(string MchId, string OutRefundNo), Order> _refundOwners = new();

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

    /// <summary>Every order of a merchant, for statements. A scan: the sandbox holds one run's orders.</summary>
    public IEnumerable<Order> OrdersOf(string mchId) =>
        _orders.Where(entry => entry.Key.MchId == mchId).Select(entry => entry.Value);

    public Order? FindByToken(string token) => _byToken.TryGetValue(token, out var order) ? order : null;

    /// <summary>The order one of whose payments has this transaction_id. A scan: refunds by transaction
    /// are rare and the sandbox holds one run's orders.</summary>
    public Order? FindByTransaction(string mchId, string transactionId) =>
        _orders.Values.FirstOrDefault(order => order.MchId == mchId && order.HasTransaction(transactionId));

    /// <summary>Reserves out_refund_no for the order; false when another order of the merchant holds it.</summary>
    public bool ClaimRefundNo(Order order, string outRefundNo) =>
        ReferenceEquals(_refundOwners.GetOrAdd((order.MchId, outRefundNo), order), order);

    /// <summary>The order whose refund the out_refund_no names, if any.</summary>
    public Order? FindRefundOwner(string mchId, string outRefundNo) =>
        _refundOwners.TryGetValue((mchId, outRefundNo), out var order) ? order : null;

    /// <summary>For inspection and test hooks, where the caller may not name the merchant.</summary>
    public Order? FindAnyRefundOwner(string outRefundNo) =>
        _refundOwners.FirstOrDefault(entry => entry.Key.OutRefundNo == outRefundNo).Value;
}
