using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Core;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;

namespace Payments.Functions.Api;

public sealed record HealthDto(string Status, string Version);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcTimestampConverter)])]
// The create body binds straight to the use case's command. Unknown members are refused: a typo'd
// field must not be silently ignored on a money endpoint.
[JsonSerializable(typeof(CreatePaymentCommand))]
[JsonSerializable(typeof(Payments.Core.Refunds.CreateRefund.CreateRefundCommand))]
[JsonSerializable(typeof(Payments.Core.Refunds.RefundDto))]
[JsonSerializable(typeof(RefundListDto))]
[JsonSerializable(typeof(PaymentDto))]
[JsonSerializable(typeof(HealthDto))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
[JsonSerializable(typeof(Dictionary<string, string[]>))]
public sealed partial class ApiJson : JsonSerializerContext;
