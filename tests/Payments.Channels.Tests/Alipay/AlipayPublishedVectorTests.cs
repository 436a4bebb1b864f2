using Payments.Channels.Alipay;
using Payments.Core;
using Payments.Core.Channels;

namespace Payments.Channels.Tests.Alipay;

/// <summary>
/// The vectors published in Alipay's own SDK test suites (see the design's vectors page). A round
/// trip through our own code proves nothing about the real channel; these do.
/// </summary>
public class AlipayPublishedVectorTests
{
    // alipay/alipay-sdk-java-all, RSACheckTest.should_pass_rsa_check_when_sign_type_is_rsa2.
    private const string Rsa2Signature =
        "JzoDc8VxY1/w6yN9WdWV10aipS3YcRpK+jw4xfLybf90ZK9L3AHLUJbNLWVnHW3IuLoJbBeSGVxSbPBhe4ggPklcYUkPowgtlZ6YlthuQDtjF23h2obXuXkQRd+RPbDWvOA5AYQjsKH8uSHil5aRARewPIPhukl9Mn4HEovUccsBR/RirQFSGmGYiMM0zvhVSR7pXZDEhiADzvzAkvVVTI1/HbNqcoBU4ctSPAGsuDPO/mah1+IwGQAuPP6xoEPL+3zQ0wztQCwHT2o8aQmxFJ9a09q8ybRprHaNjCgTaLDeTWE0o1pllZIE8c7wnG3cOuj6quYjTcQyLm6P4M87Zw==";

    // The same file, should_pass_rsa_check_when_charset_is_utf8.
    private const string Utf8Signature =
        "KrRGUY3/2JX3KtlLgus8CbK0xuUIBDCpOdJkVzJDefez6HvlA8RA6uCVj2rrMd7DgVfarG5SROdSnkZbf8MLKHbVoFqi9w0QCvto9mc8n3ezfWejZECJVCZhbJ3OslB+4gij9+F70usrnCNEJZm02ntyNdVzcqMbgdRMB93BJIRC1jjmCotpXgXWrRdTb/SfhIAkoHqgGi2aCUHuLDInLGZCn8NeziGWMnFOic6/sE/nMpwriOmwLb2nyzD0fGiolwuuxlOGMcBHAb22J8XqchFHyCpbs2A/rWdJMjhUfqsErbtZQM93fi1xfL2pUa9RMWX0Q81Qk7iSEeHCR+NGyQ==";

    // alipay/alipay-sdk-nodejs-all, test/alipay.test.ts, "verify sign should delete sign_type".
    private const string NotificationSignature =
        "QfTb8tqE1BMhS5qAnXtvsF3/jBkEvu9q9en0pdbBUDDjvKycZhQb7h8GDs4FKfi049PynaNuatxSgLb/nLWZpXyyh0LEWdK2S6Ri7nPwrVgOs08zugLO20vOQz44y3ti2Ncm8/wZts1Fr2gZ7pShnVX3d1B50hbsXnObT1r/U8ONNQjWXd0HIul4TG+Q3fm3svmSvFEy0WnzuhcyHPX5Gm4ELNctL6Qd5YniGJFNcc7kopHYtI/XD9YCKCH6Ct02rzUs9i11C9CsadtZn+WhxF26Dqt9sGEFajkJ8cxUTLi8+VCpLHsgPE8P0y095uQcDdK0YjCh4x7wVSov+lrmOQ==";

    private static Dictionary<string, string> RsaCheckParameters() => new()
    {
        ["method"] = "koubei.marketing.data.indicator.query",
        ["app_id"] = "2019090366875133",
        ["sign_type"] = "RSA2",
        ["sign"] = Rsa2Signature,
    };

    /// <summary>The real notification of the Node SDK's test, as its form fields arrive (fund_bill_list is JSON text).</summary>
    private static Dictionary<string, string> RealNotification() => new()
    {
        ["gmt_create"] = "2019-08-15 15:56:22",
        ["charset"] = "utf-8",
        ["seller_email"] = "z97-yuquerevenue@service.aliyun.com",
        ["subject"] = "语雀空间 500人规模",
        ["sign"] = NotificationSignature,
        ["buyer_id"] = "2088102534368455",
        ["invoice_amount"] = "0.10",
        ["notify_id"] = "2019081500222155624068450559358070",
        ["fund_bill_list"] = """[{"amount":"0.10","fundChannel":"ALIPAYACCOUNT"}]""",
        ["notify_type"] = "trade_status_sync",
        ["trade_status"] = "TRADE_SUCCESS",
        ["receipt_amount"] = "0.10",
        ["buyer_pay_amount"] = "0.10",
        ["sign_type"] = "RSA2",
        ["app_id"] = "2019073166072302",
        ["seller_id"] = "2088531891668739",
        ["gmt_payment"] = "2019-08-15 15:56:24",
        ["notify_time"] = "2019-08-15 15:56:25",
        ["version"] = "1.0",
        ["out_trade_no"] = "20190815155618536-564-57",
        ["total_amount"] = "0.10",
        ["trade_no"] = "2019081522001468450512505578",
        ["auth_app_id"] = "2019073166072302",
        ["buyer_logon_id"] = "xud***@126.com",
        ["point_amount"] = "0.00",
    };

    private static string FormOf(Dictionary<string, string> fields) =>
        string.Join("&", fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));

    private static ChannelAccount NotificationAccount(string appId = "2019073166072302") =>
        AlipayTestData.Account(new Uri("https://openapi.alipay.com/gateway.do"), appId, AlipayTestData.NodeSdkNotifyPublicKeyPem);

    [Fact]
    public void TheRequestSignContentKeepsSignTypeAndDropsSign() =>
        Assert.Equal(
            "app_id=2019090366875133&method=koubei.marketing.data.indicator.query&sign_type=RSA2",
            AlipaySigner.BuildSignContent(RsaCheckParameters(), excludeSignType: false));

    [Fact]
    public void SigningTheRsaCheckParametersWithTheProdCertKeyGivesThePublishedSignature()
    {
        using var key = AlipaySigner.ImportPrivateKeyPem(AlipayTestData.ProdCertPrivateKeyPem);

        Assert.Equal(Rsa2Signature, AlipaySigner.Sign(key, AlipaySigner.BuildSignContent(RsaCheckParameters(), excludeSignType: false)));
    }

    [Fact]
    public void SigningChineseTextSignsItsUtf8BytesAndGivesThePublishedSignature()
    {
        using var key = AlipaySigner.ImportPrivateKeyPem(AlipayTestData.ProdCertPrivateKeyPem);
        var parameters = RsaCheckParameters();
        parameters["extra"] = "中文测试";

        string content = AlipaySigner.BuildSignContent(parameters, excludeSignType: false);

        Assert.Equal("app_id=2019090366875133&extra=中文测试&method=koubei.marketing.data.indicator.query&sign_type=RSA2", content);
        Assert.Equal(Utf8Signature, AlipaySigner.Sign(key, content));
    }

    [Fact]
    public void AnEmptyNameAndAMissingValueAreLeftOutOfTheSignContent()
    {
        // RSACheckTest.should_pass_rsa_check_when_sign_type_is_rsa3 signs a map holding "" -> "test"
        // and "test" -> null; neither may reach the content.
        var parameters = new Dictionary<string, string>
        {
            ["method"] = "koubei.marketing.data.indicator.query",
            ["app_id"] = "2019090366875133",
            [""] = "test",
            ["test"] = null!,
        };

        Assert.Equal(
            "app_id=2019090366875133&method=koubei.marketing.data.indicator.query",
            AlipaySigner.BuildSignContent(parameters, excludeSignType: false));
    }

    [Fact]
    public void TheRealNotificationVerifiesOnlyWhenSignTypeIsLeftOut()
    {
        using var key = AlipaySigner.ImportPublicKeyPem(AlipayTestData.NodeSdkNotifyPublicKeyPem);
        var fields = RealNotification();

        Assert.True(AlipaySigner.Verify(key, AlipaySigner.BuildSignContent(fields, excludeSignType: true), NotificationSignature));
        Assert.False(AlipaySigner.Verify(key, AlipaySigner.BuildSignContent(fields, excludeSignType: false), NotificationSignature));
    }

    [Fact]
    public void TheRealNotificationPostedAsAFormIsAValidPaymentOfTenFen()
    {
        var channel = new AlipayChannel(new HttpClient(), TimeProvider.System);

        var result = channel.ParseNotification(NotificationAccount(), new Dictionary<string, string>(), FormOf(RealNotification()));

        var valid = Assert.IsType<NotificationParseResult.Valid>(result);
        Assert.Equal((200, "text/plain", "success"), (valid.AckStatusCode, valid.AckContentType, valid.AckBody));
        var notification = valid.Notification;
        Assert.Equal("2019081500222155624068450559358070", notification.NotificationId);
        Assert.Equal("20190815155618536-564-57", notification.PaymentId);
        Assert.Equal(ChannelPaymentStatus.Succeeded, notification.State.Status);
        Assert.Equal("2019081522001468450512505578", notification.State.ChannelTransactionId);
        Assert.Equal(new Money(10, Currency.CNY), notification.State.PaidAmount);
        Assert.Equal(new DateTimeOffset(2019, 8, 15, 15, 56, 24, TimeSpan.FromHours(8)), notification.State.PaidAt);
        Assert.Null(notification.RefundId);
    }

    [Fact]
    public void TheRealNotificationIsRefusedForAnotherApp()
    {
        var channel = new AlipayChannel(new HttpClient(), TimeProvider.System);

        var result = channel.ParseNotification(NotificationAccount(appId: "2021000000000001"), new Dictionary<string, string>(), FormOf(RealNotification()));

        Assert.IsType<NotificationParseResult.Invalid>(result);
    }

    [Fact]
    public void TheRealNotificationWithItsAmountRaisedIsRefused()
    {
        var channel = new AlipayChannel(new HttpClient(), TimeProvider.System);
        var fields = RealNotification();
        fields["total_amount"] = "1000.10";

        var result = channel.ParseNotification(NotificationAccount(), new Dictionary<string, string>(), FormOf(fields));

        Assert.IsType<NotificationParseResult.Invalid>(result);
    }
}
