using System.Security.Cryptography;

namespace Payments.Sandbox.WeChatPay;

internal enum TradeState
{
    NotPay,
    UserPaying,
    Success,

    /// <summary>Paid, and at least one refund has succeeded.</summary>
    Refund,
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

    /// <summary>A second payment was asked of an order nobody has paid once.</summary>
    NotPaidYet,
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
    string CodeUrl,
    string? TransactionId,
    RefundInspection[] Refunds,
    string[] DuplicateTransactionIds,
    int QueryCalls);

/// <summary>A payment of the order after its first (a payer who paid twice): its own transaction, same amount.</summary>
internal sealed record DuplicatePayment(string TransactionId, DateTimeOffset SuccessTime);

/// <summary>One native order; every read and transition goes through its lock.</summary>
internal sealed class Order(string mchId, string outTradeNo, OrderTerms terms, string token, string codeUrl)
{
    private const string Digits = "0123456789";
    private const string OpenIdChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

    private readonly Lock _gate = new();
    private readonly List<NotificationRecord> _notifications = [];
    private readonly Dictionary<string, Refund> _refunds = new(StringComparer.Ordinal);
    private readonly List<DuplicatePayment> _duplicates = [];
    private TradeState _state = TradeState.NotPay;
    private string? _transactionId;
    private DateTimeOffset? _successTime;
    private string? _openId;
    private int _createCalls = 1;
    private int _closeCalls;
    private int _queryCalls;

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
                TradeState.Success or TradeState.Refund => RepeatCreateOutcome.AlreadyPaid,
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
            if (IsPaid)
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
            if (IsPaid || _state == TradeState.PayError)
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

    /// <summary>
    /// Test hook: the payer pays the already paid order again, as a double scan or a retried payment
    /// does at the real channel. The new transaction has its own transaction_id, the order's
    /// out_trade_no and amount, and is notified like the first; queries keep answering the first.
    /// </summary>
    public (DecisionOutcome Outcome, Transaction? Paid) PayAgain(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!IsPaid)
            {
                return (DecisionOutcome.NotPaidYet, null);
            }

            var duplicate = new DuplicatePayment(NewTransactionId(now), now);
            _duplicates.Add(duplicate);
            return (DecisionOutcome.Approved, new Transaction(
                Terms.Appid,
                MchId,
                OutTradeNo,
                duplicate.TransactionId,
                "NATIVE",
                StateName(TradeState.Success),
                "支付成功",
                "OTHERS",
                WeChatPayTime.Format(duplicate.SuccessTime),
                new TransactionPayer(_openId!),
                new TransactionAmount(Terms.Total, Terms.Total, Terms.Currency, Terms.Currency)));
        }
    }

    public bool HasTransaction(string transactionId)
    {
        lock (_gate)
        {
            return HasTransactionLocked(transactionId);
        }
    }

    public Transaction ToTransaction()
    {
        lock (_gate)
        {
            return ToTransactionLocked();
        }
    }

    /// <summary>The order as a query answers it; counted, so tests can see who asked.</summary>
    public Transaction AnswerQuery()
    {
        lock (_gate)
        {
            _queryCalls++;
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
                CodeUrl,
                _transactionId,
                [.. _refunds.Values.Select(r => r.Inspect(OutTradeNo))],
                [.. _duplicates.Select(d => d.TransactionId)],
                _queryCalls);
        }
    }

    public static string StateName(TradeState state) => state.ToString().ToUpperInvariant();

    /// <summary>
    /// Asks for a refund of one of the order's transactions: <paramref name="transactionId"/> when the
    /// request named one, else the order's own payment. Decided under the order's lock, so concurrent
    /// refunds of one transaction can never together exceed its total. <paramref name="claimRefundNo"/>
    /// reserves the out_refund_no for this order across the merchant, and is called only when the
    /// refund is about to be made.
    /// </summary>
    public (RefundRequestOutcome Outcome, RefundResponse? Refund) RequestRefund(
        RefundTerms terms, string? transactionId, DateTimeOffset now, Func<bool> claimRefundNo)
    {
        lock (_gate)
        {
            var target = transactionId ?? _transactionId;
            if (_refunds.TryGetValue(terms.OutRefundNo, out var existing))
            {
                if (existing.Terms != terms || existing.TransactionId != target)
                {
                    return (RefundRequestOutcome.DifferentParameters, null);
                }

                existing.Calls++;
                return (RefundRequestOutcome.Existing, existing.ToResponse(OutTradeNo));
            }

            if (!IsPaid || target is null || !HasTransactionLocked(target))
            {
                return (RefundRequestOutcome.OrderNotPaid, null);
            }

            if (terms.Total != Terms.Total || terms.Currency != Terms.Currency)
            {
                return (RefundRequestOutcome.TotalMismatch, null);
            }

            // Each transaction moved the order's total once, so each can be refunded up to it, no more.
            var held = _refunds.Values.Where(r => r.Holds && r.TransactionId == target).Sum(r => r.Terms.Refund);
            if (held + terms.Refund > Terms.Total)
            {
                return (RefundRequestOutcome.ExceedsRefundable, null);
            }

            if (!claimRefundNo())
            {
                return (RefundRequestOutcome.RefundNoTaken, null);
            }

            var refund = new Refund(terms, target, Refund.NewRefundId(now), now);
            _refunds.Add(terms.OutRefundNo, refund);
            return (RefundRequestOutcome.Created, refund.ToResponse(OutTradeNo));
        }
    }

    /// <summary>Moves a PROCESSING refund to its final status; the notice is what the merchant is told.</summary>
    public (RefundSettleOutcome Outcome, RefundNotice? Notice, string NotifyUrl) SettleRefund(string outRefundNo, RefundStatus status, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (!_refunds.TryGetValue(outRefundNo, out var refund))
            {
                return (RefundSettleOutcome.NotFound, null, "");
            }

            // An ABNORMAL refund moves on to SUCCESS once the merchant re-applies it (to another account).
            if (refund.Status != RefundStatus.Processing && !(refund.Status == RefundStatus.Abnormal && status == RefundStatus.Success))
            {
                return (RefundSettleOutcome.NotProcessing, null, "");
            }

            refund.Status = status;
            if (status == RefundStatus.Success)
            {
                refund.SucceededAt = now;

                // Returning a duplicate payment leaves the order's own payment as it was.
                if (refund.TransactionId == _transactionId)
                {
                    _state = TradeState.Refund;
                }
            }

            // The channel calls the refund's own notify_url; without one, the order's.
            return (RefundSettleOutcome.Settled, refund.ToNotice(MchId, OutTradeNo), refund.Terms.NotifyUrl ?? Terms.NotifyUrl);
        }
    }

    public RefundResponse? FindRefund(string outRefundNo)
    {
        lock (_gate)
        {
            return _refunds.TryGetValue(outRefundNo, out var refund) ? refund.ToResponse(OutTradeNo) : null;
        }
    }

    public RefundInspection? InspectRefund(string outRefundNo)
    {
        lock (_gate)
        {
            return _refunds.TryGetValue(outRefundNo, out var refund) ? refund.Inspect(OutTradeNo) : null;
        }
    }

    public void AddRefundNotification(string outRefundNo, NotificationRecord notification)
    {
        lock (_gate)
        {
            _refunds[outRefundNo].Notifications.Add(notification);
        }
    }

    /// <summary>The order's payments and refunds as the trade bill lists them.</summary>
    public OrderBill ToBill()
    {
        lock (_gate)
        {
            var payments = new List<BillPayment>();
            if (IsPaid)
            {
                payments.Add(new BillPayment(_transactionId!, _successTime!.Value));
            }

            payments.AddRange(_duplicates.Select(d => new BillPayment(d.TransactionId, d.SuccessTime)));
            return new OrderBill(
                OutTradeNo,
                Terms,
                payments,
                [.. _refunds.Values.Select(r => new BillRefund(r.TransactionId, r.Terms.OutRefundNo, r.RefundId, r.Terms.Refund, r.Status, r.CreatedAt, r.SucceededAt))]);
        }
    }

    private bool IsPaid => _state is TradeState.Success or TradeState.Refund;

    private bool HasTransactionLocked(string transactionId) =>
        transactionId == _transactionId || _duplicates.Exists(d => d.TransactionId == transactionId);

    private Transaction ToTransactionLocked()
    {
        var paid = IsPaid;
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
                TradeState.Refund => "转入退款",
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
