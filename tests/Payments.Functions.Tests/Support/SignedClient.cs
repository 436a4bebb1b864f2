using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Payments.Functions.Api;

namespace Payments.Functions.Tests.Support;

/// <summary>An HTTP client that signs like a storefront would (PAY1-HMAC-SHA256).</summary>
public sealed class SignedClient(HttpClient http, string appId, string secret)
{
    public HttpClient Http => http;

    public string AppId => appId;

    /// <summary>The same app's credentials over another client (a differently configured host, say).</summary>
    public SignedClient With(HttpClient other) => new(other, appId, secret);

    public static string NewNonce() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24);

    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery, string? json = null, long? ts = null, string? nonce = null, string? secretOverride = null) =>
        Request(method, pathAndQuery, json is null ? null : Encoding.UTF8.GetBytes(json), ts, nonce, secretOverride);

    /// <summary>Signs raw bytes, which need not be valid UTF-8 or JSON (for tests of bad input).</summary>
    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery, byte[]? bytes, long? ts = null, string? nonce = null, string? secretOverride = null)
    {
        byte[] body = bytes ?? [];
        var request = new HttpRequestMessage(method, pathAndQuery);
        if (bytes is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        request.Headers.TryAddWithoutValidation("Authorization", HmacAuthentication.AuthorizationHeader(
            appId, secretOverride ?? secret, method.Method, pathAndQuery, ts ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds(), nonce ?? NewNonce(), body));
        return request;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathAndQuery, string? json = null) =>
        http.SendAsync(Request(method, pathAndQuery, json));

    public Task<HttpResponseMessage> PostAsync(string path, string json) => SendAsync(HttpMethod.Post, path, json);

    public Task<HttpResponseMessage> GetAsync(string pathAndQuery) => SendAsync(HttpMethod.Get, pathAndQuery);
}
