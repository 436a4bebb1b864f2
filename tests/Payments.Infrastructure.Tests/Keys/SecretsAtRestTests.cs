using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Payments.Infrastructure.Keys;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Tests.Keys;

/// <summary>App secrets, webhook secrets and channel credentials as Table Storage holds them (real Azurite).</summary>
public sealed class SecretsAtRestTests(StoreFixture fx) : IClassFixture<StoreFixture>, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("payments-keys-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A directory as a freshly started instance has it: its own protector and cache, the same key ring.</summary>
    private TableDirectories NewDirectories() =>
        new(fx.Clients, new SecretProtector(new LocalKeyRing(_directory), KeysOptions.DefaultKeyName, TimeProvider.System), TimeProvider.System);

    private static string Unique(string prefix) => prefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    [Fact]
    public async Task NoSecretAppearsInTheRawTablesYetEachReadsBack()
    {
        string appId = Unique("app_"), accountId = Unique("ca_");
        string[] appSecrets = [Unique("sk_new_"), Unique("sk_old_")];
        string webhookSecret = Unique("whsec_");
        using var merchantKey = RSA.Create(2048);
        var credentials = new Dictionary<string, string>
        {
            ["mchId"] = "1900000109",
            ["merchantPrivateKeyPem"] = merchantKey.ExportPkcs8PrivateKeyPem(),
            ["apiV3Key"] = Unique("v3_"),
        };
        var writer = NewDirectories();

        await writer.SaveAppAsync(new AppRecord(appId, "mch_1", "Shop", new Dictionary<string, string> { ["wechatpay"] = accountId }, null,
            [.. appSecrets], [webhookSecret], Active: true), default);
        await writer.SaveChannelAccountAsync(new ChannelAccountRecord(accountId, "wechatpay", "Main", "sandbox", "mch_1", "https://api.example.com/",
            credentials), default);

        string raw = await RawTextAsync(fx.Clients.Apps, appId) + "\n" + await RawTextAsync(fx.Clients.ChannelAccounts, accountId);
        var secrets = appSecrets.Append(webhookSecret).Concat(credentials.Values).ToList();
        foreach (string secret in secrets)
        {
            foreach (string form in Forms(secret))
            {
                Assert.DoesNotContain(form, raw, StringComparison.Ordinal);
            }
        }

        Assert.Contains(SecretProtector.Prefix, raw, StringComparison.Ordinal);
        var reader = NewDirectories();
        var app = await reader.GetAppAsync(appId, default);
        var account = await reader.GetChannelAccountAsync(accountId, default);
        Assert.Equal(appSecrets, app!.AppSecrets.Select(s => s.Reveal()));
        Assert.Equal([webhookSecret], app.WebhookSecrets.Select(s => s.Reveal()));
        Assert.Equal(credentials, account!.Credentials.ToDictionary(c => c.Key, c => c.Value.Reveal()));
    }

    [Fact]
    public async Task AnAppStoredBeforeEncryptionFailsToReadAndSaysWhy()
    {
        string appId = Unique("app_");
        await fx.Clients.Apps.UpsertEntityAsync(new TableEntity(appId, "app")
        {
            ["Data"] = $$"""{"id":"{{appId}}","merchantId":"mch_1","name":"Old","channelAccounts":{},"notifyUrl":null,"appSecrets":["sk_plain"],"webhookSecrets":["whsec_plain"],"active":true}""",
        });

        var error = await Assert.ThrowsAsync<ProtectedSecretException>(() => NewDirectories().GetAppAsync(appId, default));

        Assert.Contains($"apps/{appId}/appSecrets", error.Message, StringComparison.Ordinal);
        Assert.Contains("unencrypted", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk_plain", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecretCopiedIntoAnotherAppsRecordDoesNotOpenThere()
    {
        string victim = Unique("app_"), attacker = Unique("app_");
        var directories = NewDirectories();
        await directories.SaveAppAsync(new AppRecord(victim, "mch_1", "Victim", new Dictionary<string, string>(), null, [Unique("sk_")], [Unique("whsec_")], true), default);
        await directories.SaveAppAsync(new AppRecord(attacker, "mch_2", "Attacker", new Dictionary<string, string>(), null, [Unique("sk_")], [Unique("whsec_")], true), default);
        var victimEntity = (await fx.Clients.Apps.GetEntityAsync<TableEntity>(victim, "app")).Value;
        var attackerEntity = (await fx.Clients.Apps.GetEntityAsync<TableEntity>(attacker, "app")).Value;

        // The victim's stored record under the attacker's id: same ciphertexts, other record.
        attackerEntity["Data"] = victimEntity.GetString("Data").Replace(victim, attacker, StringComparison.Ordinal);
        await fx.Clients.Apps.UpdateEntityAsync(attackerEntity, attackerEntity.ETag, TableUpdateMode.Replace);

        await Assert.ThrowsAsync<ProtectedSecretException>(() => NewDirectories().GetAppAsync(attacker, default));
    }

    /// <summary>Every property of every entity in the partition, as text.</summary>
    private static async Task<string> RawTextAsync(TableClient table, string partition)
    {
        var text = new StringBuilder();
        await foreach (var entity in table.QueryAsync<TableEntity>(e => e.PartitionKey == partition))
        {
            foreach (var (name, value) in entity)
            {
                text.Append(name).Append('=').Append(value is byte[] bytes ? Convert.ToBase64String(bytes) : value?.ToString()).Append('\n');
            }
        }

        Assert.NotEqual(0, text.Length);
        return text.ToString();
    }

    /// <summary>The secret and the encodings it could hide in: base64 and base64url of its UTF-8 (at each
    /// alignment, since a fragment inside a longer base64 text shifts), JSON-escaped, and hex.</summary>
    private static IEnumerable<string> Forms(string secret)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(secret);
        yield return secret;
        yield return System.Text.Json.JsonSerializer.Serialize(secret)[1..^1];
        yield return Convert.ToHexString(utf8);
        yield return Convert.ToHexStringLower(utf8);
        for (int shift = 0; shift < 3; shift++)
        {
            byte[] shifted = new byte[shift].Concat(utf8).ToArray();
            // Skip the characters that depend on the prefix bytes and the trailing partial group.
            string b64 = Convert.ToBase64String(shifted);
            string inner = b64[(shift == 0 ? 0 : 4)..Math.Max(4, b64.Length - 4)];
            yield return inner;
            yield return Base64Url.EncodeToString(shifted)[(shift == 0 ? 0 : 4)..Math.Max(4, Base64Url.EncodeToString(shifted).Length - 4)];
        }
    }
}
