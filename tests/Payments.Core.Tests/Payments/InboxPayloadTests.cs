using Payments.Core.Channels;
using Payments.Core.Payments.ProcessChannelNotification;

namespace Payments.Core.Tests.Payments;

public class InboxPayloadTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AStoredNotificationReadsBackAsTheSameChannelStateIncludingWhoSetTheAmount(bool payerSetsAmount)
    {
        var state = new ChannelPaymentState(
            ChannelPaymentStatus.Closed, "COL-1", new Money(500, Currency.CNY), new DateTimeOffset(2026, 11, 24, 1, 2, 3, TimeSpan.Zero),
            "code", "message", payerSetsAmount);

        var stored = InboxPayload.Parse(InboxPayload.Serialize(new ChannelNotification("n-1", "pay_1", state, "{}")));

        Assert.Equal(state, stored.PaymentState());
    }
}
