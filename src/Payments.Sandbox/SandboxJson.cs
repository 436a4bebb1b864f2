using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Payments.Sandbox;

/// <summary>Error body of the sandbox's own (non-channel) endpoints.</summary>
internal sealed record SandboxError(string Code, string? Message = null);

internal static class SandboxJson
{
    /// <summary>
    /// Reads a JSON body with a source-generated contract, turning malformed input into a message
    /// instead of an exception so every endpoint can answer a plain 400.
    /// </summary>
    public static async Task<(T? Value, string? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(request.Body, typeInfo, request.HttpContext.RequestAborted);
            return value is null ? (null, "body must be a JSON object") : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, "malformed JSON: " + ex.Message);
        }
    }

    public static IResult Error(int status, string code, string? message = null) =>
        Results.Json(new SandboxError(code, message), SandboxJsonContext.Default.SandboxError, statusCode: status);
}

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SandboxError))]
[JsonSerializable(typeof(Faults.FaultRequest))]
[JsonSerializable(typeof(Faults.FaultView))]
[JsonSerializable(typeof(Faults.FaultView[]))]
[JsonSerializable(typeof(WeChatPay.MerchantRegistration))]
[JsonSerializable(typeof(WeChatPay.MerchantRegistered))]
[JsonSerializable(typeof(WeChatPay.OrderInspection))]
[JsonSerializable(typeof(WeChatPay.RefundInspection))]
[JsonSerializable(typeof(WeChatPay.RefundSettleRequest))]
[JsonSerializable(typeof(PayerPage.PayerDecisionRequest))]
[JsonSerializable(typeof(PayerPage.PayerDecisionResponse))]
internal sealed partial class SandboxJsonContext : JsonSerializerContext;
