namespace Payments.Core.Payments;

/// <summary>The channels and methods the API knows. Whether one is usable for an app is the
/// app's configuration; whether an adapter exists is the channel registry's.</summary>
public static class KnownChannels
{
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Methods { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["card"] = ["page"],
        ["alipay"] = ["qr", "page", "h5", "app"],
        ["wechatpay"] = ["qr", "jsapi", "h5", "app"],
        ["unionpay"] = ["page", "qr", "app"],
        ["balance"] = ["app"],
        ["transfer"] = ["page"],
        ["ecny"] = ["qr", "app"],
    };
}
