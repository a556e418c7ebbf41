using System.Diagnostics;
using Dfid.Store;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Running;

/// <summary>SIGKILL the real <c>dfid</c> process at three points of a run, resume each time: the store ends equal to an uninterrupted run.</summary>
public class KillResumeTests
{
    private static Process Start(string experiment, string outDir, string cache) => DfidProcess.Run(experiment, outDir, "--cache", cache).Process;

    private static async Task<int> RunToEndAsync(string experiment, string outDir, string cache)
    {
        using var p = Start(experiment, outDir, cache);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(timeout.Token);
        return p.ExitCode;
    }

    [Fact]
    public async Task Run_KilledAtThreePointsAndResumed_StoreEqualsUninterruptedRun()
    {
        await using var server = LoopbackOpenAiServer.Start(r => LlmExperimentTests.Reply(r).After(TimeSpan.FromMilliseconds(40)));
        var dir = TestData.TempDir();
        var experiment = LlmExperimentTests.WriteExperiment(dir, server.BaseUrl, "cache: { enabled: false }", perStratum: 6);
        var cache = Path.Combine(dir, "cache");

        // Uninterrupted reference (also trains and caches the learned instrument, so later sessions start fast).
        var referenceDir = Path.Combine(dir, "reference");
        Assert.Equal(0, await RunToEndAsync(experiment, referenceDir, cache));
        var totalRequests = server.RequestCount;
        Assert.True(totalRequests >= 40, $"only {totalRequests} requests");

        var runDir = Path.Combine(dir, "killed");
        var storedAfterKill = new List<long>();
        foreach (var share in new[] { 0.2, 0.5, 0.8 })
        {
            var target = server.RequestCount + (int)(totalRequests * share * 0.5) + 1;
            using var p = Start(experiment, runDir, cache);
            var clock = Stopwatch.StartNew();
            while (server.RequestCount < target && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(5);
            Assert.False(p.HasExited, "the run finished before the kill point");
            p.Kill(entireProcessTree: true); // SIGKILL on Linux
            await p.WaitForExitAsync();
            using var store = RunStore.Open(runDir);
            storedAfterKill.Add(ProbeRunnerTests.Count(store, "sim_turns"));
        }
        Assert.True(storedAfterKill[0] > 0);
        Assert.True(storedAfterKill[2] > storedAfterKill[0], string.Join(",", storedAfterKill));

        Assert.Equal(0, await RunToEndAsync(experiment, runDir, cache));

        var expected = StoreDump.Of(Path.Combine(referenceDir, RunStore.FileName));
        var actual = StoreDump.Of(Path.Combine(runDir, RunStore.FileName));
        Assert.Equal(expected, actual);
        using var final = RunStore.Open(runDir);
        var probes = final.ReadProbes().Count;
        Assert.Equal(3L * probes, ProbeRunnerTests.Count(final, "sim_turns"));
        Assert.Equal(4, final.ReadManifest()!.Sessions.Count(s => s.Outcome is null) + final.ReadManifest()!.Sessions.Count(s => s.Outcome == "completed"));
    }
}
