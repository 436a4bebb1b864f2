using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Payments.Sandbox.Faults;
using Payments.Sandbox.Statements;

namespace Payments.Sandbox.WeChatPay;

/// <summary>Answer of <c>GET /v3/bill/tradebill</c>.</summary>
internal sealed record BillAnswer(string HashType, string HashValue, string DownloadUrl);

/// <summary>
/// Bill files handed out by <c>/v3/bill/tradebill</c>, kept for their download. Like the channel's, a download URL is
/// good for 30 seconds and only for the merchant who applied for it.
/// </summary>
internal sealed class BillDownloads(TimeProvider time)
{
    private static readonly TimeSpan Validity = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, BillFile> _files = new(StringComparer.Ordinal);

    public string Add(string mchId, byte[] content)
    {
        var now = time.GetUtcNow();
        foreach (var (token, file) in _files)
        {
            if (file.Expires <= now)
            {
                _files.TryRemove(token, out _);
            }
        }

        string newToken = RandomNumberGenerator.GetHexString(48, lowercase: true);
        _files[newToken] = new BillFile(mchId, content, now + Validity);
        return newToken;
    }

    public byte[]? Find(string token, string mchId) =>
        _files.TryGetValue(token, out var file) && file.MchId == mchId && file.Expires > time.GetUtcNow() ? file.Content : null;

    private sealed record BillFile(string MchId, byte[] Content, DateTimeOffset Expires);
}

/// <summary>The trade bill API: apply for a day's bill, then download it.</summary>
internal static partial class WeChatPayApi
{
    public static IServiceCollection AddWeChatPayStatements(this IServiceCollection services)
    {
        services.AddSingleton<WeChatPayStatementSource>();
        services.AddSingleton<IStatementSource>(sp => sp.GetRequiredService<WeChatPayStatementSource>());
        services.AddSingleton<BillDownloads>();
        return services;
    }

    public static void MapWeChatPayBills(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v3/bill/tradebill", (HttpContext context) => HandleAsync(context, FaultNames.Statement, TradeBill));
        app.MapGet("/v3/billdownload/file", DownloadBill);
    }

    /// <summary>
    /// Builds the bill of <c>bill_date</c> from the sandbox's records now (today included), keeps it for download and
    /// answers its SHA-1 (of the uncompressed file) and download URL. Only <c>bill_type=ALL</c>; <c>tar_type=GZIP</c>
    /// compresses the download. A day without a line answers <c>NO_STATEMENT_EXIST</c>, as the channel does.
    /// </summary>
    private static SignedAnswer TradeBill(ApiCall call)
    {
        var query = call.Context.Request.Query;
        if (!DateOnly.TryParseExact(query["bill_date"].ToString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return ParamError("bill_date应为yyyy-MM-dd格式");
        }

        string billType = query["bill_type"].ToString();
        if (billType.Length > 0 && billType != "ALL")
        {
            return ParamError("沙箱仅支持bill_type=ALL");
        }

        string tarType = query["tar_type"].ToString();
        if (tarType.Length > 0 && tarType != "GZIP")
        {
            return ParamError("tar_type仅支持GZIP");
        }

        var services = call.Services;
        var source = services.GetRequiredService<WeChatPayStatementSource>();
        var entries = StatementBuilder.Build(source, services.GetRequiredService<StatementMutationStore>(), call.Merchant.MchId, date);
        if (entries.Count == 0)
        {
            return SignedAnswer.Error(StatusCodes.Status400BadRequest, "NO_STATEMENT_EXIST", "账单文件不存在");
        }

        byte[] bill = source.Render(call.Merchant.MchId, entries);
        // SHA-1 is the protocol's choice (hash_type), an integrity check of the download, not a signature.
#pragma warning disable CA5350
        string hash = Convert.ToHexStringLower(SHA1.HashData(bill));
#pragma warning restore CA5350
        string token = services.GetRequiredService<BillDownloads>().Add(call.Merchant.MchId, tarType == "GZIP" ? Gzip(bill) : bill);
        var http = call.Context.Request;
        return SignedAnswer.Json(
            StatusCodes.Status200OK,
            new BillAnswer("SHA1", hash, $"{http.Scheme}://{http.Host}{http.PathBase}/v3/billdownload/file?token={token}"),
            BillJsonContext.Default.BillAnswer);
    }

    /// <summary>The download is a signed request like any other, but its answer is the bare file: the digest in the
    /// signed bill answer is what vouches for it.</summary>
    private static IResult DownloadBill(HttpContext context, RequestAuthenticator authenticator, BillDownloads downloads)
    {
        var (caller, authError) = authenticator.Authenticate(context.Request, []);
        if (caller is null)
        {
            return SignedAnswer.Error(StatusCodes.Status401Unauthorized, "SIGN_ERROR", authError!);
        }

        return downloads.Find(context.Request.Query["token"].ToString(), caller.Merchant.MchId) is { } file
            ? Results.Bytes(file, "application/octet-stream")
            : SignedAnswer.Error(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "下载链接无效或已过期");
    }

    private static byte[] Gzip(byte[] content)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }

        return compressed.ToArray();
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(BillAnswer))]
internal sealed partial class BillJsonContext : JsonSerializerContext;
