using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Payments.Functions.Tests.EndToEnd;

/// <summary>A real child process (dotnet app.dll), its output kept for assertions and diagnostics.</summary>
public sealed class ProcessHost : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    public ProcessHost(string dll, string arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IEnumerable<string> Output => _output;

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until <paramref name="health"/> answers 2xx; fails at once, with the log tail, if the process died.</summary>
    public async Task WaitHealthyAsync(HttpClient http, Uri health) =>
        await Payments.Tests.Shared.Eventually.TrueAsync(async () =>
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{health} exited:\n{Tail()}");
            }

            try
            {
                return (await http.GetAsync(health)).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), $"{health} to answer");

    public string Tail(int lines = 40) => string.Join('\n', _output.TakeLast(lines));

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The build output of a project of this repo, in the configuration the tests were built in.</summary>
    public static string BuiltDll(string project)
    {
        var dir = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        string configuration = dir.Parent!.Name; // .../bin/{Configuration}/net10.0
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Functions.sln")))
        {
            dir = dir.Parent;
        }

        string dll = Path.Combine(dir!.FullName, "src", project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build {project} first.", dll);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
