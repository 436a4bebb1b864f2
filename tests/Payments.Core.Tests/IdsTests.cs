namespace Payments.Core.Tests;

public class IdsTests
{
    [Fact]
    public void PaymentIdsAreDerivedFromAppAndOrderNumber()
    {
        Assert.Equal(Ids.PaymentId("app_1", "A-1"), Ids.PaymentId("app_1", "A-1"));
        Assert.NotEqual(Ids.PaymentId("app_1", "A-1"), Ids.PaymentId("app_2", "A-1"));
        Assert.NotEqual(Ids.PaymentId("app_1", "A-1"), Ids.PaymentId("app_1", "A-2"));
        Assert.Matches("^pay_[0-9a-z]{26}$", Ids.PaymentId("app_1", "A-1"));
    }

    [Fact]
    public void PartsAreLengthPrefixedSoBoundariesCannotCollide() =>
        Assert.NotEqual(Ids.MessageId("a\nb", "c"), Ids.MessageId("a", "b\nc"));
}
