using Payments.Functions;
using Payments.Functions.Catalog;
using Payments.Functions.Demo;
using Payments.Infrastructure.Backup;

// Subcommands run without the web host: publish-time metadata, local demo seeding, table backup and restore.
if (args.Length > 0 && args[0] == "generate-metadata")
{
    // Without an argument the transport follows the app setting, so triggers and publisher agree.
    string requested = args.Length > 2 ? args[2] : Environment.GetEnvironmentVariable("Messaging__Transport") is { Length: > 0 } configured ? configured : Transports.StorageQueues;
    // Case-insensitive like the app's own configuration binding, so both read one value alike.
    string? transport = new[] { Transports.StorageQueues, Transports.ServiceBus }.FirstOrDefault(t => t.Equals(requested, StringComparison.OrdinalIgnoreCase));
    if (transport is null)
    {
        Console.Error.WriteLine($"Unknown transport '{requested}': use {Transports.StorageQueues} or {Transports.ServiceBus}.");
        return 2;
    }

    FunctionMetadataWriter.Write(args.Length > 1 ? args[1] : ".", transport);
    return 0;
}

if (args.Length > 0 && args[0] is TableBackupCommand.Backup or TableBackupCommand.Restore)
{
    return await TableBackupCommand.RunAsync(args, Console.Out);
}

if (args.Length > 0 && args[0] == "seed-demo")
{
    return await DemoSeeder.RunAsync(args[1..]);
}

var app = PaymentsApp.Build(args);
await app.RunAsync();
return 0;

/// <summary>The entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
