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
public sealed partial class AdminJson : JsonSerializerContext;

/// <summary>Strict JSON bodies for admin commands: a size limit, application/json, unknown fields refused.</summary>
public static class AdminBody
{
    public static async Task<Result<T>> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        if (http.Request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return new Problem(ProblemCodes.UnsupportedMediaType, "Send the body as application/json.");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > HmacAuthentication.MaxBodyBytes)
            {
                return new Problem(ProblemCodes.PayloadTooLarge, $"Bodies are limited to {HmacAuthentication.MaxBodyBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type) is { } value
                ? value
                : Problem.Validation(new Dictionary<string, string[]> { ["body"] = ["Expected a JSON object."] });
        }
        catch (JsonException e)
        {
            return JsonProblems.From(e);
        }
    }
}
