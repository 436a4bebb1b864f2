using System.Security.Cryptography;

namespace Payments.Sandbox.WeChatPay;

internal enum TradeState
{
    NotPay,
    UserPaying,
    Success,
    PayError,
    Closed,
}

internal enum RepeatCreateOutcome
{
    SameOrder,
    DifferentParameters,
    AlreadyPaid,
    Closed,
}

internal enum CloseOutcome
{
    Closed,
    AlreadyPaid,
}

internal enum DecisionOutcome
{
    Approved,
    Declined,
    OrderClosed,
    OrderExpired,
    AlreadyDecided,
}

/// <summary>What the merchant asked for; two creates are "identical" when their terms are equal.</summary>
internal sealed record OrderTerms(
    string? Appid,
    string Description,
    DateTimeOffset? TimeExpire,
    string NotifyUrl,
    int Total,
    string Currency);

internal sealed record NotificationInspection(string Id, int Attempts, int Deliveries, bool Acknowledged, bool Dropped);

internal sealed record OrderInspection(
    string OutTradeNo,
    string Mchid,
    string TradeState,
    int CreateCalls,
    int CloseCalls,
    NotificationInspection[] Notifications,
    string CodeUrl);

/// <summary>One native order; every read and transition goes through its lock.</summary>
internal sealed class Order(string mchId, string outTradeNo, OrderTerms terms, string token, string codeUrl)
{
    private const string Digits = "0123456789";
    private const string OpenIdChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

    private readonly Lock _gate = new();
    private readonly List<NotificationRecord> _notifications = [];
    private TradeState _state = TradeState.NotPay;
    private string? _transactionId;
    private DateTimeOffset? _successTime;
    private string? _openId;
    private int _createCalls = 1;
    private int _closeCalls;

    public string MchId { get; } = mchId;

    public string OutTradeNo { get; } = outTradeNo;

    public OrderTerms Terms { get; } = terms;

    public string Token { get; } = token;

    public string CodeUrl { get; } = codeUrl;

    public RepeatCreateOutcome RepeatCreate(OrderTerms requested)
    {
        lock (_gate)
        {
            var outcome = _state switch
            {
                TradeState.Success => RepeatCreateOutcome.AlreadyPaid,
                TradeState.Closed => RepeatCreateOutcome.Closed,
                _ when requested != Terms => RepeatCreateOutcome.DifferentParameters,
                _ => RepeatCreateOutcome.SameOrder,
            };
            if (outcome == RepeatCreateOutcome.SameOrder)
            {
                _createCalls++;
            }

            return outcome;
        }
    }

    public CloseOutcome Close()
    {
        lock (_gate)
        {
            _closeCalls++;
            if (_state == TradeState.Success)
            {
                return CloseOutcome.AlreadyPaid;
            }

            _state = TradeState.Closed;
            return CloseOutcome.Closed;
        }
    }

    /// <param name="force">Pays even a closed or expired order, to rehearse a late payment.</param>
    public (DecisionOutcome Outcome, Transaction? Paid) Decide(bool approve, bool force, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_state is TradeState.Success or TradeState.PayError)
            {
                return (DecisionOutcome.AlreadyDecided, null);
            }

            if (!(approve && force))
            {
                if (_state == TradeState.Closed)
                {
                    return (DecisionOutcome.OrderClosed, null);
                }

                if (Terms.TimeExpire is { } expiry && now > expiry)
                {
                    return (DecisionOutcome.OrderExpired, null);
                }
            }

            if (!approve)
            {
                _state = TradeState.PayError;
                return (DecisionOutcome.Declined, null);
            }

            _state = TradeState.Success;
            _successTime = now;
            _transactionId = NewTransactionId(now);
            _openId = "o" + RandomNumberGenerator.GetString(OpenIdChars, 27);
            return (DecisionOutcome.Approved, ToTransactionLocked());
        }
    }

    public Transaction ToTransaction()
    {
        lock (_gate)
        {
            return ToTransactionLocked();
        }
    }

    public void AddNotification(NotificationRecord notification)
    {
        lock (_gate)
        {
            _notifications.Add(notification);
        }
    }

    public OrderInspection Inspect()
    {
        lock (_gate)
        {
            return new OrderInspection(
                OutTradeNo,
                MchId,
                StateName(_state),
                _createCalls,
                _closeCalls,
                [.. _notifications.Select(n => n.Inspect())],
                CodeUrl);
        }
    }

    public static string StateName(TradeState state) => state.ToString().ToUpperInvariant();

    private Transaction ToTransactionLocked()
    {
        var paid = _state == TradeState.Success;
        return new Transaction(
            Terms.Appid,
            MchId,
            OutTradeNo,
            _transactionId,
            "NATIVE",
            StateName(_state),
            _state switch
            {
                TradeState.NotPay => "订单未支付",
                TradeState.UserPaying => "用户支付中（需要输入密码）",
                TradeState.Success => "支付成功",
                TradeState.PayError => "支付失败，请重新下单支付",
                _ => "订单已关闭",
            },
            paid ? "OTHERS" : null,
            paid ? WeChatPayTime.Format(_successTime!.Value) : null,
            paid ? new TransactionPayer(_openId!) : null,
            new TransactionAmount(Terms.Total, paid ? Terms.Total : null, Terms.Currency, Terms.Currency));
    }

    /// <summary>28 digits, shaped like the channel's: a fixed prefix, the China-time date, then random digits.</summary>
    private static string NewTransactionId(DateTimeOffset now) =>
        "4200" + RandomNumberGenerator.GetString(Digits, 6)
        + now.ToOffset(TimeSpan.FromHours(8)).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)
        + RandomNumberGenerator.GetString(Digits, 10);
}
