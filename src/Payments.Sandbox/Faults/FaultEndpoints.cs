namespace Payments.Sandbox.Faults;

internal static class FaultEndpoints
{
    // Long enough that any sane client timeout fires first, which is the point of the fault.
    private const int DefaultTimeoutMs = 30_000;

    public static IServiceCollection AddSandboxFaults(this IServiceCollection services) =>
        services.AddSingleton<FaultRegistry>();

    public static void MapSandboxFaults(this IEndpointRouteBuilder app)
    {
        app.MapPost("/sandbox/faults", AddAsync);
        app.MapGet("/sandbox/faults", (FaultRegistry faults) =>
            Results.Json(faults.Snapshot(), SandboxJsonContext.Default.FaultViewArray));
        app.MapDelete("/sandbox/faults", (FaultRegistry faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
    }

    private static async Task<IResult> AddAsync(HttpRequest request, FaultRegistry faults)
    {
        var (body, error) = await SandboxJson.ReadAsync(request, SandboxJsonContext.Default.FaultRequest);
        if (body is null)
        {
            return Invalid(error!);
        }

        var channel = Array.Find(FaultNames.Channels, c => string.Equals(c, body.Channel, StringComparison.OrdinalIgnoreCase));
        if (channel is null)
        {
            return Invalid($"unknown channel '{body.Channel}'; known: {string.Join(", ", FaultNames.Channels)}");
        }

        var operation = Array.Find(FaultNames.Operations, o => string.Equals(o, body.Operation, StringComparison.OrdinalIgnoreCase));
        if (operation is null)
        {
            return Invalid($"unknown operation '{body.Operation}'; known: {string.Join(", ", FaultNames.Operations)}");
        }

        // Matched by name: Enum.TryParse would also take numbers and "error,timeout".
        var modes = Enum.GetValues<FaultMode>();
        var modeIndex = Array.FindIndex(modes, m => string.Equals(FaultNames.ModeName(m), body.Mode, StringComparison.OrdinalIgnoreCase));
        if (modeIndex < 0)
        {
            return Invalid($"unknown mode '{body.Mode}'; known: {string.Join(", ", modes.Select(FaultNames.ModeName))}");
        }

        var mode = modes[modeIndex];

        // A mode that cannot apply to the operation would silently do nothing; refusing it
        // surfaces a mistaken test setup instead.
        var isNotify = operation == FaultNames.Notify;
        var applies = mode switch
        {
            FaultMode.Delay => true,
            FaultMode.Error or FaultMode.Timeout => !isNotify,
            _ => isNotify,
        };
        if (!applies)
        {
            return Invalid($"mode '{FaultNames.ModeName(mode)}' does not apply to operation '{operation}'");
        }

        var count = body.Count ?? 1;
        if (count < 1)
        {
            return Invalid("count must be >= 1");
        }

        var delayMs = body.DelayMs ?? 0;
        if (delayMs < 0)
        {
            return Invalid("delayMs must be >= 0");
        }

        if (mode == FaultMode.Timeout && delayMs == 0)
        {
            delayMs = DefaultTimeoutMs;
        }

        faults.Add(channel, operation, mode, count, TimeSpan.FromMilliseconds(delayMs));
        return Results.Json(
            new FaultView(channel, operation, FaultNames.ModeName(mode), count, delayMs),
            SandboxJsonContext.Default.FaultView);
    }

    private static IResult Invalid(string message) => SandboxJson.Error(StatusCodes.Status400BadRequest, "PARAM_ERROR", message);
}
