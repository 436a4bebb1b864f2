using System.Text.Json;
using Payments.Channels.Card;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Card;

public sealed class CardChannelHttpTests : IAsyncLifetime
{
    private static readonly Currency Eur = Currency.Parse("EUR");
    private FakeCardAcquirer _acquirer = null!;
    private CardChannel _channel = null!;
    private ChannelAccount _account = null!;

    public async Task InitializeAsync()
    {
        _acquirer = await FakeCardAcquirer.StartAsync();
        _channel = new CardChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(30) });
        _account = CardTestData.Account(_acquirer.Endpoint);
    }

    public async Task DisposeAsync() => await _acquirer.DisposeAsync();

    private static ChannelCreateRequest Create(string method = "page") =>
        new("pay_01", new Money(1999, Eur), method, "Order 42", null, new DateTimeOffset(2026, 11, 24, 10, 30, 0, TimeSpan.Zero), new Uri("https://api.example/cb/card/ca_1"), null);

    private static string Session(string status, string reference = "pay_01", string extra = "") =>
        $$"""{"id":"cs_1","reference":"{{reference}}","status":"{{status}}","amount":{"value":1999,"currency":"EUR"},"url":"http://acq/card/pay/cs_1"{{extra}}}""";

    [Fact]
    public async Task CreateOpensASessionWithTheApiKeyAndReturnsThePageAsARedirect()
    {
        _acquirer.Respond = _ => new AcquirerAnswer(201, Session("pending"));
        var ok = Assert.IsType<ChannelResult<ChannelOrder>.Ok>(await _channel.CreateAsync(_account, Create(), CancellationToken.None));
        Assert.Equal(new ChannelOrder("redirect", "http://acq/card/pay/cs_1"), ok.Value);

        var request = Assert.Single(_acquirer.Requests);
        Assert.Equal(("POST", "/card/v1/sessions", CardTestData.ApiKey), (request.Method, request.PathAndQuery, request.ApiKey));
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("TestMerchant", body.GetProperty("merchantAccount").GetString());
        Assert.Equal("pay_01", body.GetProperty("reference").GetString());
        Assert.Equal((1999, "EUR"), (body.GetProperty("amount").GetProperty("value").GetInt64(), body.GetProperty("amount").GetProperty("currency").GetString()));
        Assert.Equal("https://api.example/cb/card/ca_1", body.GetProperty("notifyUrl").GetString());
    }

    [Fact]
    public async Task AMethodOtherThanPageIsNotSupportedAndNothingIsSent()
    {
        Assert.IsType<ChannelResult<ChannelOrder>.NotSupported>(await _channel.CreateAsync(_account, Create("qr"), CancellationToken.None));
        Assert.Empty(_acquirer.Requests);
    }

    [Fact]
    public async Task AnAnswerForAnotherReferenceIsNotBelieved()
    {
        _acquirer.Respond = _ => new AcquirerAnswer(201, Session("pending", reference: "pay_02"));
        Assert.IsType<ChannelResult<ChannelOrder>.Unknown>(await _channel.CreateAsync(_account, Create(), CancellationToken.None));
    }

    [Fact]
    public async Task QueryMapsEveryStatusAndAMissingSessionIsNotFound()
    {
        var expected = new Dictionary<string, ChannelPaymentStatus>
        {
            ["pending"] = ChannelPaymentStatus.Pending,
            ["authorised"] = ChannelPaymentStatus.Succeeded,
            ["refused"] = ChannelPaymentStatus.Failed,
            ["cancelled"] = ChannelPaymentStatus.Closed,
            ["expired"] = ChannelPaymentStatus.Closed,
        };
        foreach (var (status, ours) in expected)
        {
            _acquirer.Respond = _ => new AcquirerAnswer(200, Session(status, extra: ""","pspReference":"PSPA","authorisedAt":"2026-11-24T10:01:02Z" """));
            var ok = Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
            Assert.Equal(ours, ok.Value.Status);
        }

        Assert.Equal("/card/v1/sessions/pay_01?merchantAccount=TestMerchant", _acquirer.Requests.Last().PathAndQuery);
        _acquirer.Respond = _ => new AcquirerAnswer(404, """{"errorCode":"not_found","message":"no such session"}""");
        Assert.Equal(ChannelPaymentStatus.NotFound, Assert.IsType<ChannelResult<ChannelPaymentState>.Ok>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None)).Value.Status);
    }

    [Fact]
    public async Task AnUnknownStatusA5xxAndATimeoutAreUnknownNeverAGuess()
    {
        _acquirer.Respond = _ => new AcquirerAnswer(200, Session("chargeback"));
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
        _acquirer.Respond = _ => new AcquirerAnswer(500, """{"errorCode":"internal_error"}""");
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await _channel.QueryAsync(_account, "pay_01", CancellationToken.None));
        // Only the time-out wants an impatient client: on a loaded machine a short one times out good answers too.
        _acquirer.Respond = _ => new AcquirerAnswer(0);
        var impatient = new CardChannel(new HttpClient { Timeout = TimeSpan.FromSeconds(1) });
        Assert.IsType<ChannelResult<ChannelPaymentState>.Unknown>(await impatient.QueryAsync(_account, "pay_01", CancellationToken.None));
    }

    [Fact]
    public async Task CancellingAnAuthorisedSessionIsRejectedWithTheAcquirersCode()
    {
        _acquirer.Respond = _ => new AcquirerAnswer(422, """{"errorCode":"not_cancellable","message":"the session is authorised"}""");
        var rejected = Assert.IsType<ChannelResult<Unit>.Rejected>(await _channel.CloseAsync(_account, "pay_01", CancellationToken.None));
        Assert.Equal("not_cancellable", rejected.Code);
        Assert.Equal(("POST", "/card/v1/sessions/pay_01/cancel"), (_acquirer.Requests.Single().Method, _acquirer.Requests.Single().PathAndQuery));
    }

    [Fact]
    public async Task ARefundIsSentWithOurRefundIdAndItsSucceededAnswerIsRead()
    {
        _acquirer.Respond = _ => new AcquirerAnswer(201, """{"reference":"rf_1","paymentReference":"pay_01","status":"succeeded","amount":{"value":300,"currency":"EUR"},"pspReference":"RFD1","refundedAt":"2026-11-24T11:00:00Z"}""");
        var request = new ChannelRefundRequest("pay_01", "rf_1", new Money(300, Eur), new Money(1999, Eur), "returned", new Uri("https://api.example/cb"));
        var ok = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.RefundAsync(_account, request, CancellationToken.None));
        Assert.Equal((ChannelRefundStatus.Succeeded, "RFD1", 300L), (ok.Value.Status, ok.Value.ChannelRefundId, ok.Value.RefundedAmount!.Value.MinorUnits));
        var body = JsonDocument.Parse(_acquirer.Requests.Single().Body).RootElement;
        Assert.Equal(("pay_01", "rf_1"), (body.GetProperty("paymentReference").GetString(), body.GetProperty("reference").GetString()));
    }

    [Fact]
    public async Task ARefundExceedingThePaymentIsRejectedAndAMissingRefundIsNotFound()
    {
        _acquirer.Respond = _ => new AcquirerAnswer(422, """{"errorCode":"exceeds_amount","message":"refunds would exceed the authorised amount"}""");
        var request = new ChannelRefundRequest("pay_01", "rf_1", new Money(3000, Eur), new Money(1999, Eur), null, new Uri("https://api.example/cb"));
        Assert.Equal("exceeds_amount", Assert.IsType<ChannelResult<ChannelRefundState>.Rejected>(await _channel.RefundAsync(_account, request, CancellationToken.None)).Code);

        _acquirer.Respond = _ => new AcquirerAnswer(404, """{"errorCode":"not_found"}""");
        Assert.Equal(ChannelRefundStatus.NotFound, Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(await _channel.QueryRefundAsync(_account, "pay_01", "rf_1", CancellationToken.None)).Value.Status);
        Assert.Equal("/card/v1/refunds/rf_1?merchantAccount=TestMerchant", _acquirer.Requests.Last().PathAndQuery);
    }

    [Fact]
    public async Task RefundingANamedTransactionIsNotSupported()
    {
        var request = new ChannelRefundRequest("pay_01", "rf_1", new Money(300, Eur), new Money(1999, Eur), null, new Uri("https://api.example/cb"), "PSPB");
        Assert.IsType<ChannelResult<ChannelRefundState>.NotSupported>(await _channel.RefundAsync(_account, request, CancellationToken.None));
        Assert.Empty(_acquirer.Requests);
    }

    [Fact]
    public async Task TheReportIsDownloadedForTheDayAndAMissingDayIsAnEmptyStatement()
    {
        string report = CardSettlementReport.Header + "\nTestMerchant,pay_01,PSPA,,Settled,2026-11-24T10:01:02Z,EUR,19.99,0.30\nTotal Records,1\n";
        _acquirer.Respond = _ => new AcquirerAnswer(200, report);
        var ok = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));
        await using (var statement = ok.Value)
        {
            Assert.Equal("pay_01", Assert.Single(await _channel.ParseStatementAsync(statement, CancellationToken.None).ToListAsync()).Id);
        }

        Assert.Equal("/card/v1/reports/settlement?merchantAccount=TestMerchant&date=2026-11-24", _acquirer.Requests.Single().PathAndQuery);
        Assert.Equal(CardTestData.ApiKey, _acquirer.Requests.Single().ApiKey);

        _acquirer.Respond = _ => new AcquirerAnswer(404, """{"errorCode":"not_found"}""");
        var empty = Assert.IsType<ChannelResult<Stream>.Ok>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 25), CancellationToken.None));
        await using (var statement = empty.Value)
        {
            Assert.Empty(await _channel.ParseStatementAsync(statement, CancellationToken.None).ToListAsync());
        }

        _acquirer.Respond = _ => new AcquirerAnswer(500, """{"errorCode":"internal_error"}""");
        Assert.IsType<ChannelResult<Stream>.Unknown>(await _channel.DownloadStatementAsync(_account, new DateOnly(2026, 11, 24), CancellationToken.None));
    }
}
