using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Payments.Channels.Tests.Support;
using Payments.Channels.Transfer;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Transfer;

public sealed class TransferChannelHttpTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private FakeTransferBank _bank = null!;
    private TransferChannel _channel = null!;
    private ChannelAccount _account = null!;

    public async Task InitializeAsync()
    {
        _bank = await FakeTransferBank.StartAsync();
        _channel = new TransferChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, new FixedTimeProvider(Now));
        _account = TransferTestData.Account(_bank.Endpoint);
    }

    public async Task DisposeAsync() => await _bank.DisposeAsync();

    private static ChannelCreateRequest Create(string method = "page", string currency = "CNY") =>
        new("pay_01", new Money(12345, Currency.Parse(currency)), method, "Order 42", null, Now.AddHours(24), new Uri("https://api.example/cb/transfer/ca_1"), null);

    private static ChannelRefundRequest Refund(string? transaction = null, long amount = 2000) =>
        new("pay_01", "re_01", new Money(amount, Currency.CNY), new Money(12345, Currency.CNY), "changed mind", new Uri("https://api.example/cb/transfer/ca_1"), transaction);

    private static string RefundAnswer(string status, string refundRef = "re_01", string merchantRef = "pay_01") =>
        $$"""{"refundRef":"{{refundRef}}","refundId":"RTN01","collectionId":"COL01","merchantRef":"{{merchantRef}}","status":"{{status}}","amount":2000,"currency":"CNY","returnedAt":"2026-11-24T10:05:00+00:00"}""";

    /// <summary>What the bank checks: the HMAC of METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY, recomputed here by hand.</summary>
    private static void AssertSigned(BankRequest request)
    {
        Assert.Equal(TransferTestData.CorporateId, request.CorporateId);
        Assert.Equal(Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), request.Timestamp);
        Assert.Matches("^[0-9a-f]{32}$", request.Nonce);
        string message = $"{request.Method}\n{request.PathAndQuery}\n{request.Timestamp}\n{request.Nonce}\n{request.Body}";
        string expected = Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(TransferTestData.ApiKeyHex), Encoding.UTF8.GetBytes(message)));
        Assert.Equal(expected, request.Signature);
    }

    [Fact]
    public async Task CreateAllocatesAReferenceWithASignedRequestAndReturnsTheInstructionPage()
    {
        _bank.Respond = _ => new BankAnswer(201, TransferTestData.Collection("OPEN"));
        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(await _channel.CreateAsync(_account, Create(), CancellationToken.None));
        Assert.Equal(new ChannelOrder("bank_transfer", "http://bank/transfer/pay/COL01"), ok.Value);

        var request = Assert.Single(_bank.Requests);
        Assert.Equal(("POST", "/transfer/v1/collections"), (request.Method, request.PathAndQuery));
        AssertSigned(request);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(("pay_01", 12345L, "CNY"), (body.GetProperty("merchantRef").GetString(), body.GetProperty("amount").GetInt64(), body.GetProperty("currency").GetString()));
        Assert.Equal("https://api.example/cb/transfer/ca_1", body.GetProperty("notifyUrl").GetString());
        Assert.Equal(Now.AddHours(24), body.GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task AnotherMethodOrCurrencyIsNotSupportedAndNothingIsSent()
    {
        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(await _channel.CreateAsync(_account, Create("qr"), CancellationToken.None));
        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(await _channel.CreateAsync(_account, Create(currency: "EUR"), CancellationToken.None));
        Assert.Empty(_bank.Requests);
    }

    [Fact]
    public async Task AnAnswerForAnotherReferenceIsNotBelieved()
    {
        _bank.Respond = _ => new BankAnswer(201, TransferTestData.Collection("OPEN", merchantRef: "pay_02"));
        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, Create(), CancellationToken.None));
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
    }

    [Fact]
    public async Task ABankErrorIsARejectionButA5xxOrAForeignPageIsNoAnswer()
    {
        _bank.Respond = _ => new BankAnswer(409, """{"code":"REFERENCE_CONFLICT","message":"other amount"}""");
        var rejected = Assert.IsType<ChannelResult<ChannelOrder>.Rejected>(await _channel.CreateAsync(_account, Create(), CancellationToken.None));
        Assert.Equal("REFERENCE_CONFLICT", rejected.Code);

        _bank.Respond = _ => new BankAnswer(500, """{"code":"SYSTEM_ERROR"}""");
        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, Create(), CancellationToken.None));
        _bank.Respond = _ => new BankAnswer(404, "<html>gateway</html>", "text/html");
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
    }

    [Fact]
    public async Task ATimeOutIsNoAnswer()
    {
        // Only the time-out wants an impatient client: on a loaded machine a short one times out good answers too.
        _bank.Respond = _ => new BankAnswer(0);
        var impatient = new TransferChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(1) }, new FixedTimeProvider(Now));
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await impatient.QueryAsync(_account, "pay_01", CancellationToken.None));
    }

    [Fact]
    public async Task QueryReadsTheCollectionByOurPaymentIdAndAnUnknownOneIsNotFound()
    {
        _bank.Respond = _ => new BankAnswer(404, """{"code":"NOT_FOUND","message":"no such collection"}""");
        var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
        Assert.Equal(ChannelPaymentStatus.NotFound, ok.Value.Status);
        var request = Assert.Single(_bank.Requests);
        Assert.Equal(("GET", "/transfer/v1/collections/pay_01", ""), (request.Method, request.PathAndQuery, request.Body));
        AssertSigned(request);
    }

    [Fact]
    public async Task CloseSucceedsForAPartlyPaidReferenceAndIsRefusedForAPaidOne()
    {
        _bank.Respond = _ => new BankAnswer(200, TransferTestData.Collection("CLOSED", credits: [4000]));
        Assert.IsType<ChannelResult<Unit>.Ok>(await _channel.CloseAsync(_account, "pay_01", CancellationToken.None));
        var request = Assert.Single(_bank.Requests);
        Assert.Equal(("POST", "/transfer/v1/collections/pay_01/close"), (request.Method, request.PathAndQuery));
        AssertSigned(request);

        _bank.Respond = _ => new BankAnswer(409, """{"code":"ALREADY_PAID","message":"refund instead"}""");
        Assert.Equal("ALREADY_PAID", Assert.IsType<ChannelResult<Unit>.Rejected>(await _channel.CloseAsync(_account, "pay_01", CancellationToken.None)).Code);
    }

    [Fact]
    public async Task AMerchantRefundNamesThePaymentAndAnAutomaticOneNamesTheCollection()
    {
        _bank.Respond = _ => new BankAnswer(201, RefundAnswer("SUCCEEDED"));
        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.RefundAsync(_account, Refund(), CancellationToken.None));
        Assert.Equal(new ChannelRefundState(ChannelRefundStatus.Succeeded, "RTN01", new Money(2000, Currency.CNY), new DateTimeOffset(2026, 11, 24, 10, 5, 0, TimeSpan.Zero)), ok.Value);
        Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.RefundAsync(_account, Refund(transaction: "COL01"), CancellationToken.None));

        var requests = _bank.Requests.ToArray();
        Assert.All(requests, AssertSigned);
        var merchant = JsonDocument.Parse(requests[0].Body).RootElement;
        Assert.Equal(("re_01", "pay_01", false, 2000L), (merchant.GetProperty("refundRef").GetString(), merchant.GetProperty("merchantRef").GetString(), merchant.TryGetProperty("collectionId", out _), merchant.GetProperty("amount").GetInt64()));
        var automatic = JsonDocument.Parse(requests[1].Body).RootElement;
        Assert.Equal(("COL01", false), (automatic.GetProperty("collectionId").GetString(), automatic.TryGetProperty("merchantRef", out _)));
    }

    [Fact]
    public async Task ARefundBeyondWhatWasCreditedIsRejectedAndAnAnswerForAnotherRefundIsNotBelieved()
    {
        _bank.Respond = _ => new BankAnswer(409, """{"code":"EXCEEDS_CREDITED","message":"too much"}""");
        Assert.Equal("EXCEEDS_CREDITED", Assert.IsType<ChannelResult<ChannelRefundState>.Rejected>(await _channel.RefundAsync(_account, Refund(), CancellationToken.None)).Code);

        _bank.Respond = _ => new BankAnswer(201, RefundAnswer("SUCCEEDED", refundRef: "re_02"));
        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(await _channel.RefundAsync(_account, Refund(), CancellationToken.None));
    }

    [Fact]
    public async Task RefundQueryReadsByOurRefundIdAndAnUnknownOneIsNotFound()
    {
        _bank.Respond = _ => new BankAnswer(200, RefundAnswer("PROCESSING"));
        var processing = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.QueryRefundAsync(_account, "pay_01", "re_01", CancellationToken.None));
        Assert.Equal((ChannelRefundStatus.Processing, (DateTimeOffset?)null), (processing.Value.Status, processing.Value.SucceededAt));
        Assert.Equal(("GET", "/transfer/v1/refunds/re_01"), (_bank.Requests.Single().Method, _bank.Requests.Single().PathAndQuery));

        _bank.Respond = _ => new BankAnswer(404, """{"code":"NOT_FOUND"}""");
        Assert.Equal(ChannelRefundStatus.NotFound, Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.QueryRefundAsync(_account, "pay_01", "re_01", CancellationToken.None)).Value.Status);
    }

    [Fact]
    public async Task TheStatementIsDownloadedSignedAndADayWithoutOneIsEmpty()
    {
        string csv = TransferStatement.Header + "\n2026-11-24T02:00:00Z,CREDIT,CR01,COL01,pay_01,,CNY,12345,0\nTotal Entries,1\n";
        _bank.Respond = _ => new BankAnswer(200, csv, "text/csv");
        var day = new DateOnly(2026, 11, 24);
        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, day, CancellationToken.None));
        await using (var statement = ok.Value)
        {
            var line = Assert.Single(await _channel.ParseStatementAsync(statement, CancellationToken.None).ToListAsync());
            Assert.Equal(("pay_01", 12345L), (line.Id, line.Amount.MinorUnits));
        }

        var request = Assert.Single(_bank.Requests);
        Assert.Equal("/transfer/v1/statements?date=2026-11-24", request.PathAndQuery);
        AssertSigned(request);

        _bank.Respond = _ => new BankAnswer(404, """{"code":"NOT_FOUND"}""");
        var empty = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, day, CancellationToken.None));
        await using (var statement = empty.Value)
        {
            Assert.Empty(await _channel.ParseStatementAsync(statement, CancellationToken.None).ToListAsync());
        }

        _bank.Respond = _ => new BankAnswer(401, """{"code":"UNAUTHORIZED"}""");
        Assert.IsType<ChannelResult<Stream>.Rejected>(await _channel.DownloadStatementAsync(_account, day, CancellationToken.None));
    }
}
