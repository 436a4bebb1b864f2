using System.Text.Json;
using System.Text.Json.Serialization;
using Payments.Core;
using Payments.Core.Payments;
using Payments.Core.Payments.CreatePayment;

namespace Payments.Functions.Api;

/// <summary>The create body as the wire has it. Unknown members are refused: a typo'd field must not
/// be silently ignored on a money endpoint.</summary>
public sealed record CreatePaymentRequest(
    string? MerchantOrderNo,
    long? Amount,
    string? Currency,
    string? Channel,
    string? Method,
    string? Subject,
    string? Description,
    string? NotifyUrl,
    string? ReturnUrl,
    int? ExpiresInSeconds,
    PayerInput? Payer,
    Dictionary<string, string>? Metadata)
{
    public CreatePaymentCommand ToCommand() =>
        new(MerchantOrderNo, Amount, Currency, Channel, Method, Subject, Description, NotifyUrl, ReturnUrl, ExpiresInSeconds, Payer, Metadata);
}

public sealed record HealthDto(string Status, string Version);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(CreatePaymentRequest))]
[JsonSerializable(typeof(PaymentDto))]
[JsonSerializable(typeof(HealthDto))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails))]
[JsonSerializable(typeof(Microsoft.AspNetCore.Http.HttpValidationProblemDetails))]
[JsonSerializable(typeof(Dictionary<string, string[]>))]
public sealed partial class ApiJson : JsonSerializerContext;
