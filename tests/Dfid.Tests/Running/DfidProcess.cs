using System.Diagnostics;
using System.Text;

namespace Dfid.Tests.Running;

/// <summary>
/// A real <c>dfid</c> process (the built CLI under <c>dotnet</c>), for tests about what only separate processes show:
/// kills, resumes and the run-folder lock. Provider keys are removed so nothing can reach a real endpoint.
/// </summary>
internal sealed class DfidProcess : IDisposable
{
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _stdout = new();

    private DfidProcess(Process process) => Process = process;

    /// <summary>The running process.</summary>
    public Process Process { get; }

    /// <summary>Everything written to standard error so far.</summary>
    public string Stderr
    {
        get { lock (_stderr) return _stderr.ToString(); }
    }

    /// <summary>Everything written to standard output so far.</summary>
    public string Stdout
    {
        get { lock (_stdout) return _stdout.ToString(); }
    }

    /// <summary>Starts <c>dfid run EXPERIMENT --out OUT --quiet --concurrency 2</c> plus <paramref name="extra"/>.</summary>
    public static DfidProcess Run(string experiment, string outDir, params string[] extra) =>
        Start(["run", experiment, "--out", outDir, "--quiet", "--concurrency", "2", .. extra]);

    /// <summary>Starts <c>dfid</c> with <paramref name="args"/>.</summary>
    public static DfidProcess Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dfid.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("OPENAI_API_KEY");
        psi.Environment.Remove("OPENAI_BASE_URL");
        psi.Environment.Remove("ANTHROPIC_API_KEY");
        var process = Process.Start(psi)!;
        var started = new DfidProcess(process);
        process.ErrorDataReceived += (_, e) => { lock (started._stderr) started._stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) => { lock (started._stdout) started._stdout.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return started;
    }

    /// <summary>Waits for the process to end (at most <paramref name="limit"/>) and returns its exit code.</summary>
    public async Task<int> WaitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        await Process.WaitForExitAsync(timeout.Token);
        return Process.ExitCode;
    }

    public void Dispose() => Process.Dispose();
}
