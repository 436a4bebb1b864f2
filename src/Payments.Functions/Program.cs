using Payments.Functions;
using Payments.Functions.Catalog;
using Payments.Functions.Demo;

// Subcommands run without the web host: publish-time metadata and local demo seeding.
if (args.Length > 0 && args[0] == "generate-metadata")
{
    FunctionMetadataWriter.Write(args.Length > 1 ? args[1] : ".", args.Length > 2 ? args[2] : Transports.StorageQueues);
    return 0;
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
