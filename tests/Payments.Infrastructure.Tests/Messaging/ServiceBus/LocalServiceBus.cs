using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
using Payments.Infrastructure.Messaging.ServiceBus;

namespace Payments.Infrastructure.Tests.Messaging.ServiceBus;

/// <summary>A request as the server saw it.</summary>
public sealed record SeenRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>Stands in for a Service Bus namespace: real Kestrel on loopback over HTTPS with a certificate
/// made for this test run. It records every request and answers from a script (201 when the script is
/// empty); a null entry holds the request until the server is disposed, to look like a timeout.</summary>
public sealed class LocalServiceBus : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stopping = new();

    private LocalServiceBus(WebApplication app, X509Certificate2 certificate)
    {
        _app = app;
        Certificate = certificate;
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>host:port, as ServiceBus:fullyQualifiedNamespace would hold it.</summary>
    public string Namespace { get; private set; } = "";

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    public ConcurrentQueue<int?> Script { get; } = new();

    public static async Task<LocalServiceBus> StartAsync()
    {
        var certificate = SelfSignedLoopbackCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        var server = new LocalServiceBus(app, certificate);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server.Namespace = new Uri(address).Authority;
        return server;
    }

    /// <summary>A publisher that reaches this server, trusting its certificate and no other, with short
    /// retry delays so retry tests stay quick.</summary>
    public ServiceBusRestPublisher Publisher(TokenCredential credential, TimeProvider time, int maxRetries = 3, TimeSpan? networkTimeout = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = TrustOnly(Certificate);
        var options = new ServiceBusRestClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
        options.Retry.NetworkTimeout = networkTimeout ?? TimeSpan.FromSeconds(30);
        return new ServiceBusRestPublisher(new ServiceBusOptions { FullyQualifiedNamespace = Namespace }, credential, time, options);
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue(new SeenRequest(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", headers, body.ToArray()));
        int? status = Script.TryDequeue(out var scripted) ? scripted : 201;
        if (status is null)
        {
            try
            {
                using var held = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token, context.RequestAborted);
                await Task.Delay(Timeout.Infinite, held.Token);
            }
            catch (OperationCanceledException)
            {
            }

            return;
        }

        context.Response.StatusCode = status.Value;
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

    private static X509Certificate2 SelfSignedLoopbackCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        // Round-trip through PKCS#12 so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
        Certificate.Dispose();
    }
}

/// <summary>Hands out numbered tokens valid for an hour and counts how often it was asked.</summary>
public sealed class CountingCredential : TokenCredential
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public List<string> Scopes { get; } = [];

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        int n = Interlocked.Increment(ref _calls);
        lock (Scopes)
        {
            Scopes.AddRange(requestContext.Scopes);
        }

        return new AccessToken("token-" + n, DateTimeOffset.UtcNow.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
