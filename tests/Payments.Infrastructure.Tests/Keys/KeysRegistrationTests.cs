using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Payments.Core.Security;
using Payments.Infrastructure.Keys;

namespace Payments.Infrastructure.Tests.Keys;

/// <summary>Keys:* configuration chooses the key ring, and options that cannot work are refused.</summary>
public sealed class KeysRegistrationTests
{
    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        settings["Storage:ConnectionString"] = "UseDevelopmentStorage=true";
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddInfrastructure();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void WithoutKeysSettingsTheLocalRingUsesTheRepositorysLocalKeysDirectory()
    {
        using var services = Services([]);

        var ring = Assert.IsType<LocalKeyRing>(services.GetRequiredService<IKeyRing>());

        Assert.Equal(Path.GetFullPath(Path.Combine(".local", "keys")), ring.Directory);
        Assert.NotNull(services.GetRequiredService<SecretProtector>());
    }

    [Fact]
    public void KeyVaultIsChosenByConfiguration()
    {
        using var services = Services(new() { ["Keys:Provider"] = "KeyVault", ["Keys:VaultUri"] = "https://kv-abc.vault.azure.net/" });

        Assert.IsType<KeyVaultKeyRing>(services.GetRequiredService<IKeyRing>());
    }

    [Theory]
    [InlineData("KeyVault", null, "envelope-wrapping", "Keys:VaultUri")]
    [InlineData("KeyVault", "http://kv-abc.vault.azure.net/", "envelope-wrapping", "Keys:VaultUri")]
    [InlineData("KeyVault", "https://kv-abc.vault.azure.net/keys", "envelope-wrapping", "Keys:VaultUri")]
    [InlineData("Local", null, "../escape", "Keys:KeyName")]
    public void OptionsThatCannotWorkAreRefusedNamingTheSetting(string provider, string? vaultUri, string keyName, string named)
    {
        using var services = Services(new() { ["Keys:Provider"] = provider, ["Keys:VaultUri"] = vaultUri, ["Keys:KeyName"] = keyName });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<KeysOptions>>().Value);

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
