using Payments.Core.Apps;

namespace Payments.Core.Tests.Apps;

public class AppSecretRotationTests
{
    private static readonly DateTimeOffset Until = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    private static App Rotated() => new(
        "app_1", "mch_1", "Shop", new Dictionary<string, string>(), null,
        [new Secret("sk_new"), new Secret("sk_old")], [new Secret("whsec_new"), new Secret("whsec_old")], Active: true, PreviousSecretsValidUntil: Until);

    [Fact]
    public void DuringTheOverlapBothSecretsSignRequestsAndWebhooks()
    {
        var app = Rotated();

        Assert.Equal(["sk_new", "sk_old"], app.AppSecretsAt(Until.AddTicks(-1)).Select(s => s.Reveal()));
        Assert.Equal(["whsec_new", "whsec_old"], app.WebhookSecretsAt(Until.AddTicks(-1)).Select(s => s.Reveal()));
    }

    [Fact]
    public void OnceTheOverlapEndsOnlyTheNewSecretsCount()
    {
        var app = Rotated();

        Assert.Equal(["sk_new"], app.AppSecretsAt(Until).Select(s => s.Reveal()));
        Assert.Equal(["whsec_new"], app.WebhookSecretsAt(Until.AddDays(1)).Select(s => s.Reveal()));
    }
}
