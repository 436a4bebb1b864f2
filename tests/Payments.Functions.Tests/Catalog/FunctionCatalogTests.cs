using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Payments.Functions.Catalog;
using Payments.Functions.Tests.Support;

namespace Payments.Functions.Tests.Catalog;

public class FunctionCatalogTests(ApiFactory api) : IClassFixture<ApiFactory>
{
    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repo root not found.");
    }

    private static string Route(RouteEndpoint e) => "/" + (e.RoutePattern.RawText ?? "").Trim('/');

    private List<RouteEndpoint> Endpoints() =>
        api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();

    [Fact]
    public void EveryHttpFunctionMapsToAnApiRouteWithTheSameMethods()
    {
        var endpoints = Endpoints();
        foreach (var f in FunctionCatalog.All.Where(f => f.Trigger == TriggerKind.Http))
        {
            string pattern = "/api/" + f.Route;
            // A catch-all function ("v1/admin/{*path}") stands for every endpoint under its prefix.
            string? prefix = pattern.EndsWith("/{*path}", StringComparison.Ordinal) ? pattern[..^"{*path}".Length] : null;
            var matching = endpoints.Where(e => prefix is null
                ? string.Equals(Route(e), pattern, StringComparison.OrdinalIgnoreCase)
                : Route(e).StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.True(matching.Count > 0, $"{f.Name}: no endpoint for {pattern}");
            var methods = matching.SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => m.ToLowerInvariant()).ToHashSet();
            Assert.True(methods.SetEquals(f.Methods!), $"{f.Name}: catalog says {string.Join(",", f.Methods!)}, endpoints accept {string.Join(",", methods)}");
        }
    }

    [Fact]
    public void EveryQueueAndTimerFunctionHasATriggerEndpoint()
    {
        var routes = Endpoints().Select(Route).ToHashSet();
        foreach (var f in FunctionCatalog.All.Where(f => f.Trigger != TriggerKind.Http))
        {
            Assert.Contains("/" + f.Name, routes);
        }
    }

    [Fact]
    public void EveryApiRouteIsInTheCatalog()
    {
        // A route the catalog misses would answer locally and 404 in Azure.
        var catalogued = FunctionCatalog.All.Where(f => f.Trigger == TriggerKind.Http).Select(f => "/api/" + f.Route).ToHashSet(StringComparer.OrdinalIgnoreCase);
        // A catch-all route ("v1/admin/{*path}") covers everything below its prefix.
        var prefixes = catalogued.Where(r => r.EndsWith("/{*path}", StringComparison.Ordinal)).Select(r => r[..^"{*path}".Length]).ToList();
        var apiRoutes = Endpoints().Select(Route).Where(r => r.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        Assert.Contains(apiRoutes, r => r.StartsWith("/api/v1/admin/", StringComparison.Ordinal));
        Assert.All(apiRoutes, r => Assert.True(
            catalogued.Contains(r) || prefixes.Any(p => r.StartsWith(p, StringComparison.OrdinalIgnoreCase)), $"{r} is in no catalogued route"));
    }

    [Theory]
    [InlineData(Transports.StorageQueues, "queueTrigger")]
    [InlineData(Transports.ServiceBus, "serviceBusTrigger")]
    public void GeneratedFunctionJsonFollowsTheTransport(string transport, string queueTriggerType)
    {
        string dir = Path.Combine(Path.GetTempPath(), "fn-" + Guid.NewGuid().ToString("N"));
        FunctionMetadataWriter.Write(dir, transport);
        try
        {
            foreach (var f in FunctionCatalog.All)
            {
                var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, f.Name, "function.json")))!;
                var trigger = json["bindings"]![0]!;
                Assert.Equal("in", trigger["direction"]!.GetValue<string>());
                switch (f.Trigger)
                {
                    case TriggerKind.Http:
                        Assert.Equal("httpTrigger", trigger["type"]!.GetValue<string>());
                        Assert.Equal(f.Route, trigger["route"]!.GetValue<string>());
                        Assert.Equal("http", json["bindings"]![1]!["type"]!.GetValue<string>());
                        break;
                    case TriggerKind.Queue:
                        Assert.Equal(queueTriggerType, trigger["type"]!.GetValue<string>());
                        Assert.Equal(f.Queue, trigger["queueName"]!.GetValue<string>());
                        Assert.Equal(FunctionCatalog.QueueBindingName, trigger["name"]!.GetValue<string>());
                        break;
                    case TriggerKind.Timer:
                        Assert.Equal("timerTrigger", trigger["type"]!.GetValue<string>());
                        Assert.Equal(6, trigger["schedule"]!.GetValue<string>().Split(' ').Length);
                        Cronos.CronExpression.Parse(trigger["schedule"]!.GetValue<string>(), Cronos.CronFormat.IncludeSeconds);
                        break;
                }
            }

            var host = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "host.json")))!;
            Assert.Equal("[4.*, 5.0.0)", host["extensionBundle"]!["version"]!.GetValue<string>());
            Assert.True(host["customHandler"]!["enableForwardingHttpRequest"]!.GetValue<bool>());
            Assert.Equal("http://127.0.0.1:%FUNCTIONS_CUSTOMHANDLER_PORT%", host["customHandler"]!["description"]!["arguments"]![1]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheRepositorysHostJsonIsTheGeneratedOne()
    {
        var committed = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "host.json")));
        Assert.True(JsonNode.DeepEquals(FunctionMetadataWriter.HostJson(), committed), "host.json differs from the catalog's; regenerate it with `dotnet run --project src/Payments.Functions -- generate-metadata .`");
    }
}
