using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Payments.Core;

namespace Payments.Functions.Api.Admin;

public sealed record ListDto<T>(IReadOnlyList<T> Data, bool HasMore, string Object = "list");

public sealed record ExceptionDto(
    string Id, string Kind, string Status, string Reason, string Subject, string? PaymentId, string? Queue,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int RetryCount, DateTimeOffset? LastRetriedAt,
    string? ResolvedBy, string? ResolutionNote, DateTimeOffset? ResolvedAt, string Object = "exception");

public sealed record ResolveExceptionCommand(string? Note);

public sealed record AuditEntryDto(
    long Sequence, DateTimeOffset At, string Actor, string Action, string Subject, string? Before, string? After,
    string? CorrelationId, string PreviousHash, string Hash);

public sealed record AuditVerificationDto(bool Valid, long Checked, long? FirstBrokenSequence, string? Problem);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(ListDto<ExceptionDto>))]
[JsonSerializable(typeof(ExceptionDto))]
[JsonSerializable(typeof(ResolveExceptionCommand))]
[JsonSerializable(typeof(ListDto<AuditEntryDto>))]
[JsonSerializable(typeof(AuditVerificationDto))]
[JsonSerializable(typeof(CreateMerchantCommand))]
[JsonSerializable(typeof(Payments.Core.Risk.RiskRulesDto))]
[JsonSerializable(typeof(CreateAppCommand))]
[JsonSerializable(typeof(AppCreatedDto))]
[JsonSerializable(typeof(AppDto))]
[JsonSerializable(typeof(CreateChannelAccountCommand))]
[JsonSerializable(typeof(ChannelAccountDto))]
[JsonSerializable(typeof(ListDto<ChannelAccountDto>))]
[JsonSerializable(typeof(WebhookDeliveryDto))]
[JsonSerializable(typeof(ListDto<WebhookDeliveryDto>))]
[JsonSerializable(typeof(MerchantDto))]
[JsonSerializable(typeof(ListDto<MerchantDto>))]
[JsonSerializable(typeof(Dictionary<string, List<RouteDto>>))]
[JsonSerializable(typeof(OperatorPaymentDto))]
public sealed partial class AdminJson : JsonSerializerContext;

/// <summary>Admin commands' bodies: read within the same size limit as merchant requests, then parsed
/// like every other body.</summary>
public static class AdminBody
{
    public static async Task<Result<T>> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        await HmacAuthentication.ReadBodyAsync(http.Request, cancellationToken) is { } body
            ? JsonBody.Parse(http, body, type)
            : new Problem(ProblemCodes.PayloadTooLarge, $"Bodies are limited to {HmacAuthentication.MaxBodyBytes} bytes.");
}
