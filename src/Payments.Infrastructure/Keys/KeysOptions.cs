using Azure.Core;
using Microsoft.Extensions.Options;
using Payments.Core.Security;

namespace Payments.Infrastructure.Keys;

/// <summary>Where the keys live.</summary>
public enum KeyProvider
{
    /// <summary>RSA keys as PEM files on this machine: development and tests only.</summary>
    Local,

    /// <summary>Azure Key Vault keys over REST, with the app's managed identity.</summary>
    KeyVault,
}

/// <summary>Bound from the <c>Keys</c> section (<c>Keys__Provider</c>, <c>Keys__VaultUri</c>,
/// <c>Keys__KeyName</c>, <c>Keys__LocalDirectory</c>).</summary>
public sealed class KeysOptions
{
    /// <summary>The name of the wrapping key the Bicep creates in the vault.</summary>
    public const string DefaultKeyName = "envelope-wrapping";

    public KeyProvider Provider { get; set; } = KeyProvider.Local;

    /// <summary>The vault, e.g. <c>https://kv-abc.vault.azure.net/</c>; required for <see cref="KeyProvider.KeyVault"/>.</summary>
    public Uri? VaultUri { get; set; }

    /// <summary>The key that wraps the data keys of stored secrets.</summary>
    public string KeyName { get; set; } = DefaultKeyName;

    /// <summary>Where <see cref="KeyProvider.Local"/> keeps its PEM files; relative paths start at the
    /// working directory, which is the repository root for run.sh.</summary>
    public string LocalDirectory { get; set; } = Path.Combine(".local", "keys");

    /// <summary>Why these options cannot work, or null when they can.</summary>
    public string? Problem()
    {
        if (!KeyNames.IsValid(KeyName))
        {
            return $"Keys:KeyName '{KeyName}' is not a key name (1 to 127 letters, digits and dashes).";
        }

        return Provider switch
        {
            KeyProvider.KeyVault when !KeyVaultKeyRing.IsVaultUri(VaultUri) =>
                "Keys:Provider is KeyVault, so Keys:VaultUri must be the vault's https address (e.g. https://kv-name.vault.azure.net/).",
            KeyProvider.Local when string.IsNullOrWhiteSpace(LocalDirectory) =>
                "Keys:Provider is Local, so Keys:LocalDirectory must name a directory.",
            // An App Service / Functions instance has an ephemeral disk: keys there would vanish with the
            // instance, and every secret sealed with them with it.
            KeyProvider.Local when !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID")) =>
                "Keys:Provider is Local on an Azure instance (WEBSITE_INSTANCE_ID is set): use KeyVault there.",
            _ => null,
        };
    }

    /// <summary>The key ring these options describe. The credential is asked for only by Key Vault.</summary>
    public IKeyRing CreateKeyRing(Func<TokenCredential> credential, TimeProvider time, KeyVaultClientOptions? clientOptions = null)
    {
        if (Problem() is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        return Provider == KeyProvider.KeyVault
            ? new KeyVaultKeyRing(VaultUri!, credential(), time, clientOptions)
            : new LocalKeyRing(LocalDirectory);
    }
}

/// <summary>Start-up validation that names what is wrong.</summary>
internal sealed class KeysOptionsValidator : IValidateOptions<KeysOptions>
{
    public ValidateOptionsResult Validate(string? name, KeysOptions options) =>
        options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}

/// <summary>Key names as Key Vault allows them; the local ring uses them as file names, so the same
/// rule keeps paths out of them.</summary>
public static class KeyNames
{
    public static bool IsValid(string? name) =>
        name is { Length: >= 1 and <= 127 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
