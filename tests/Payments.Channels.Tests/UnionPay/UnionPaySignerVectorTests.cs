using System.Security.Cryptography;
using System.Text;
using Payments.Channels.UnionPay;

namespace Payments.Channels.Tests.UnionPay;

public sealed class UnionPaySignerVectorTests
{
    private static RSA Key() => UnionPaySigner.ImportPrivateKeyPem(UnionPayTestData.PrivateKeyPem);

    [Fact]
    public void TheDigestIsTheLowercaseHexOfSha256OverTheContent()
    {
        Assert.Equal(UnionPayTestData.VectorDigestHex, Encoding.ASCII.GetString(UnionPaySigner.DigestHex(UnionPayTestData.VectorContent)));
        Assert.Equal(UnionPayTestData.Utf8VectorDigestHex, Encoding.ASCII.GetString(UnionPaySigner.DigestHex(UnionPayTestData.Utf8VectorContent)));
    }

    [Fact]
    public void SigningReproducesTheSignaturesOpenSslMadeOverTheHexDigest()
    {
        using var key = Key();
        Assert.Equal(UnionPayTestData.VectorSignature, UnionPaySigner.Sign(key, UnionPayTestData.VectorContent));
        Assert.Equal(UnionPayTestData.Utf8VectorSignature, UnionPaySigner.Sign(key, UnionPayTestData.Utf8VectorContent));
    }

    [Fact]
    public void TheOpenSslSignaturesVerifyAndFailForAnyOtherContent()
    {
        using var key = Key();
        Assert.True(UnionPaySigner.Verify(key, UnionPayTestData.VectorContent, UnionPayTestData.VectorSignature));
        Assert.False(UnionPaySigner.Verify(key, UnionPayTestData.VectorContent.Replace("txnAmt=1999", "txnAmt=1998", StringComparison.Ordinal), UnionPayTestData.VectorSignature));
        Assert.False(UnionPaySigner.Verify(key, UnionPayTestData.VectorContent, "not base64!"));
    }

    [Fact]
    public void TheSignContentSortsFieldsOrdinallyKeepsEmptyValuesAndLeavesOutTheSignature()
    {
        var fields = new Dictionary<string, string>
        {
            ["version"] = "5.1.0",
            ["txnType"] = "01",
            ["signature"] = "ignored",
            ["reqReserved"] = "",
            ["accessType"] = "0",
            ["Zeta"] = "upper case sorts first",
        };

        Assert.Equal("Zeta=upper case sorts first&accessType=0&reqReserved=&txnType=01&version=5.1.0", UnionPaySigner.BuildSignContent(fields));
    }

    [Fact]
    public void TheVectorContentIsWhatTheSignerBuildsFromTheVectorFields()
    {
        var fields = UnionPayTestData.VectorContent.Split('&').Select(pair => pair.Split('=', 2)).Reverse().ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(UnionPayTestData.VectorContent, UnionPaySigner.BuildSignContent(fields));
    }
}
