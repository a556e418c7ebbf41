using System.Diagnostics;
using Dfid.Store;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Running;

/// <summary>One run folder, one working session: a second real <c>dfid run</c> on the same folder is refused.</summary>
public sealed class RunFolderLockTests
{
    private static DfidProcess Start(string experiment, string outDir, string cache) => DfidProcess.Run(experiment, outDir, "--cache", cache);

    [Fact]
    public async Task Run_TwoProcessesOnOneFolder_SecondExitsOneNamingTheHolder_NothingPaidTwice()
    {
        // Given: a run slow enough (40 ms per answer) that the second process starts while the first works
        await using var server = LoopbackOpenAiServer.Start(r => LlmExperimentTests.Reply(r).After(TimeSpan.FromMilliseconds(40)));
        var dir = TestData.TempDir();
        var experiment = LlmExperimentTests.WriteExperiment(dir, server.BaseUrl, "cache: { enabled: false }", perStratum: 4);
        var runDir = Path.Combine(dir, "run");
        var cache = Path.Combine(dir, "cache");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var firstRun = Start(experiment, runDir, cache);
        var first = firstRun.Process;
        while (server.RequestCount == 0 && !first.HasExited) await Task.Delay(5, timeout.Token);
        Assert.False(first.HasExited, "the first run ended before the second started");

        // When
        using var secondRun = Start(experiment, runDir, cache);
        var second = secondRun.Process;
        await second.WaitForExitAsync(timeout.Token);
        var secondDoneWhileFirstRan = !first.HasExited;
        await first.WaitForExitAsync(timeout.Token);

        // Then
        Assert.True(secondDoneWhileFirstRan, "the second process waited for the first instead of refusing");
        Assert.Equal(1, second.ExitCode);
        var message = secondRun.Stderr;
        Assert.True(message.Contains("is in use by another dfid session", StringComparison.Ordinal), message);
        Assert.Contains($"pid {first.Id} on {Environment.MachineName}", message, StringComparison.Ordinal);
        Assert.Equal(0, first.ExitCode);
        using var store = RunStore.Open(runDir);
        var probes = store.ReadProbes().Count;
        // One run's calls, once: two LLM simulators and the action labeller per probe, the judge on the real turn and on
        // three simulated turns (persona, instructed, replay).
        Assert.Equal(7 * probes, server.RequestCount);

        // The lock goes with its holder: the same command now runs (and has nothing left to pay for).
        using var thirdRun = Start(experiment, runDir, cache);
        var third = thirdRun.Process;
        await third.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, third.ExitCode);
        Assert.Equal(7 * probes, server.RequestCount);
    }
}
