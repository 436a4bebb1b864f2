namespace Payments.Sandbox.Faults;

internal enum FaultMode
{
    Error,
    Timeout,
    Delay,
    Duplicate,
    Drop,
    Reorder,
}

/// <summary>A fault as consumed by one call.</summary>
internal sealed record Fault(FaultMode Mode, TimeSpan Delay);

/// <summary>Body of <c>POST /sandbox/faults</c>.</summary>
internal sealed record FaultRequest(string? Channel, string? Operation, string? Mode, int? Count, int? DelayMs);

/// <summary>A queued fault as reported back to the caller.</summary>
internal sealed record FaultView(string Channel, string Operation, string Mode, int Count, int DelayMs);

internal static class FaultNames
{
    public const string WeChatPay = "wechatpay";
    public const string Alipay = "alipay";
    public const string Card = "card";
    public const string Transfer = "transfer";
    public const string UnionPay = "unionpay";
    public const string Ecny = "ecny";

    public const string Create = "create";
    public const string Query = "query";
    public const string Close = "close";
    public const string Refund = "refund";
    public const string RefundQuery = "refundQuery";
    public const string Notify = "notify";
    public const string Statement = "statement";

    // Statement faults apply to the bill application (GET /v3/bill/tradebill), not to the download.
    public static readonly string[] Operations = [Create, Query, Close, Refund, RefundQuery, Notify, Statement];

    public static readonly string[] Channels = [WeChatPay, Alipay, Card, UnionPay, Ecny, Transfer];

    public static string ModeName(FaultMode mode) => mode.ToString().ToLowerInvariant();
}
