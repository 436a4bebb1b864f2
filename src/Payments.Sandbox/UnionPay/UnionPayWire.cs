using System.Text.Json;
using System.Text.Json.Serialization;

namespace Payments.Sandbox.UnionPay;

/// <summary>Body of <c>POST /sandbox/unionpay/merchants</c>: the public half of the merchant's signing key (or its certificate).</summary>
internal sealed record UnionPayMerchantRegistration(string? MerId, string? MerchantPublicKeyPem, string? ChannelAccountId = null);

/// <summary>What a merchant gets at onboarding: its certId and UnionPay's verification chain.</summary>
internal sealed record UnionPayMerchantRegistered(string MerId, string CertId, string RootCertPem, string MiddleCertPem, string GatewayUrl);

internal sealed record UnionPayDecisionRequest(string? Decision);

internal sealed record UnionPayDecisionAnswer(string OrderId, string Status, string OrigRespCode);

internal sealed record UnionPayRefundView(string OrderId, string QueryId, long TxnAmt);

internal sealed record UnionPayNotificationView(string QueryId, string TxnType, int Attempts, int Deliveries, bool Acknowledged);

internal sealed record UnionPayOrderView(
    string OrderId, string MerId, string Status, string Kind, long TxnAmt, string? QueryId, bool Attempted, int CreateCalls,
    UnionPayRefundView[] Refunds, UnionPayNotificationView[] Notifications);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UnionPayMerchantRegistration))]
[JsonSerializable(typeof(UnionPayMerchantRegistered))]
[JsonSerializable(typeof(UnionPayDecisionRequest))]
[JsonSerializable(typeof(UnionPayDecisionAnswer))]
[JsonSerializable(typeof(UnionPayOrderView))]
internal sealed partial class UnionPaySandboxJson : JsonSerializerContext;
