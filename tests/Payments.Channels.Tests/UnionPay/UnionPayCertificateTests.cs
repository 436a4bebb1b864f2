using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Payments.Channels.UnionPay;

namespace Payments.Channels.Tests.UnionPay;

public sealed class UnionPayCertificateTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private RSA? Check(string pem, DateTimeOffset? at = null) =>
        UnionPaySigner.VerifySigningCertificate(pem, _pki.Root, _pki.Middle, at ?? DateTimeOffset.UtcNow, out _);

    [Fact]
    public void ACertificateUnionPayIssuedChainsAndYieldsItsKey()
    {
        using var key = Check(_pki.SigningCertificatePem);
        Assert.NotNull(key);
        Assert.Equal(_pki.SigningKey.ExportSubjectPublicKeyInfo(), key!.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void ACertificateOfTheRightChainWithAnotherNameIsRefused()
    {
        var (other, pem) = _pki.Issue("041@Z12400000000001@Some Merchant Ltd@00000001", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        other.Dispose();
        Assert.Null(UnionPaySigner.VerifySigningCertificate(pem, _pki.Root, _pki.Middle, DateTimeOffset.UtcNow, out string problem));
        Assert.Contains("not UnionPay", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ASelfIssuedCertificateWithUnionPaysNameIsRefused()
    {
        using var key = RSA.Create(2048);
        using var forged = new CertificateRequest("CN=" + TestPki.UnionPayCn, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        Assert.Null(Check(forged.ExportCertificatePem()));
    }

    [Fact]
    public void ACertificateFromAnotherPkiWithTheSameNamesIsRefused()
    {
        using var otherPki = new TestPki();
        Assert.Null(Check(otherPki.SigningCertificatePem));
    }

    [Fact]
    public void AnExpiredOrNotYetValidCertificateIsRefused()
    {
        Assert.Null(Check(_pki.SigningCertificatePem, DateTimeOffset.UtcNow.AddYears(2)));
        Assert.Null(Check(_pki.SigningCertificatePem, DateTimeOffset.UtcNow.AddDays(-5)));
    }

    [Fact]
    public void TextThatIsNotACertificateIsRefusedWithoutThrowing() =>
        Assert.Null(Check("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"));
}
