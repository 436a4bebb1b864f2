using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Payments.Infrastructure.Keys;

namespace Payments.Infrastructure.Tests.Keys;

/// <summary>A request as the vault saw it, with when it arrived.</summary>
public sealed record VaultRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body, TimeSpan At)
{
    public string? Authorization => Headers.TryGetValue("Authorization", out string? value) ? value : null;

    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();
}

/// <summary>A scripted answer to the next authorised request, before the vault looks at it.</summary>
public sealed record VaultFault(int Status, string? RetryAfter = null);

/// <summary>Stands in for a Key Vault: real Kestrel over HTTPS on loopback, under a vault host name
/// (<see cref="Host"/>) that only this test's transport resolves, with a certificate made for this run
/// and trusted by that transport alone. It speaks the keys REST API as the service documents it
/// (api-version 7.6): the 401 challenge for requests without a token, get key (newest or a version),
/// sign (RS256) and unwrapkey (RSA-OAEP-256), JSON web keys and results in base64url, errors as
/// <c>{"error":{"code","message"}}</c>. Every request is recorded.</summary>
public sealed class LocalKeyVault : IAsyncDisposable
{
    public const string Host = "kv-test.vault.azure.net";
    public const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<string, List<(string Version, RSA Key)>> _keys = new();

    private LocalKeyVault(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    public int Port { get; private set; }

    public Uri VaultUri => new($"https://{Host}:{Port}/");

    public ConcurrentQueue<VaultRequest> Requests { get; } = new();

    public ConcurrentQueue<VaultFault> Faults { get; } = new();

    /// <summary>The WWW-Authenticate value of the 401 challenge.</summary>
    public string Challenge { get; set; } =
        $"Bearer authorization=\"https://login.microsoftonline.com/{Tenant}\", resource=\"https://vault.azure.net\"";

    public const string Scope = "https://vault.azure.net/.default";

    /// <summary>Which bearer tokens the vault accepts; see <see cref="Trust"/>.</summary>
    public Func<string, bool> AcceptsToken { get; set; } = _ => false;

    /// <summary>Accepts the tokens this credential issued for the vault's scope in the vault's tenant, no others.</summary>
    public void Trust(RecordingCredential credential) =>
        AcceptsToken = token => credential.Issued.Any(i => i.Token == token && i.Context.Scopes.SequenceEqual([Scope]) && i.Context.TenantId == Tenant);

    public static async Task<LocalKeyVault> StartAsync()
    {
        var certificate = SelfSignedVaultCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var vault = new LocalKeyVault(app, certificate);
        app.Run(vault.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        vault.Port = new Uri(address).Port;
        return vault;
    }

    /// <summary>Creates a new version of a key (the first, or a rotation) and returns its version id.</summary>
    public string CreateKeyVersion(string name)
    {
        string version = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var versions = _keys.GetOrAdd(name, _ => []);
        lock (versions)
        {
            versions.Add((version, RSA.Create(2048)));
        }

        return version;
    }

    public RSA Key(string name, string version)
    {
        var versions = _keys[name];
        lock (versions)
        {
            return versions.Single(v => v.Version == version).Key;
        }
    }

    public string KeyId(string name, string version) => $"https://{Host}:{Port}/keys/{name}/{version}";

    /// <summary>A key ring that reaches this vault: its host name goes to loopback, its certificate is
    /// trusted by this transport only, and retry delays are short unless the vault asks for more.</summary>
    public KeyVaultKeyRing KeyRing(TokenCredential credential, TimeProvider time, int maxRetries = 3)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        handler.SslOptions.RemoteCertificateValidationCallback = TrustOnly(Certificate);
        var options = new KeyVaultClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        return new KeyVaultKeyRing(VaultUri, credential, time, options);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var request = new VaultRequest(
            context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            buffer.ToArray(), _clock.Elapsed);
        Requests.Enqueue(request);

        if (request.Authorization is not { } authorization || !authorization.StartsWith("Bearer ", StringComparison.Ordinal) || !AcceptsToken(authorization["Bearer ".Length..]))
        {
            context.Response.StatusCode = 401;
            context.Response.Headers.WWWAuthenticate = Challenge;
            await WriteErrorAsync(context, 401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.");
            return;
        }

        if (Faults.TryDequeue(out var fault))
        {
            if (fault.RetryAfter is not null)
            {
                context.Response.Headers.RetryAfter = fault.RetryAfter;
            }

            await WriteErrorAsync(context, fault.Status, fault.Status == 429 ? "Throttled" : "Fault", "Scripted by the test.");
            return;
        }

        if (context.Request.Query["api-version"] != KeyVaultKeyRing.ApiVersion)
        {
            await WriteErrorAsync(context, 400, "BadParameter", "The specified version of the REST API is not supported.");
            return;
        }

        string[] path = request.Path.Split('/');
        switch (request.Method, path)
        {
            case ("GET", ["", "keys", var name]):
                await GetKeyAsync(context, name, null);
                break;
            case ("GET", ["", "keys", var name, var version]):
                await GetKeyAsync(context, name, version);
                break;
            case ("POST", ["", "keys", var name, var version, var operation]):
                await OperateAsync(context, request, name, version, operation);
                break;
            default:
                await WriteErrorAsync(context, 404, "NotFound", "No such endpoint.");
                break;
        }
    }

    private async Task GetKeyAsync(HttpContext context, string name, string? version)
    {
        if (Find(name, version) is not { } key)
        {
            await WriteErrorAsync(context, 404, "KeyNotFound", $"A key with (name/id) {name}/{version} was not found in this key vault.");
            return;
        }

        var parameters = key.Key.ExportParameters(false);
        await WriteJsonAsync(context, 200, new JsonObject
        {
            ["key"] = new JsonObject
            {
                ["kid"] = KeyId(name, key.Version),
                ["kty"] = "RSA",
                ["key_ops"] = new JsonArray("wrapKey", "unwrapKey", "sign", "verify"),
                ["n"] = Base64Url.EncodeToString(parameters.Modulus),
                ["e"] = Base64Url.EncodeToString(parameters.Exponent),
            },
            ["attributes"] = new JsonObject { ["enabled"] = true, ["created"] = 1_700_000_000, ["updated"] = 1_700_000_000, ["recoveryLevel"] = "Recoverable" },
        });
    }

    private async Task OperateAsync(HttpContext context, VaultRequest request, string name, string version, string operation)
    {
        if (Find(name, version) is not { } key)
        {
            await WriteErrorAsync(context, 404, "KeyNotFound", $"A key with (name/id) {name}/{version} was not found in this key vault.");
            return;
        }

        if (context.Request.ContentType != "application/json")
        {
            await WriteErrorAsync(context, 415, "UnsupportedMediaType", "Expected application/json.");
            return;
        }

        var body = request.Json;
        string? alg = (string?)body["alg"];
        byte[] value = Base64Url.DecodeFromChars((string?)body["value"] ?? "");
        byte[] result;
        switch (operation, alg)
        {
            case ("sign", "RS256") when value.Length == 32:
                result = key.Key.SignHash(value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                break;
            case ("unwrapkey", "RSA-OAEP-256"):
                try
                {
                    result = key.Key.Decrypt(value, RSAEncryptionPadding.OaepSHA256);
                }
                catch (CryptographicException)
                {
                    await WriteErrorAsync(context, 400, "BadParameter", "Unwrap failed.");
                    return;
                }

                break;
            default:
                await WriteErrorAsync(context, 400, "BadParameter", $"Operation {operation} with algorithm {alg} is not supported here.");
                return;
        }

        await WriteJsonAsync(context, 200, new JsonObject { ["kid"] = KeyId(name, key.Version), ["value"] = Base64Url.EncodeToString(result) });
    }

    private (string Version, RSA Key)? Find(string name, string? version)
    {
        if (!_keys.TryGetValue(name, out var versions))
        {
            return null;
        }

        lock (versions)
        {
            return version is null ? versions[^1] : versions.Where(v => v.Version == version).Select(v => ((string, RSA)?)v).SingleOrDefault();
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message) =>
        WriteJsonAsync(context, status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } });

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2 trusted) => (_, certificate, _, errors) =>
    {
        // The host name must match as usual; only the chain is judged against this one root.
        if (certificate is not X509Certificate2 presented || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    };

    private static X509Certificate2 SelfSignedVaultCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(Host);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Round-trip through PKCS#12 so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Certificate.Dispose();
        foreach (var versions in _keys.Values)
        {
            versions.ForEach(v => v.Key.Dispose());
        }
    }
}

/// <summary>Issues numbered tokens valid for an hour and remembers what each was asked for.</summary>
public sealed class RecordingCredential : TokenCredential
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public ConcurrentQueue<(string Token, TokenRequestContext Context)> Issued { get; } = new();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        string token = "token-" + Interlocked.Increment(ref _calls);
        Issued.Enqueue((token, requestContext));
        return new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
