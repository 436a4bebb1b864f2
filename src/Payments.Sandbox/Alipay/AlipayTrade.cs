using System.Security.Cryptography;

namespace Payments.Sandbox.Alipay;

internal enum TradeStage
{
    /// <summary>Precreated or linked to, but no payer has scanned or opened it: Alipay has no trade yet.</summary>
    NotCreated,
    WaitBuyerPay,
    TradeSuccess,
    TradeClosed,
}

internal enum TradeRepeat
{
    Same,
    DifferentParameters,
    AlreadyPaid,
    Closed,
}

internal enum PayerOutcome
{
    Paid,

    /// <summary>The payment attempt failed; the trade stays payable until it expires, as Alipay's does.</summary>
    Declined,
    Closed,
    Expired,
    AlreadyPaid,
}

internal enum TradeCloseOutcome
{
    Closed,
    NotExist,
    AlreadyPaid,
}

internal enum RefundOutcome
{
    /// <summary>Money moved now: fund_change Y.</summary>
    Refunded,

    /// <summary>The same out_request_no and amount again: fund_change N.</summary>
    Repeated,
    NotExist,
    NotPaid,
    DifferentAmount,
    ExceedsRefundable,
}

/// <summary>What the merchant asked for; repeating an out_trade_no must ask for exactly the same.</summary>
internal sealed record TradeTerms(long TotalFen, string Subject, string? Body, DateTimeOffset? TimeExpire, string? NotifyUrl, string ProductCode);

/// <summary>What the bill needs of a trade, read under its lock.</summary>
internal sealed record TradeBillSnapshot(
    string OutTradeNo, string? TradeNo, string Subject, long TotalFen, DateTimeOffset? CreatedAt, DateTimeOffset? PaidAt, string? BuyerLogonId, IReadOnlyList<TradeRefund> Refunds);

internal sealed record TradeRefund(string OutRequestNo, long AmountFen, string? Reason, DateTimeOffset RefundedAt)
{
    public int Calls { get; set; } = 1;
}

/// <summary>
/// One trade of one app. Every read and transition takes its lock, so concurrent payers, merchant
/// calls and expiry timers see one order of events and refunds never exceed the total.
/// </summary>
internal sealed class AlipayTrade(string appId, string outTradeNo, TradeTerms terms, string payUrl)
{
    private const string Digits = "0123456789";

    private readonly Lock _gate = new();
    private readonly List<AlipayNotificationRecord> _notifications = [];
    private readonly Dictionary<string, TradeRefund> _refunds = new(StringComparer.Ordinal);
    private TradeStage _stage = TradeStage.NotCreated;
    private string? _tradeNo;
    private string? _buyerId;
    private string? _buyerLogonId;
    private DateTimeOffset? _createdAt;
    private DateTimeOffset? _paidAt;
    private DateTimeOffset? _closedAt;
    private int _precreateCalls = 1;
    private int _closeCalls;

    public string AppId { get; } = appId;

    public string OutTradeNo { get; } = outTradeNo;

    public TradeTerms Terms { get; } = terms;

    /// <summary>The QR code's URL (precreate) or the cashier URL (page pay): where the payer decides.</summary>
    public string PayUrl { get; } = payUrl;

    /// <summary>Alipay's number for the trade, once it has one.</summary>
    public string? TradeNo
    {
        get
        {
            lock (_gate)
            {
                return _tradeNo;
            }
        }
    }

    public TradeRepeat Repeat(TradeTerms requested)
    {
        lock (_gate)
        {
            var outcome = _stage switch
            {
                TradeStage.TradeSuccess => TradeRepeat.AlreadyPaid,
                TradeStage.TradeClosed => TradeRepeat.Closed,
                _ when requested != Terms => TradeRepeat.DifferentParameters,
                _ => TradeRepeat.Same,
            };
            if (outcome == TradeRepeat.Same)
            {
                _precreateCalls++;
            }

            return outcome;
        }
    }

    /// <summary>The payer scans the code or opens the cashier: from now on Alipay has the trade.</summary>
    public void Open(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_stage == TradeStage.NotCreated && !IsExpired(now))
            {
                CreateLocked(now);
            }
        }
    }

    /// <param name="force">Pays even a closed or expired trade, to rehearse a late payment.</param>
    /// <returns>The notification to send when the trade was paid now.</returns>
    public (PayerOutcome Outcome, Dictionary<string, string>? Notice) Decide(bool approve, bool force, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_paidAt is not null)
            {
                return (PayerOutcome.AlreadyPaid, null);
            }

            if (!(approve && force))
            {
                if (_stage == TradeStage.TradeClosed)
                {
                    return (PayerOutcome.Closed, null);
                }

                if (IsExpired(now))
                {
                    return (PayerOutcome.Expired, null);
                }
            }

            if (_stage == TradeStage.NotCreated)
            {
                CreateLocked(now);
            }

            if (!approve)
            {
                return (PayerOutcome.Declined, null);
            }

            _stage = TradeStage.TradeSuccess;
            _paidAt = now;
            _closedAt = null;
            return (PayerOutcome.Paid, NoticeLocked(now));
        }
    }

    /// <summary>
    /// Closes an unpaid trade whose time_expire has passed. Returns the TRADE_CLOSED notification when
    /// a trade Alipay had was closed now; a code nobody scanned just stops working, silently.
    /// </summary>
    public Dictionary<string, string>? ExpireIfDue(DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_stage != TradeStage.WaitBuyerPay || !IsExpired(now))
            {
                return null;
            }

            _stage = TradeStage.TradeClosed;
            _closedAt = now;
            return NoticeLocked(now);
        }
    }

    public (TradeCloseOutcome Outcome, Dictionary<string, string>? Notice) Close(DateTimeOffset now)
    {
        lock (_gate)
        {
            _closeCalls++;
            switch (_stage)
            {
                case TradeStage.NotCreated:
                    return (TradeCloseOutcome.NotExist, null);
                case TradeStage.TradeSuccess:
                    return (TradeCloseOutcome.AlreadyPaid, null);
                case TradeStage.TradeClosed:
                    return (TradeCloseOutcome.Closed, null);
                default:
                    _stage = TradeStage.TradeClosed;
                    _closedAt = now;
                    return (TradeCloseOutcome.Closed, NoticeLocked(now));
            }
        }
    }

    /// <summary>The trade as alipay.trade.query answers it, or null while Alipay has no trade.</summary>
    public QueryAnswer? Query()
    {
        lock (_gate)
        {
            if (_stage == TradeStage.NotCreated)
            {
                return null;
            }

            bool paid = _paidAt is not null;
            string? paidAmount = paid ? AlipaySignatures.Yuan(Terms.TotalFen) : null;
            return new QueryAnswer(
                "10000",
                "Success",
                _tradeNo!,
                OutTradeNo,
                _buyerLogonId,
                StageName(_stage),
                AlipaySignatures.Yuan(Terms.TotalFen),
                paid ? paidAmount : "0.00",
                paid ? paidAmount : "0.00",
                paid ? AlipaySignatures.Time(_paidAt!.Value) : null,
                _buyerId);
        }
    }

    /// <summary>
    /// A synchronous refund, decided under the lock. A full refund closes the trade (TRADE_CLOSED), a
    /// partial one leaves it TRADE_SUCCESS; either way the trade's notify_url hears of it, with the
    /// refund's out_request_no as out_biz_no.
    /// </summary>
    public (RefundOutcome Outcome, RefundAnswer? Answer, Dictionary<string, string>? Notice) Refund(string outRequestNo, long amountFen, string? reason, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (_stage == TradeStage.NotCreated)
            {
                return (RefundOutcome.NotExist, null, null);
            }

            if (_refunds.TryGetValue(outRequestNo, out var existing))
            {
                if (existing.AmountFen != amountFen)
                {
                    return (RefundOutcome.DifferentAmount, null, null);
                }

                existing.Calls++;
                return (RefundOutcome.Repeated, RefundAnswerLocked("N", existing), null);
            }

            if (_paidAt is null)
            {
                return (RefundOutcome.NotPaid, null, null);
            }

            if (RefundedFen + amountFen > Terms.TotalFen)
            {
                return (RefundOutcome.ExceedsRefundable, null, null);
            }

            var refund = new TradeRefund(outRequestNo, amountFen, reason, now);
            _refunds.Add(outRequestNo, refund);
            if (RefundedFen == Terms.TotalFen)
            {
                _stage = TradeStage.TradeClosed;
                _closedAt = now;
            }

            var notice = NoticeLocked(now);
            notice["out_biz_no"] = outRequestNo;
            notice["refund_fee"] = AlipaySignatures.Yuan(RefundedFen);
            notice["gmt_refund"] = AlipaySignatures.Time(now) + "." + now.Millisecond.ToString("000", System.Globalization.CultureInfo.InvariantCulture);
            return (RefundOutcome.Refunded, RefundAnswerLocked("Y", refund), notice);
        }
    }

    /// <summary>Null trade: Alipay has none. Null refund: no refund under that out_request_no.</summary>
    public (bool TradeExists, RefundQueryAnswer Answer) QueryRefund(string outRequestNo, bool withRefundTime)
    {
        lock (_gate)
        {
            if (_stage == TradeStage.NotCreated)
            {
                return (false, new RefundQueryAnswer("10000", "Success", null, null, null, null, null, null, null));
            }

            // Alipay's rule: without refund data the refund was never made.
            return _refunds.TryGetValue(outRequestNo, out var refund)
                ? (true, new RefundQueryAnswer(
                    "10000",
                    "Success",
                    _tradeNo,
                    OutTradeNo,
                    outRequestNo,
                    AlipaySignatures.Yuan(Terms.TotalFen),
                    AlipaySignatures.Yuan(refund.AmountFen),
                    "REFUND_SUCCESS",
                    withRefundTime ? AlipaySignatures.Time(refund.RefundedAt) : null))
                : (true, new RefundQueryAnswer("10000", "Success", null, null, null, null, null, null, null));
        }
    }

    public TradeBillSnapshot ToBill()
    {
        lock (_gate)
        {
            return new TradeBillSnapshot(OutTradeNo, _tradeNo, Terms.Subject, Terms.TotalFen, _createdAt, _paidAt, _buyerLogonId, [.. _refunds.Values]);
        }
    }

    public void AddNotification(AlipayNotificationRecord record)
    {
        lock (_gate)
        {
            _notifications.Add(record);
        }
    }

    public AlipayTradeInspection Inspect()
    {
        lock (_gate)
        {
            return new AlipayTradeInspection(
                OutTradeNo,
                AppId,
                _stage == TradeStage.NotCreated ? "NOT_CREATED" : StageName(_stage),
                _tradeNo,
                AlipaySignatures.Yuan(Terms.TotalFen),
                _precreateCalls,
                _closeCalls,
                PayUrl,
                [.. _notifications.Select(n => n.Inspect())],
                [.. _refunds.Values.Select(r => new AlipayRefundInspection(r.OutRequestNo, AlipaySignatures.Yuan(r.AmountFen), r.Calls))]);
        }
    }

    private long RefundedFen => _refunds.Values.Sum(r => r.AmountFen);

    private bool IsExpired(DateTimeOffset now) => Terms.TimeExpire is { } expiry && now >= expiry;

    private void CreateLocked(DateTimeOffset now)
    {
        _stage = TradeStage.WaitBuyerPay;
        _createdAt = now;
        _tradeNo = NewTradeNo(now);
        _buyerId = "2088" + RandomNumberGenerator.GetString(Digits, 12);
        _buyerLogonId = RandomNumberGenerator.GetString(Digits, 3) + "****" + RandomNumberGenerator.GetString(Digits, 4);
    }

    private RefundAnswer RefundAnswerLocked(string fundChange, TradeRefund refund) => new(
        "10000",
        "Success",
        _tradeNo!,
        OutTradeNo,
        _buyerLogonId,
        fundChange,
        AlipaySignatures.Yuan(RefundedFen),
        AlipaySignatures.Time(refund.RefundedAt),
        _buyerId);

    /// <summary>The parameters of a trade_status_sync notification about the trade as it is now (unsigned).</summary>
    private Dictionary<string, string> NoticeLocked(DateTimeOffset now)
    {
        var notice = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["notify_time"] = AlipaySignatures.Time(now),
            ["notify_type"] = "trade_status_sync",
            ["notify_id"] = RandomNumberGenerator.GetString("0123456789abcdef", 34),
            ["app_id"] = AppId,
            ["auth_app_id"] = AppId,
            ["charset"] = "utf-8",
            ["version"] = "1.0",
            ["sign_type"] = "RSA2",
            ["trade_no"] = _tradeNo!,
            ["out_trade_no"] = OutTradeNo,
            ["buyer_id"] = _buyerId!,
            ["buyer_logon_id"] = _buyerLogonId!,
            ["seller_id"] = "2088" + AppId.PadLeft(12, '0')[^12..],
            ["trade_status"] = StageName(_stage),
            ["total_amount"] = AlipaySignatures.Yuan(Terms.TotalFen),
            ["subject"] = Terms.Subject,
            ["gmt_create"] = AlipaySignatures.Time(_createdAt!.Value),
        };
        if (Terms.Body is { Length: > 0 } body)
        {
            notice["body"] = body;
        }

        if (_paidAt is { } paidAt)
        {
            string paid = AlipaySignatures.Yuan(Terms.TotalFen);
            notice["gmt_payment"] = AlipaySignatures.Time(paidAt);
            notice["receipt_amount"] = paid;
            notice["invoice_amount"] = paid;
            notice["buyer_pay_amount"] = paid;
            notice["point_amount"] = "0.00";
            notice["fund_bill_list"] = $$"""[{"amount":"{{paid}}","fundChannel":"ALIPAYACCOUNT"}]""";
        }

        if (_closedAt is { } closedAt)
        {
            notice["gmt_close"] = AlipaySignatures.Time(closedAt);
        }

        return notice;
    }

    private static string StageName(TradeStage stage) => stage switch
    {
        TradeStage.WaitBuyerPay => "WAIT_BUYER_PAY",
        TradeStage.TradeSuccess => "TRADE_SUCCESS",
        TradeStage.TradeClosed => "TRADE_CLOSED",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "A trade Alipay does not have has no status."),
    };

    /// <summary>28 digits shaped like Alipay's: the Beijing date, "2200", then random digits.</summary>
    private static string NewTradeNo(DateTimeOffset now) =>
        now.ToOffset(TimeSpan.FromHours(8)).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture)
        + "2200" + RandomNumberGenerator.GetString(Digits, 16);
}
