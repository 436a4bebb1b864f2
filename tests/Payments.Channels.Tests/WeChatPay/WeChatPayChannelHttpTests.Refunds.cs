using System.Text;
using System.Text.Json;
using Payments.Channels.Tests.Support;
using Payments.Channels.WeChatPay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.WeChatPay;

/// <summary>Refunds and refund queries, against the same fake and channel as the payment calls.</summary>
public partial class WeChatPayChannelHttpTests
{
    [Fact]
    public async Task RefundPostsASignedDomesticRefundNamedByOurIdsAndReadsTheProcessingAnswer()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_01J9ZQ", "ref_01JA0B", "PROCESSING", refund: 500, total: 1999));

        var result = await _channel.RefundAsync(_account, RefundRequest("pay_01J9ZQ", "ref_01JA0B", 500, 1999), CancellationToken.None);

        var state = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(result).Value;
        Assert.Equal(new ChannelRefundState(ChannelRefundStatus.Processing, "50000000382019052709732678859", new Money(500, Currency.CNY), null), state);
        var request = Assert.Single(_server.Requests);
        Assert.Null(request.AuthorizationProblem);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v3/refund/domestic/refunds", request.Target);
        Assert.Contains("application/json", request.Header("Content-Type"), StringComparison.Ordinal);

        using var json = JsonDocument.Parse(request.Body);
        var root = json.RootElement;
        Assert.Equal("pay_01J9ZQ", root.GetProperty("out_trade_no").GetString());
        Assert.Equal("ref_01JA0B", root.GetProperty("out_refund_no").GetString());
        Assert.Equal("Damaged in transit", root.GetProperty("reason").GetString());
        Assert.Equal("https://pay.example.com/notify/wechatpay", root.GetProperty("notify_url").GetString());
        Assert.False(root.TryGetProperty("mchid", out _), "a direct merchant's refund carries no mchid");
        var amount = root.GetProperty("amount");
        Assert.Equal(JsonValueKind.Number, amount.GetProperty("refund").ValueKind);
        Assert.Equal(500, amount.GetProperty("refund").GetInt64());
        Assert.Equal(1999, amount.GetProperty("total").GetInt64());
        Assert.Equal("CNY", amount.GetProperty("currency").GetString());
    }

    [Fact]
    public async Task RefundWithoutAReasonLeavesReasonOut()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_1", "ref_1"));

        await _channel.RefundAsync(_account, RefundRequest("pay_1", "ref_1", 500, 1999) with { Reason = null }, CancellationToken.None);

        using var json = JsonDocument.Parse(Assert.Single(_server.Requests).Body);
        Assert.False(json.RootElement.TryGetProperty("reason", out _));
    }

    [Fact]
    public async Task RefundCutsTheReasonToEightyBytesWithoutSplittingACharacter()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_1", "ref_1"));

        // 30 characters of 3 bytes each: 90 bytes, of which 26 whole characters (78 bytes) fit.
        await _channel.RefundAsync(_account, RefundRequest("pay_1", "ref_1", 500, 1999) with { Reason = new string('退', 30) }, CancellationToken.None);

        using var json = JsonDocument.Parse(Assert.Single(_server.Requests).Body);
        string reason = json.RootElement.GetProperty("reason").GetString()!;
        Assert.Equal(new string('退', 26), reason);
        Assert.Equal(78, Encoding.UTF8.GetByteCount(reason));
    }

    [Fact]
    public async Task RefundInAnotherCurrencyIsNotSupportedAndCallsNothing()
    {
        var request = new ChannelRefundRequest(
            "pay_1", "ref_1", new Money(500, Currency.Parse("USD")), new Money(1999, Currency.Parse("USD")), null, new Uri("https://pay.example.com/n"));

        var result = await _channel.RefundAsync(_account, request, CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelRefundState>.NotSupported>(result);
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")]
    [InlineData(400, "PARAM_ERROR", "参数错误")]
    [InlineData(404, "RESOURCE_NOT_EXISTS", "订单不存在")]
    [InlineData(403, "NOT_ENOUGH", "基本账户余额不足")]
    public async Task ARefundWeChatRefusesIsRejectedWithItsCode(int status, string code, string message)
    {
        _server.Respond = _ => new FakeAnswer(status, $$"""{"code":"{{code}}","message":"{{message}}"}""");

        var result = await _channel.RefundAsync(_account, RefundRequest("pay_1", "ref_1", 500, 1999), CancellationToken.None);

        var rejected = Assert.IsType<ChannelResult<ChannelRefundState>.Rejected>(result);
        Assert.Equal(code, rejected.Code);
        Assert.Equal(message, rejected.Message);
    }

    [Fact]
    public async Task ARefundAnsweredWithAServerErrorIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(500, """{"code":"SYSTEM_ERROR","message":"系统错误"}""");

        var result = await _channel.RefundAsync(_account, RefundRequest("pay_1", "ref_1", 500, 1999), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(result);
    }

    [Fact]
    public async Task ARefundThatTimesOutIsUnknown()
    {
        _server.Respond = _ => FakeAnswer.Hang;
        using var impatientClient = LoopbackServer.NewClient(TimeSpan.FromMilliseconds(300));
        var channel = new WeChatPayChannel(impatientClient, TimeProvider.System);

        var result = await channel.RefundAsync(_account, RefundRequest("pay_1", "ref_1", 500, 1999), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(result);
    }

    [Fact]
    public async Task AnUnsignedRefundAnswerIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_1", "ref_1", "SUCCESS"), AnswerSigning.Unsigned);

        var result = await _channel.RefundAsync(_account, RefundRequest("pay_1", "ref_1", 500, 1999), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(result);
    }

    [Fact]
    public async Task ARefundAnswerAboutAnotherRefundIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_1", "ref_other"));

        var result = await _channel.RefundAsync(_account, RefundRequest("pay_1", "ref_1", 500, 1999), CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(result);
    }

    [Fact]
    public async Task QueryRefundSendsASignedGetByOurRefundId()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_01J9ZQ", "ref_01JA0B", "SUCCESS", refund: 700));

        var result = await _channel.QueryRefundAsync(_account, "pay_01J9ZQ", "ref_01JA0B", CancellationToken.None);

        var request = Assert.Single(_server.Requests);
        Assert.Null(request.AuthorizationProblem);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/v3/refund/domestic/refunds/ref_01JA0B", request.Target);
        Assert.Equal("", request.Body);
        var state = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(result).Value;
        Assert.Equal(
            new ChannelRefundState(
                ChannelRefundStatus.Succeeded,
                "50000000382019052709732678859",
                new Money(700, Currency.CNY),
                new DateTimeOffset(2026, 11, 25, 9, 0, 5, TimeSpan.FromHours(8))),
            state);
    }

    [Theory]
    [InlineData("SUCCESS", ChannelRefundStatus.Succeeded, null)]
    [InlineData("PROCESSING", ChannelRefundStatus.Processing, null)]
    [InlineData("CLOSED", ChannelRefundStatus.Failed, "CLOSED")]
    [InlineData("ABNORMAL", ChannelRefundStatus.Processing, ChannelRefundState.Stuck)]
    public async Task QueryRefundMapsEachStatusToOurs(string status, ChannelRefundStatus expected, string? failureCode)
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_1", "ref_1", status));

        var result = await _channel.QueryRefundAsync(_account, "pay_1", "ref_1", CancellationToken.None);

        var state = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(result).Value;
        Assert.Equal(expected, state.Status);
        Assert.Equal(failureCode, state.FailureCode);
        Assert.Equal(failureCode is null, state.FailureMessage is null);
        Assert.Equal(expected == ChannelRefundStatus.Failed ? null : new Money(500, Currency.CNY), state.RefundedAmount);
        Assert.Equal(expected == ChannelRefundStatus.Succeeded, state.SucceededAt is not null);
    }

    [Fact]
    public async Task QueryRefundOfAStatusWeDoNotKnowIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_1", "ref_1", "SOMETHING_NEW"));

        var result = await _channel.QueryRefundAsync(_account, "pay_1", "ref_1", CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(result);
    }

    [Fact]
    public async Task QueryRefundOfARefundWeChatDoesNotHaveIsNotFound()
    {
        _server.Respond = _ => new FakeAnswer(404, """{"code":"RESOURCE_NOT_EXISTS","message":"退款单不存在"}""");

        var result = await _channel.QueryRefundAsync(_account, "pay_1", "ref_missing", CancellationToken.None);

        var state = Assert.IsType<ChannelResult<ChannelRefundState>.Ok>(result).Value;
        Assert.Equal(ChannelRefundStatus.NotFound, state.Status);
    }

    [Fact]
    public async Task QueryRefundAnsweredForAnotherOrderIsUnknown()
    {
        _server.Respond = _ => new FakeAnswer(200, WeChatPayTestData.Refund("pay_other", "ref_1"));

        var result = await _channel.QueryRefundAsync(_account, "pay_1", "ref_1", CancellationToken.None);

        Assert.IsType<ChannelResult<ChannelRefundState>.Unknown>(result);
    }

    private static ChannelRefundRequest RefundRequest(string paymentId, string refundId, long refund, long total) => new(
        paymentId,
        refundId,
        new Money(refund, Currency.CNY),
        new Money(total, Currency.CNY),
        "Damaged in transit",
        new Uri("https://pay.example.com/notify/wechatpay"));
}
