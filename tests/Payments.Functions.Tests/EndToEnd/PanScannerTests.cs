namespace Payments.Functions.Tests.EndToEnd;

/// <summary>The scanner the PAN test relies on finds card numbers, so that test can fail.</summary>
public sealed class PanScannerTests
{
    [Theory]
    [InlineData("card=4111111111111111&cvc=737", "4111111111111111")]
    [InlineData("{\"pan\":\"5555555555554444\"}", "5555555555554444")]
    [InlineData("amex 378282246310005 end", "378282246310005")]
    [InlineData("unionpay 6200000000000005", "6200000000000005")]
    public void ACardNumberInTextIsFound(string text, string pan) => Assert.Equal([pan], PanScanner.Find(text));

    [Theory]
    [InlineData("4111111111111112")]
    [InlineData("masked **** 1111 visa")]
    [InlineData("app 2021004111111111 not a network prefix")]
    [InlineData("inside a longer run 94111111111111111")]
    [InlineData("too short 411111111111")]
    [InlineData("hash 7d569d0eaa4111111111111111eb95b6")]
    public void LuhnFailuresMaskedCardsAndOtherDigitRunsAreNotFound(string text) => Assert.Empty(PanScanner.Find(text));

    [Fact]
    public void MaskingKeepsOnlyTheLastFourDigits() => Assert.Equal("************1111", PanScanner.Masked("4111111111111111"));
}
