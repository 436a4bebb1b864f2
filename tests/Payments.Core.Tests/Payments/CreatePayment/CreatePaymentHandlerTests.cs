using Payments.Core.Payments.CreatePayment;

namespace Payments.Core.Tests.Payments.CreatePayment;

public class CreatePaymentHandlerTests
{
    private static CreatePaymentCommand Command(long amount = 1999, IReadOnlyDictionary<string, string>? metadata = null) =>
        new("A-1", amount, "CNY", "wechatpay", "qr", "Subject", null, null, null, null, null, metadata);

    [Fact]
    public void TheRequestHashChangesWithAnyParameter()
    {
        string h = CreatePaymentHandler.RequestHash(Command());
        Assert.Equal(h, CreatePaymentHandler.RequestHash(Command()));
        Assert.NotEqual(h, CreatePaymentHandler.RequestHash(Command(amount: 2000)));
        Assert.NotEqual(h, CreatePaymentHandler.RequestHash(Command(metadata: new Dictionary<string, string> { ["a"] = "b" })));
        Assert.NotEqual(h, CreatePaymentHandler.RequestHash(Command() with { Description = "" }));
    }

    [Fact]
    public void MetadataOrderDoesNotMatter() =>
        Assert.Equal(
            CreatePaymentHandler.RequestHash(Command(metadata: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" })),
            CreatePaymentHandler.RequestHash(Command(metadata: new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" })));

    [Fact]
    public void FieldBoundariesCannotBeShiftedToForgeTheSameHash() =>
        Assert.NotEqual(
            CreatePaymentHandler.RequestHash(Command() with { Subject = "ab", Description = "c" }),
            CreatePaymentHandler.RequestHash(Command() with { Subject = "a", Description = "bc" }));

    [Fact]
    public void LoneSurrogatesAndControlCharactersAreRefused()
    {
        // Built here, not in attributes: test discovery would replace a lone surrogate before we saw it.
        string[] subjects = ["ab" + (char)0xD800 + "c", ((char)0xDC00).ToString(), "tab\there", "nul\0"];
        Assert.All(subjects, subject => Assert.Contains("subject", CreatePaymentValidator.Validate(Command() with { Subject = subject }).Keys));
    }

    [Fact]
    public void EmojiAndChineseAreFine() =>
        Assert.Empty(CreatePaymentValidator.Validate(Command() with { Subject = "订单 🍜 A-1" }));
}
