using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Payments.Infrastructure.Storage;

namespace Payments.Infrastructure.Backup;

/// <summary>The operator's side of backups, run with the app's own settings (appsettings.json, then
/// environment: Storage__ConnectionString or Storage__TableServiceUri, Storage__TablePrefix, Backup__*):
/// <code>
/// backup-tables  --to   &lt;directory | container URL&gt; [--prefix &lt;source table prefix&gt;]
/// restore-tables --from &lt;directory | container URL&gt;[/&lt;snapshot&gt;] [--prefix &lt;target table prefix&gt;]
/// </code>
/// Without a snapshot name, restore takes the newest complete snapshot under the location.</summary>
public static class TableBackupCommand
{
    public const string Backup = "backup-tables";
    public const string Restore = "restore-tables";

    public static async Task<int> RunAsync(string[] args, TextWriter output, IConfiguration? configuration = null)
    {
        configuration ??= new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();

        string? Arg(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        string command = args.Length > 0 ? args[0] : "";
        string? location = command == Backup ? Arg("--to") : command == Restore ? Arg("--from") : null;
        if (location is null)
        {
            await output.WriteLineAsync($"usage: {Backup} --to <directory|container URL> [--prefix P]\n       {Restore} --from <directory|container URL>[/<snapshot>] [--prefix P]");
            return 2;
        }

        var storage = configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        string? prefix = Arg("--prefix");
        if (command == Backup && prefix is not null)
        {
            storage.TablePrefix = prefix;
        }

        var backup = Create(storage, configuration.GetSection("Backup").Get<BackupOptions>() ?? new BackupOptions(), new DefaultAzureCredential());
        var target = backup.Resolve(location);
        try
        {
            if (command == Backup)
            {
                var report = await backup.BackupAsync(target, CancellationToken.None);
                await output.WriteLineAsync($"Backed up {report.Entities} entities to {report.Location} snapshot {report.Snapshot} in {report.Seconds:0.0} s");
            }
            else
            {
                var report = await backup.RestoreAsync(target, prefix, CancellationToken.None);
                await output.WriteLineAsync($"Restored {report.Entities} entities from {report.Snapshot} into prefix '{report.TablePrefix}' in {report.Seconds:0.0} s ({report.EntitiesPerSecond:0} entities/s)");
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or Azure.RequestFailedException or IOException)
        {
            // An operator's mistake (wrong location, no snapshot, no access) deserves a sentence, not a stack trace.
            await output.WriteLineAsync($"{command} failed: {e.Message}");
            return 1;
        }

        return 0;
    }

    public static TableBackupService Create(StorageOptions storage, BackupOptions options, TokenCredential credential) =>
        new(new StorageClients(storage, credential), storage, options, credential, TimeProvider.System, NullLogger<TableBackupService>.Instance);

    /// <summary>The scheduled backup's services (Backup section of configuration).</summary>
    public static IServiceCollection AddTableBackup(this IServiceCollection services)
    {
        services.AddOptions<BackupOptions>().BindConfiguration("Backup");
        services.TryAddSingleton<TokenCredential>(_ => new DefaultAzureCredential());
        services.AddSingleton(sp => new TableBackupService(
            sp.GetRequiredService<StorageClients>(),
            sp.GetRequiredService<StorageOptions>(),
            sp.GetRequiredService<IOptions<BackupOptions>>().Value,
            sp.GetRequiredService<TokenCredential>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<TableBackupService>>()));
        return services;
    }
}
