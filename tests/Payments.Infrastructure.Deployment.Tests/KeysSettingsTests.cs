using Payments.Infrastructure.Deployment.Tests.Support;
using Payments.Infrastructure.Keys;

namespace Payments.Infrastructure.Deployment.Tests;

/// <summary>The app's key ring settings in Azure name the vault and the key that the Bicep creates.</summary>
public class KeysSettingsTests
{
    [Fact]
    public async Task TheAppUsesTheKeyVaultKeyRing()
    {
        var settings = (await InfraSnapshot.GetAsync()).AppSettings();

        string value = (string)settings["Keys__Provider"]!;

        Assert.True(Enum.TryParse<KeyProvider>(value, out var provider), $"{value} is not a KeyProvider.");
        Assert.Equal(KeyProvider.KeyVault, provider);
    }

    [Fact]
    public async Task TheKeyNameIsTheWrappingKeyTheBicepCreates()
    {
        var deployment = await InfraSnapshot.GetAsync();
        string key = deployment.ChildNames("Microsoft.KeyVault/vaults/keys").Single();

        Assert.Equal(key, (string?)deployment.AppSettings()["Keys__KeyName"]);
        Assert.Equal(KeysOptions.DefaultKeyName, key);
    }

    [Fact]
    public async Task TheVaultUriIsTheVaultTheBicepCreates()
    {
        var deployment = await InfraSnapshot.GetAsync();
        string vault = (string)deployment.Single("Microsoft.KeyVault/vaults")["name"]!;

        // The URI is known only once the vault exists; the snapshot keeps it as an expression over that vault.
        string value = (string)deployment.AppSettings()["Keys__VaultUri"]!;
        Assert.Contains($"/vaults/{vault}'", value, StringComparison.Ordinal);
        Assert.EndsWith(".vaultUri]", value, StringComparison.Ordinal);
    }
}
