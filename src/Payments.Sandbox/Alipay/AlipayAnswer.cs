using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Payments.Sandbox.Alipay;

/// <summary>
/// A gateway answer, <c>{"&lt;method&gt;_response":{...},"sign":"..."}</c>. The signature covers the
/// node's characters exactly as written, slashes escaped as <c>\/</c> the way the gateway writes
/// them, so an adapter must verify the raw text rather than a re-serialisation.
/// </summary>
internal sealed class AlipayAnswer(string node, string json, bool signed) : IResult
{
    public string Node { get; } = node;

    public string Json { get; } = json;

    public static AlipayAnswer Of<T>(string node, T value, JsonTypeInfo<T> typeInfo, bool signed = true) =>
        new(node, JsonSerializer.Serialize(value, typeInfo).Replace("/", "\\/", StringComparison.Ordinal), signed);

    public static AlipayAnswer Failure(string node, string code, string msg, string? subCode, string? subMsg, bool signed = true) =>
        Of(node, new FailureAnswer(code, msg, subCode, subMsg), AlipayWireJson.Wire.FailureAnswer, signed);

    /// <summary>40004 Business Failed with an ACQ sub_code, the shape of every refused trade operation.</summary>
    public static AlipayAnswer Business(string node, string subCode, string subMsg) =>
        Failure(node, "40004", "Business Failed", subCode, subMsg);

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var body = new StringBuilder().Append("{\"").Append(Node).Append("\":").Append(Json);
        if (signed)
        {
            var key = httpContext.RequestServices.GetRequiredService<AlipayKey>();
            body.Append(",\"sign\":\"").Append(key.Sign(Json)).Append('"');
        }

        body.Append('}');
        var bytes = Encoding.UTF8.GetBytes(body.ToString());
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json;charset=utf-8";
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, httpContext.RequestAborted);
    }
}
