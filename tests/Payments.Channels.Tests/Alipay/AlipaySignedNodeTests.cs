using Payments.Channels.Alipay;

namespace Payments.Channels.Tests.Alipay;

/// <summary>The signed part of a gateway answer is its response node's text exactly as received.</summary>
public class AlipaySignedNodeTests
{
    [Fact]
    public void TheNodeIsTheRawTextBetweenTheNameAndTheSign()
    {
        string body = "{\"alipay_trade_precreate_response\":{\"code\":\"10000\",\"msg\":\"Success\",\"qr_code\":\"https:\\/\\/qr.alipay.com\\/bax\"},\"sign\":\"c2lnbg==\"}";

        var node = AlipaySigner.ExtractSignedNode(body, "alipay_trade_precreate_response");

        Assert.Equal("{\"code\":\"10000\",\"msg\":\"Success\",\"qr_code\":\"https:\\/\\/qr.alipay.com\\/bax\"}", node!.RawText);
        Assert.Equal("c2lnbg==", node.Sign);
        Assert.False(node.IsErrorResponse);
    }

    [Fact]
    public void SpacingInsideTheNodeIsKept()
    {
        string body = "{ \"alipay_trade_query_response\" : { \"code\" : \"10000\" ,\n \"msg\":\"处理成功\" } , \"sign\" : \"x\" }";

        Assert.Equal("{ \"code\" : \"10000\" ,\n \"msg\":\"处理成功\" }", AlipaySigner.ExtractSignedNode(body, "alipay_trade_query_response")!.RawText);
    }

    [Fact]
    public void TheSignMayComeFirst()
    {
        string body = "{\"sign\":\"x\",\"alipay_trade_query_response\":{\"code\":\"10000\"}}";

        var node = AlipaySigner.ExtractSignedNode(body, "alipay_trade_query_response");

        Assert.Equal(("{\"code\":\"10000\"}", "x"), (node!.RawText, node.Sign));
    }

    [Fact]
    public void AnErrorResponseStandsInForAMissingMethodNode()
    {
        var node = AlipaySigner.ExtractSignedNode("{\"error_response\":{\"code\":\"40002\"}}", "alipay_trade_query_response");

        Assert.True(node!.IsErrorResponse);
        Assert.Null(node.Sign);
    }

    [Fact]
    public void TheMethodNodeWinsOverAnErrorResponse()
    {
        var node = AlipaySigner.ExtractSignedNode("{\"error_response\":{\"code\":\"40002\"},\"alipay_trade_query_response\":{\"code\":\"10000\"}}", "alipay_trade_query_response");

        Assert.Equal("{\"code\":\"10000\"}", node!.RawText);
    }

    [Theory]
    [InlineData("{\"alipay_trade_close_response\":{\"code\":\"10000\"}}")]
    [InlineData("[]")]
    [InlineData("not json")]
    [InlineData("{\"alipay_trade_query_response\":\"10000\"}")]
    public void AnAnswerWithoutTheNodeHasNothingSigned(string body) =>
        Assert.Null(AlipaySigner.ExtractSignedNode(body, "alipay_trade_query_response"));

    [Fact]
    public void SignContentSortsByCodeUnitSkipsEmptiesAndKeepsValuesUnescaped()
    {
        var parameters = new Dictionary<string, string>
        {
            ["b"] = "2",
            ["B"] = "upper",
            ["a_b"] = "x&y=z",
            ["aa"] = "",
            ["sign"] = "dropped",
            ["sign_type"] = "RSA2",
        };

        Assert.Equal("B=upper&a_b=x&y=z&b=2&sign_type=RSA2", AlipaySigner.BuildSignContent(parameters, excludeSignType: false));
        Assert.Equal("B=upper&a_b=x&y=z&b=2", AlipaySigner.BuildSignContent(parameters, excludeSignType: true));
    }

    [Fact]
    public void ThePrivateKeyMayBePkcs1AsAlipaysToolWritesItForNonJavaLanguages()
    {
        using var pkcs8 = AlipaySigner.ImportPrivateKeyPem(AlipayTestData.ProdCertPrivateKeyPem);
        using var pkcs1 = AlipaySigner.ImportPrivateKeyPem(pkcs8.ExportRSAPrivateKeyPem());

        Assert.Equal(AlipaySigner.Sign(pkcs8, "a=1"), AlipaySigner.Sign(pkcs1, "a=1"));
    }

    [Fact]
    public void APrivateKeyIsNotAcceptedWhereAlipaysPublicKeyBelongs() =>
        Assert.Throws<ArgumentException>(() => AlipaySigner.ImportPublicKeyPem(AlipayTestData.ProdCertPrivateKeyPem));
}
