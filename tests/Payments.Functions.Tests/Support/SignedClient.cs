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

    public static string NewNonce() => RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24);

    public HttpRequestMessage Request(HttpMethod method, string pathAndQuery, string? json = null, long? ts = null, string? nonce = null, string? secretOverride = null)
    {
        byte[] body = json is null ? [] : Encoding.UTF8.GetBytes(json);
        var request = new HttpRequestMessage(method, pathAndQuery);
        if (json is not null)
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
