using System.Text.Json.Serialization;

namespace Payments.Channels.Alipay;

// Wire shapes of the Alipay open API (gateway.do, version 1.0). biz_content is JSON inside a form
// field; answers are JSON. Amounts travel as strings of yuan ("19.99"). Everything read from the
// wire is nullable: a missing field must be noticed, not defaulted.

/// <summary>biz_content of alipay.trade.precreate (QR code payment).</summary>
internal sealed record AlipayPrecreateContent(
    [property: JsonPropertyName("out_trade_no")] string OutTradeNo,
    [property: JsonPropertyName("total_amount")] string TotalAmount,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("time_expire")] string TimeExpire);

/// <summary>biz_content of alipay.trade.page.pay (desktop cashier page).</summary>
internal sealed record AlipayPagePayContent(
    [property: JsonPropertyName("out_trade_no")] string OutTradeNo,
    [property: JsonPropertyName("total_amount")] string TotalAmount,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("body")] string? Body,
    [property: JsonPropertyName("product_code")] string ProductCode,
    [property: JsonPropertyName("time_expire")] string TimeExpire);

/// <summary>biz_content of alipay.trade.query and alipay.trade.close.</summary>
internal sealed record AlipayTradeContent(
    [property: JsonPropertyName("out_trade_no")] string OutTradeNo);

/// <summary>biz_content of alipay.trade.refund: the trade by our order number, or by Alipay's trade_no.</summary>
internal sealed record AlipayRefundContent(
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("trade_no")] string? TradeNo,
    [property: JsonPropertyName("refund_amount")] string RefundAmount,
    [property: JsonPropertyName("out_request_no")] string OutRequestNo,
    [property: JsonPropertyName("refund_reason")] string? RefundReason);

/// <summary>biz_content of alipay.trade.fastpay.refund.query.</summary>
internal sealed record AlipayRefundQueryContent(
    [property: JsonPropertyName("out_trade_no")] string OutTradeNo,
    [property: JsonPropertyName("out_request_no")] string OutRequestNo,
    [property: JsonPropertyName("query_options")] string[] QueryOptions);

/// <summary>The status fields every answer node has.</summary>
internal sealed record AlipayStatus(
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("msg")] string? Msg,
    [property: JsonPropertyName("sub_code")] string? SubCode,
    [property: JsonPropertyName("sub_msg")] string? SubMsg);

internal sealed record AlipayPrecreateResponse(
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("qr_code")] string? QrCode);

internal sealed record AlipayQueryResponse(
    [property: JsonPropertyName("trade_no")] string? TradeNo,
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("buyer_logon_id")] string? BuyerLogonId,
    [property: JsonPropertyName("trade_status")] string? TradeStatus,
    [property: JsonPropertyName("total_amount")] string? TotalAmount,
    [property: JsonPropertyName("send_pay_date")] string? SendPayDate);

internal sealed record AlipayRefundResponse(
    [property: JsonPropertyName("trade_no")] string? TradeNo,
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("fund_change")] string? FundChange,
    [property: JsonPropertyName("refund_fee")] string? RefundFee,
    [property: JsonPropertyName("gmt_refund_pay")] string? GmtRefundPay);

internal sealed record AlipayRefundQueryResponse(
    [property: JsonPropertyName("trade_no")] string? TradeNo,
    [property: JsonPropertyName("out_trade_no")] string? OutTradeNo,
    [property: JsonPropertyName("out_request_no")] string? OutRequestNo,
    [property: JsonPropertyName("total_amount")] string? TotalAmount,
    [property: JsonPropertyName("refund_amount")] string? RefundAmount,
    [property: JsonPropertyName("refund_status")] string? RefundStatus,
    [property: JsonPropertyName("gmt_refund_pay")] string? GmtRefundPay);

// Source-generated so the channel stays trim- and AOT-safe. Optional fields are left out when
// absent: the gateway treats an empty value differently from a missing one.
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AlipayPrecreateContent))]
[JsonSerializable(typeof(AlipayPagePayContent))]
[JsonSerializable(typeof(AlipayTradeContent))]
[JsonSerializable(typeof(AlipayRefundContent))]
[JsonSerializable(typeof(AlipayRefundQueryContent))]
[JsonSerializable(typeof(AlipayStatus))]
[JsonSerializable(typeof(AlipayPrecreateResponse))]
[JsonSerializable(typeof(AlipayQueryResponse))]
[JsonSerializable(typeof(AlipayRefundResponse))]
[JsonSerializable(typeof(AlipayRefundQueryResponse))]
internal sealed partial class AlipayJsonContext : JsonSerializerContext
{
}
