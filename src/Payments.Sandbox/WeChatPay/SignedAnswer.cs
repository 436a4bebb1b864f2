using System.Text.Json.Serialization.Metadata;

namespace Payments.Sandbox.WeChatPay;

/// <summary>
/// An API v3 answer. The channel signs every answer, errors and empty 204s included, so the
/// signature is computed over the exact bytes written.
/// </summary>
internal sealed class SignedAnswer(int statusCode, byte[] body) : IResult
{
    public int StatusCode { get; } = statusCode;

    public static SignedAnswer Json<T>(int statusCode, T value, JsonTypeInfo<T> typeInfo) =>
        new(statusCode, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));

    public static SignedAnswer Error(int statusCode, string code, string message) =>
        Json(statusCode, new WireError(code, message), WeChatPayJsonContext.Wire.WireError);

    public static SignedAnswer NoContent() => new(StatusCodes.Status204NoContent, []);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var services = httpContext.RequestServices;
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.Headers["Request-ID"] = httpContext.TraceIdentifier;
        foreach (var (name, value) in WeChatPaySignature.Headers(
            services.GetRequiredService<PlatformCertificate>(), services.GetRequiredService<TimeProvider>(), body))
        {
            response.Headers[name] = value;
        }

        if (body.Length > 0)
        {
            response.ContentType = "application/json";
            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body, httpContext.RequestAborted);
        }
    }
}
