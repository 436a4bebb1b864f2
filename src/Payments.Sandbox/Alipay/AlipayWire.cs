using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Payments.Sandbox.Alipay;

// Shapes of the Alipay open API (gateway.do, version 1.0) as they travel: biz_content in, answer
// nodes out, snake_case, amounts as strings of yuan. Request members are nullable so that a missing
// field becomes ACQ.INVALID_PARAMETER rather than a deserialisation failure.

internal sealed record PrecreateBiz(string? OutTradeNo, string? TotalAmount, string? Subject, string? Body, string? TimeExpire);

internal sealed record PagePayBiz(string? OutTradeNo, string? TotalAmount, string? Subject, string? Body, string? ProductCode, string? TimeExpire);

internal sealed record TradeBiz(string? OutTradeNo, string? TradeNo);

internal sealed record RefundBiz(string? OutTradeNo, string? TradeNo, string? RefundAmount, string? OutRequestNo, string? RefundReason);

internal sealed record RefundQueryBiz(string? OutTradeNo, string? TradeNo, string? OutRequestNo, string[]? QueryOptions);

/// <summary>Any answer that is not a success: the gateway's code and msg with the business sub_code.</summary>
internal sealed record FailureAnswer(string Code, string Msg, string? SubCode, string? SubMsg, string? OutTradeNo = null);

internal sealed record PrecreateAnswer(string Code, string Msg, string OutTradeNo, string QrCode);

internal sealed record QueryAnswer(
    string Code,
    string Msg,
    string TradeNo,
    string OutTradeNo,
    string? BuyerLogonId,
    string TradeStatus,
    string TotalAmount,
    string? BuyerPayAmount,
    string? ReceiptAmount,
    string? SendPayDate,
    string? BuyerUserId);

internal sealed record CloseAnswer(string Code, string Msg, string TradeNo, string OutTradeNo);

internal sealed record RefundAnswer(
    string Code,
    string Msg,
    string TradeNo,
    string OutTradeNo,
    string? BuyerLogonId,
    string FundChange,
    string RefundFee,
    string? GmtRefundPay,
    string? BuyerUserId);

internal sealed record BillQueryBiz(string? BillType, string? BillDate);

internal sealed record BillQueryAnswer(string Code, string Msg, string BillDownloadUrl);

internal sealed record RefundQueryAnswer(
    string Code,
    string Msg,
    string? TradeNo,
    string? OutTradeNo,
    string? OutRequestNo,
    string? TotalAmount,
    string? RefundAmount,
    string? RefundStatus,
    string? GmtRefundPay);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PrecreateBiz))]
[JsonSerializable(typeof(PagePayBiz))]
[JsonSerializable(typeof(TradeBiz))]
[JsonSerializable(typeof(RefundBiz))]
[JsonSerializable(typeof(RefundQueryBiz))]
[JsonSerializable(typeof(FailureAnswer))]
[JsonSerializable(typeof(PrecreateAnswer))]
[JsonSerializable(typeof(QueryAnswer))]
[JsonSerializable(typeof(CloseAnswer))]
[JsonSerializable(typeof(RefundAnswer))]
[JsonSerializable(typeof(RefundQueryAnswer))]
[JsonSerializable(typeof(BillQueryBiz))]
[JsonSerializable(typeof(BillQueryAnswer))]
internal sealed partial class AlipayWireJson : JsonSerializerContext
{
    /// <summary>
    /// The context to write answers with: Chinese text as raw UTF-8, as the gateway writes it, not
    /// as \u escapes; adapters must verify the characters exactly as sent.
    /// </summary>
    public static AlipayWireJson Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}

// Sandbox-only shapes (onboarding, inspection, the payer's decision): camelCase like the sandbox's
// other own endpoints.

/// <summary>Body of <c>POST /sandbox/alipay/apps</c>: what a developer sets up on the open platform.
/// <c>ChannelAccountId</c> (ours) lets the statement routes name the app as reconciliation does.</summary>
internal sealed record AlipayAppRegistration(string? AppId, string? AppPublicKeyPem, string? ChannelAccountId = null);

/// <param name="AppPrivateKeyPem">Only when the sandbox generated the application key pair.</param>
internal sealed record AlipayAppRegistered(string AppId, string AlipayPublicKeyPem, string? AppPrivateKeyPem, string GatewayUrl);

internal sealed record AlipayNotificationInspection(string NotifyId, string TradeStatus, string? OutBizNo, int Attempts, int Deliveries, bool Acknowledged, bool Dropped);

internal sealed record AlipayRefundInspection(string OutRequestNo, string RefundAmount, int Calls);

internal sealed record AlipayTradeInspection(
    string OutTradeNo,
    string AppId,
    string TradeStatus,
    string? TradeNo,
    string TotalAmount,
    int PrecreateCalls,
    int CloseCalls,
    string PayUrl,
    AlipayNotificationInspection[] Notifications,
    AlipayRefundInspection[] Refunds);

/// <summary>Body of a POST to a payer page. <c>Force</c> with an approval pays even a closed or
/// expired trade: a test hook for the "payer paid after we gave up" scenario.</summary>
internal sealed record AlipayDecisionRequest(string? Decision, bool? Force);

internal sealed record AlipayDecisionResponse(string OutTradeNo, string TradeStatus);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AlipayAppRegistration))]
[JsonSerializable(typeof(AlipayAppRegistered))]
[JsonSerializable(typeof(AlipayTradeInspection))]
[JsonSerializable(typeof(AlipayDecisionRequest))]
[JsonSerializable(typeof(AlipayDecisionResponse))]
[JsonSerializable(typeof(SandboxError))]
internal sealed partial class AlipaySandboxJson : JsonSerializerContext;
