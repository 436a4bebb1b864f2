using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Org.BouncyCastle.Asn1.GM;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Payments.Sandbox.Tests.Ecny;

internal sealed record EcnyAnswer(int Status, JsonElement Body, string RawBody, bool SignatureValid);

/// <summary>A merchant onboarded at the sandbox with an SM2 key made here; signs calls and checks the platform's signatures.</summary>
internal sealed class EcnyTestMerchant
{
    private readonly HttpClient _http;
    private readonly ECPrivateKeyParameters _key;

    private EcnyTestMerchant(HttpClient http, ECPrivateKeyParameters key, string merchantNo, string serial, ECPublicKeyParameters platformKey, string platformSerial, byte[] notifyKey)
    {
        NotifyKey = notifyKey;
        _http = http;
        _key = key;
        MerchantNo = merchantNo;
        Serial = serial;
        PlatformKey = platformKey;
        PlatformSerial = platformSerial;
    }

    public string MerchantNo { get; }
    public string Serial { get; }
    public ECPublicKeyParameters PlatformKey { get; }
    public string PlatformSerial { get; }
    public byte[] NotifyKey { get; }

    /// <summary>The decrypted resource of a notification: SM4-GCM under the notification key, the resource type as associated data.</summary>
    public JsonElement Resource(JsonElement notification)
    {
        var resource = notification.GetProperty("resource");
        Assert.Equal("SM4_GCM", resource.GetProperty("algorithm").GetString());
        Assert.Equal(notification.GetProperty("resourceType").GetString(), resource.GetProperty("associatedData").GetString());
        var gcm = new Org.BouncyCastle.Crypto.Modes.GcmBlockCipher(new Org.BouncyCastle.Crypto.Engines.SM4Engine());
        gcm.Init(false, new AeadParameters(new KeyParameter(NotifyKey), 128, Convert.FromBase64String(resource.GetProperty("nonce").GetString()!), Encoding.UTF8.GetBytes(resource.GetProperty("associatedData").GetString()!)));
        byte[] input = Convert.FromBase64String(resource.GetProperty("ciphertext").GetString()!);
        var output = new byte[gcm.GetOutputSize(input.Length)];
        int written = gcm.ProcessBytes(input, 0, input.Length, output, 0);
        written += gcm.DoFinal(output, written);
        return JsonDocument.Parse(output.AsMemory(0, written)).RootElement.Clone();
    }

    /// <summary>A fresh sm2p256v1 key pair; the public half as SubjectPublicKeyInfo PEM.</summary>
    public static (ECPrivateKeyParameters Private, string PublicPem) NewKey()
    {
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(new ECNamedDomainParameters(GMObjectIdentifiers.sm2p256v1, GMNamedCurves.GetByOid(GMObjectIdentifiers.sm2p256v1)), new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        return ((ECPrivateKeyParameters)pair.Private, PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(pair.Public).GetEncoded()));
    }

    public static async Task<EcnyTestMerchant> OnboardAsync(HttpClient http, string? channelAccountId = null)
    {
        var (key, publicPem) = NewKey();
        string serial = RandomNumberGenerator.GetHexString(16);
        using var response = await http.PostAsJsonAsync("/sandbox/ecny/merchants", new JsonObject
        {
            ["merchantSerialNo"] = serial,
            ["merchantSm2PublicKeyPem"] = publicPem,
            ["channelAccountId"] = channelAccountId,
        });
        Assert.Equal(200, (int)response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        string pem = body.GetProperty("platformSm2PublicKeyPem").GetString()!;
        Assert.True(PemEncoding.TryFind(pem, out var fields));
        var platformKey = (ECPublicKeyParameters)PublicKeyFactory.CreateKey(Convert.FromBase64String(pem[fields.Base64Data]));
        return new EcnyTestMerchant(
            http, key, body.GetProperty("merchantNo").GetString()!, serial, platformKey, body.GetProperty("platformSerialNo").GetString()!,
            Convert.FromHexString(body.GetProperty("notifySm4KeyHex").GetString()!));
    }

    public static bool Verify(ECPublicKeyParameters key, byte[] message, string signatureBase64)
    {
        var verifier = new SM2Signer(new SM3Digest());
        verifier.Init(false, new ParametersWithID(key, "1234567812345678"u8.ToArray()));
        verifier.BlockUpdate(message, 0, message.Length);
        return verifier.VerifySignature(Convert.FromBase64String(signatureBase64));
    }

    /// <summary>True when headers carry the platform's valid signature over <c>TIMESTAMP\nNONCE\nBODY\n</c>.</summary>
    public bool IsSignedByPlatform(Func<string, string?> header, byte[] body)
    {
        if (header("Ecny-Serial") != PlatformSerial || header("Ecny-Timestamp") is not { } timestamp || header("Ecny-Nonce") is not { } nonce || header("Ecny-Signature") is not { } signature)
        {
            return false;
        }

        byte[] message = [.. Encoding.UTF8.GetBytes($"{timestamp}\n{nonce}\n"), .. body, (byte)'\n'];
        return Verify(PlatformKey, message, signature);
    }

    /// <param name="tamper">Changes the signed message after signing, to test refusals.</param>
    public async Task<EcnyAnswer> CallAsync(HttpMethod method, string pathAndQuery, JsonObject? body = null, DateTimeOffset? at = null, bool tamper = false)
    {
        if (body is not null)
        {
            body["merchantNo"] ??= MerchantNo;
        }

        string text = body?.ToJsonString() ?? "";
        string timestamp = (at ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        string nonce = RandomNumberGenerator.GetHexString(32);
        byte[] message = Encoding.UTF8.GetBytes($"{method.Method}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{text}\n" + (tamper ? "x" : ""));
        var signer = new SM2Signer(new SM3Digest());
        signer.Init(true, new ParametersWithID(new ParametersWithRandom(_key, new SecureRandom()), "1234567812345678"u8.ToArray()));
        signer.BlockUpdate(message, 0, message.Length);

        using var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.Add("Ecny-Merchant-No", MerchantNo);
        request.Headers.Add("Ecny-Serial", Serial);
        request.Headers.Add("Ecny-Timestamp", timestamp);
        request.Headers.Add("Ecny-Nonce", nonce);
        request.Headers.Add("Ecny-Signature", Convert.ToBase64String(signer.GenerateSignature()));
        if (body is not null)
        {
            request.Content = new StringContent(text, new UTF8Encoding(false), "application/json");
        }

        using var response = await _http.SendAsync(request);
        byte[] raw = await response.Content.ReadAsByteArrayAsync();
        bool valid = IsSignedByPlatform(name => response.Headers.TryGetValues(name, out var values) ? values.First() : null, raw);
        string rawText = Encoding.UTF8.GetString(raw);
        var json = response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonDocument.Parse(rawText).RootElement.Clone() : default;
        return new EcnyAnswer((int)response.StatusCode, json, rawText, valid);
    }

    public JsonObject Order(string outTradeNo, string notifyUrl, long amount = 1999, string tradeType = "QR", DateTimeOffset? expiresAt = null) => new()
    {
        ["outTradeNo"] = outTradeNo,
        ["tradeType"] = tradeType,
        ["amount"] = amount,
        ["currency"] = "CNY",
        ["subject"] = "数字人民币 " + outTradeNo,
        ["expireTime"] = (expiresAt ?? DateTimeOffset.UtcNow.AddMinutes(15)).ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
        ["notifyUrl"] = notifyUrl,
    };

    public JsonObject Refund(string outTradeNo, string outRefundNo, long amount, long total = 1999, string notifyUrl = "http://127.0.0.1:9/notify") => new()
    {
        ["outTradeNo"] = outTradeNo,
        ["outRefundNo"] = outRefundNo,
        ["refundAmount"] = amount,
        ["totalAmount"] = total,
        ["currency"] = "CNY",
        ["notifyUrl"] = notifyUrl,
    };
}

internal sealed record EcnyReceived(IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>A merchant notifyUrl on a real loopback port that acknowledges the e-CNY way ({"code":"SUCCESS"}), after failing the first deliveries if asked.</summary>
internal sealed class EcnyReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<EcnyReceived> _received = Channel.CreateUnbounded<EcnyReceived>();
    private int _deliveries;

    private EcnyReceiver(WebApplication app) => _app = app;

    public string NotifyUrl { get; private set; } = "";

    public int Deliveries => Volatile.Read(ref _deliveries);

    public static async Task<EcnyReceiver> StartAsync(int failFirst = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var receiver = new EcnyReceiver(builder.Build());
        receiver._app.MapPost("/notify", async (HttpContext context) =>
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            int index = Interlocked.Increment(ref receiver._deliveries) - 1;
            await receiver._received.Writer.WriteAsync(new EcnyReceived(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), buffer.ToArray()));
            if (index < failFirst)
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"code":"SUCCESS","message":"OK"}""");
        });
        await receiver._app.StartAsync();
        receiver.NotifyUrl = receiver._app.Urls.Single() + "/notify";
        return receiver;
    }

    public async Task<EcnyReceived> NextAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _received.Reader.ReadAsync(deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
