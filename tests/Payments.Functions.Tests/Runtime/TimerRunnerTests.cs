using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Payments.Functions.Catalog;
using Payments.Functions.Runtime;
using Payments.Tests.Shared;

namespace Payments.Functions.Tests.Runtime;

public class TimerRunnerTests
{
    [Fact]
    public async Task TimersFireAtTheCatalogsNcrontabSecondsInUtc()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var fired = new ConcurrentQueue<(string Name, DateTimeOffset At)>();
        var runner = new TimerRunner((name, _) => { fired.Enqueue((name, clock.GetUtcNow())); return Task.CompletedTask; }, clock, NullLogger<TimerRunner>.Instance);
        await runner.StartAsync(CancellationToken.None);
        try
        {
            // Fake time moves one second per probe, so every firing is seen at the exact second it is due,
            // whenever the runner's loops got going.
            await Eventually.TrueAsync(() =>
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                return Task.FromResult(fired.Count(f => f.Name == "OutboxSweep") >= 2 && fired.Any(f => f.Name == "Janitor"));
            }, TimeSpan.FromSeconds(30), "two sweeps and a janitor run");
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }

        // Every firing (daily timers included, should one fall in the window) happened exactly when its schedule said.
        foreach (var (name, at) in fired)
        {
            var schedule = Cronos.CronExpression.Parse(FunctionCatalog.Find(name)!.Schedule!, Cronos.CronFormat.IncludeSeconds);
            Assert.Equal(at.UtcDateTime, schedule.GetNextOccurrence(at.UtcDateTime.AddSeconds(-1), TimeZoneInfo.Utc));
        }

        var sweeps = fired.Where(f => f.Name == "OutboxSweep").Select(f => f.At).ToList();
        Assert.Equal(TimeSpan.FromMinutes(1), sweeps[1] - sweeps[0]);
    }

    [Fact]
    public async Task AScheduleInTheLocalRuntimeOptionsReplacesTheCatalogsForThatTimerOnly()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        var fired = new ConcurrentQueue<(string Name, DateTimeOffset At)>();
        var schedules = new Dictionary<string, string> { ["OutboxSweep"] = "*/5 * * * * *" };
        var runner = new TimerRunner((name, _) => { fired.Enqueue((name, clock.GetUtcNow())); return Task.CompletedTask; }, clock, NullLogger<TimerRunner>.Instance, schedules);
        await runner.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.TrueAsync(() =>
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                return Task.FromResult(fired.Any(f => f.Name == "Janitor"));
            }, TimeSpan.FromSeconds(30), "a janitor run");
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }

        var sweeps = fired.Where(f => f.Name == "OutboxSweep").Select(f => f.At).ToList();
        Assert.True(sweeps.Count >= 8, $"{sweeps.Count} sweeps in the first 45 s");
        Assert.All(sweeps, at => Assert.Equal(0, at.Second % 5));
        Assert.All(fired.Where(f => f.Name == "Janitor"), f => Assert.Equal(45, f.At.Second));
    }
}
