using System.Collections.Concurrent;
using System.Security.Cryptography;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.UnionPay;

internal sealed record UnionPayMerchant(string MerId, string CertId, byte[] PublicKey, string? ChannelAccountId);

/// <summary>The terms an order was placed with; a repeated front-end request must carry the same.</summary>
internal sealed record UnionPayTerms(long TxnAmt, string BackUrl, string? FrontUrl, DateTimeOffset PayTimeout, string TxnTime, string Kind);

internal sealed record UnionPayRefund(string OrderId, string QueryId, long TxnAmt, string TxnTime, DateTimeOffset RefundedAt, string BackUrl);

internal sealed class UnionPayNotificationRecord(string queryId, string txnType, string body) : DeliveryTally
{
    public string QueryId { get; } = queryId;
    public string Body { get; } = body;

    public UnionPayNotificationView View() => Read((attempts, deliveries, acknowledged) => new UnionPayNotificationView(QueryId, txnType, attempts, deliveries, acknowledged));
}

/// <summary>
/// A consume. <c>unpaid</c> until the payer approves (<c>paid</c>) or declines (<c>failed</c>), or
/// <c>payTimeout</c> passes (<c>expired</c>). <see cref="Attempted"/>: the payer reached the cashier, so UnionPay
/// has a transaction to answer queries about.
/// </summary>
internal sealed class UnionPayOrder(UnionPayMerchant merchant, string orderId, UnionPayTerms terms, string token)
{
    public Lock Gate { get; } = new();
    public UnionPayMerchant Merchant { get; } = merchant;
    public string OrderId { get; } = orderId;
    public UnionPayTerms Terms { get; } = terms;
    public string Token { get; } = token;
    public string Status { get; set; } = "unpaid";
    public bool Attempted { get; set; }
    public string? QueryId { get; set; }
    public DateTimeOffset? PaidAt { get; set; }
    public int CreateCalls { get; set; } = 1;
    public List<UnionPayRefund> Refunds { get; } = [];
    public List<UnionPayNotificationRecord> Notifications { get; } = [];

    public ExpiryTimer? ExpiryTimer { get; set; }

    public UnionPayOrderView View()
    {
        lock (Gate)
        {
            return new(OrderId, Merchant.MerId, Status, Terms.Kind, Terms.TxnAmt, QueryId, Attempted, CreateCalls,
                [.. Refunds.Select(r => new UnionPayRefundView(r.OrderId, r.QueryId, r.TxnAmt))], [.. Notifications.Select(n => n.View())]);
        }
    }
}

/// <summary>Merchants (by merId and certId), orders and refunds, in memory as the sandbox's state is.</summary>
internal sealed class UnionPayStore
{
    private readonly Lock _createGate = new();
    private readonly ConcurrentDictionary<string, UnionPayMerchant> _merchants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string MerId, string OrderId), UnionPayOrder> _orders = new();
    private readonly ConcurrentDictionary<string, UnionPayOrder> _byToken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string MerId, string OrderId), UnionPayOrder> _refunds = new();

    public UnionPayMerchant Register(string merId, byte[] publicKey, string? channelAccountId)
    {
        // UnionPay names the merchant's signing certificate by its serial number, in decimal.
        string certId = RandomNumberGenerator.GetString("123456789", 1) + RandomNumberGenerator.GetString("0123456789", 10);
        var merchant = new UnionPayMerchant(merId, certId, publicKey, channelAccountId);
        _merchants[merId] = merchant;
        return merchant;
    }

    public UnionPayMerchant? Merchant(string merId) => _merchants.GetValueOrDefault(merId);

    public UnionPayMerchant? MerchantOfAccount(string channelAccountId) => _merchants.Values.FirstOrDefault(m => m.ChannelAccountId == channelAccountId);

    /// <summary>The order for the orderId: the one already placed, or a new one, made once even when requests race.</summary>
    public (UnionPayOrder Order, bool Created) GetOrAdd(UnionPayMerchant merchant, string orderId, UnionPayTerms terms)
    {
        lock (_createGate)
        {
            if (_orders.TryGetValue((merchant.MerId, orderId), out var existing))
            {
                return (existing, false);
            }

            var order = new UnionPayOrder(merchant, orderId, terms, RandomNumberGenerator.GetHexString(32, lowercase: true));
            _orders[(merchant.MerId, orderId)] = order;
            _byToken[order.Token] = order;
            return (order, true);
        }
    }

    public UnionPayOrder? Order(string merId, string orderId) => _orders.GetValueOrDefault((merId, orderId));

    public UnionPayOrder? AnyOrder(string orderId) => _orders.FirstOrDefault(kv => kv.Key.OrderId == orderId).Value;

    public UnionPayOrder? ByToken(string token) => _byToken.GetValueOrDefault(token);

    public IEnumerable<UnionPayOrder> Orders(string merId) => _orders.Where(kv => kv.Key.MerId == merId).Select(kv => kv.Value);

    public UnionPayOrder? ByQueryId(string merId, string queryId) => Orders(merId).FirstOrDefault(o => o.QueryId == queryId);

    /// <summary>Claims a refund orderId for an order; false when another order already has it.</summary>
    public bool ClaimRefund(string merId, string refundOrderId, UnionPayOrder order) => _refunds.GetOrAdd((merId, refundOrderId), order) == order;

    public UnionPayOrder? OrderOfRefund(string merId, string refundOrderId) => _refunds.GetValueOrDefault((merId, refundOrderId));
}

/// <summary>
/// Lapses unpaid orders at <c>payTimeout</c>. One timer per order on the injected clock; every read applies a
/// due expiry first, so answers never depend on timer slack. UnionPay sends no notification for a lapsed order.
/// </summary>
internal sealed class UnionPayExpiry(TimeProvider time)
{
    public void Track(UnionPayOrder order) => order.ExpiryTimer = new ExpiryTimer(time, order.Terms.PayTimeout, () => Refresh(order));

    public void Refresh(UnionPayOrder order)
    {
        lock (order.Gate)
        {
            if (order.Status == "unpaid" && time.GetUtcNow() >= order.Terms.PayTimeout)
            {
                order.Status = "expired";
            }
        }
    }
}
