using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Payments.Sandbox.Shared;

namespace Payments.Sandbox.Ecny;

internal sealed record EcnyMerchant(string MerchantNo, string SerialNo, ECPublicKeyParameters PublicKey, byte[] NotifyKey, string? ChannelAccountId);

internal sealed class EcnyNotificationRecord(string id, string eventType, string? outRefundNo, string notifyUrl, string body, bool dropped) : DeliveryTally
{
    public string Id { get; } = id;
    public string NotifyUrl { get; } = notifyUrl;
    public string Body { get; } = body;

    public EcnyNotificationInspection Inspect() =>
        Read((attempts, deliveries, acknowledged) => new EcnyNotificationInspection(Id, eventType, outRefundNo, attempts, deliveries, acknowledged, dropped));
}

/// <summary>One order. Every field is read and written under <see cref="Gate"/>.</summary>
internal sealed class EcnyOrderState(EcnyMerchant merchant, string outTradeNo, string tradeType, long amount, string subject, DateTimeOffset expiresAt, string notifyUrl, string token)
{
    public Lock Gate { get; } = new();
    public EcnyMerchant Merchant { get; } = merchant;
    public string OutTradeNo { get; } = outTradeNo;
    public string OrderNo { get; } = "EC" + DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(8)).ToString("yyyyMMdd", CultureInfo.InvariantCulture) + RandomNumberGenerator.GetString("0123456789", 18);
    public string TradeType { get; } = tradeType;
    public long Amount { get; } = amount;
    public string Subject { get; } = subject;
    public DateTimeOffset ExpiresAt { get; } = expiresAt;
    public string NotifyUrl { get; } = notifyUrl;
    public string Token { get; } = token;
    public string Status { get; set; } = "WAIT_PAY";
    public DateTimeOffset? PaidAt { get; set; }
    public string? FailCode { get; set; }
    public string? FailMessage { get; set; }
    public int CreateCalls { get; set; } = 1;
    public int CloseCalls { get; set; }
    public List<EcnyRefundAnswer> Refunds { get; } = [];
    public List<DateTimeOffset> RefundTimes { get; } = [];
    public List<EcnyNotificationRecord> Notifications { get; } = [];

    public ExpiryTimer? ExpiryTimer { get; set; }

    public EcnyOrderAnswer Answer(string baseUrl) => new(
        Merchant.MerchantNo,
        OutTradeNo,
        OrderNo,
        TradeType,
        Status,
        Amount,
        "CNY",
        TradeType == "QR" && Status == "WAIT_PAY" ? baseUrl + "ecny/qr/" + Token : null,
        TradeType == "APP" && Status == "WAIT_PAY" ? baseUrl + "ecny/wallet/" + Token : null,
        PaidAt is { } paidAt ? EcnyTime.Format(paidAt) : null,
        FailCode,
        FailMessage);

    public EcnyOrderInspection Inspect()
    {
        lock (Gate)
        {
            return new(Merchant.MerchantNo, OutTradeNo, OrderNo, TradeType, Status, Amount, CreateCalls, CloseCalls, [.. Refunds], [.. Notifications.Select(n => n.Inspect())]);
        }
    }
}

internal static class EcnyTime
{
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);

    public static string Format(DateTimeOffset at) => at.ToOffset(Beijing).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static DateOnly BeijingDay(DateTimeOffset at) => DateOnly.FromDateTime(at.ToOffset(Beijing).DateTime);
}

/// <summary>Merchants, orders (by merchant and out_trade_no, and by payer-page token) and refunds, in memory.</summary>
internal sealed class EcnyStore
{
    private readonly Lock _createGate = new();
    private readonly ConcurrentDictionary<string, EcnyMerchant> _merchants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Merchant, string OutTradeNo), EcnyOrderState> _orders = new();
    private readonly ConcurrentDictionary<string, EcnyOrderState> _byToken = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Merchant, string OutRefundNo), EcnyOrderState> _refunds = new();

    public void Register(EcnyMerchant merchant) => _merchants[merchant.MerchantNo] = merchant;

    public EcnyMerchant? Merchant(string merchantNo) => _merchants.GetValueOrDefault(merchantNo);

    public EcnyMerchant? MerchantOfChannelAccount(string channelAccountId) =>
        _merchants.Values.FirstOrDefault(m => m.ChannelAccountId == channelAccountId);

    /// <summary>The order for the out_trade_no: the one already placed, or <paramref name="create"/>'s, made once even when retries race.</summary>
    public (EcnyOrderState Order, bool Created) GetOrAdd(EcnyMerchant merchant, string outTradeNo, Func<EcnyOrderState> create)
    {
        lock (_createGate)
        {
            if (_orders.TryGetValue((merchant.MerchantNo, outTradeNo), out var existing))
            {
                return (existing, false);
            }

            var order = create();
            _orders[(merchant.MerchantNo, outTradeNo)] = order;
            _byToken[order.Token] = order;
            return (order, true);
        }
    }

    public EcnyOrderState? Order(string merchantNo, string outTradeNo) => _orders.GetValueOrDefault((merchantNo, outTradeNo));

    public EcnyOrderState? AnyOrder(string outTradeNo) => _orders.FirstOrDefault(kv => kv.Key.OutTradeNo == outTradeNo).Value;

    public EcnyOrderState? ByToken(string token) => _byToken.GetValueOrDefault(token);

    public IEnumerable<EcnyOrderState> Orders(string merchantNo) => _orders.Where(kv => kv.Key.Merchant == merchantNo).Select(kv => kv.Value);

    /// <summary>Claims a refund number for an order; false when another order already has it.</summary>
    public bool ClaimRefund(string merchantNo, string outRefundNo, EcnyOrderState order) =>
        _refunds.GetOrAdd((merchantNo, outRefundNo), order) == order;

    public EcnyOrderState? OrderOfRefund(string merchantNo, string outRefundNo) => _refunds.GetValueOrDefault((merchantNo, outRefundNo));
}
