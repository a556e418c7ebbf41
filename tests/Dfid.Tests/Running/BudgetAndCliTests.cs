using Dfid.Running;
using Dfid.Store;
using Dfid.Tests.Fakes;
using Spectre.Console.Testing;

namespace Dfid.Tests.Running;

public class BudgetAndCliTests
{
    [Fact]
    public async Task Run_BudgetReached_StopsCleanly_RaisingItResumesToTheEnd()
    {
        await using var server = LoopbackOpenAiServer.Start(LlmExperimentTests.Reply);
        var dir = TestData.TempDir();
        var path = LlmExperimentTests.WriteExperiment(dir, server.BaseUrl, "cache: { enabled: false }\nbudget: { max_calls: 12 }\nconcurrency: 2");
        var settings = new RunSettings(Path.Combine(dir, "run"), CachePath: Path.Combine(dir, "cache"));

        var experiment = ExperimentParser.Load(path);
        var first = await new RunPipeline().RunAsync(experiment, settings);

        Assert.Equal(RunEnd.BudgetReached, first.Outcome.End);
        Assert.Contains("max_calls = 12", first.Outcome.Message, StringComparison.Ordinal);
        Assert.True(server.RequestCount <= 12, $"{server.RequestCount} requests sent past a cap of 12");
        using (var store = RunStore.Open(settings.OutDir))
            Assert.Equal(0, ProbeRunnerTests.CountWhere(store, "sim_turns", "status <> 'Ok'") + ProbeRunnerTests.CountWhere(store, "labels", "status <> 'Ok'"));

        // Raising the budget is allowed in the same run folder; the next session finishes the run.
        File.WriteAllText(path, File.ReadAllText(path).Replace("max_calls: 12", "max_calls: 100000", StringComparison.Ordinal));
        experiment = ExperimentParser.Load(path);
        var second = await new RunPipeline().RunAsync(experiment, settings);
        Assert.Equal(RunEnd.Completed, second.Outcome.End);
        using var final = RunStore.Open(settings.OutDir);
        var probes = final.ReadProbes().Count;
        Assert.Equal(3L * probes, ProbeRunnerTests.Count(final, "sim_turns"));
        Assert.Equal(4L * probes, ProbeRunnerTests.Count(final, "labels"));
        Assert.Equal(["budget", "completed"], final.ReadManifest()!.Sessions.Select(s => s.Outcome));

        // Changing what is measured is refused.
        File.WriteAllText(path, File.ReadAllText(path).Replace("seed: 1", "seed: 2", StringComparison.Ordinal));
        experiment = ExperimentParser.Load(path);
        var ex = await Assert.ThrowsAsync<DfidException>(() => new RunPipeline().RunAsync(experiment, settings));
        Assert.Contains("different experiment", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_RunWithInvalidExperiment_ExitsTwoNamingFileLineAndKey()
    {
        var dir = TestData.TempDir();
        File.WriteAllText(Path.Combine(dir, "c.jsonl"), "");
        var path = Path.Combine(dir, "bad.yaml");
        File.WriteAllText(path, "corpus: c.jsonl\nsimulators:\n  s: { kind: personna }\ninstruments:\n  l: { kind: learned }\nconditions:\n  - { simulator: s, instrument: l }\n");
        var console = new TestConsole();
        console.Profile.Width = 400;
        var code = await Dfid.Cli.DfidApp.RunAsync(["run", path, "--out", Path.Combine(dir, "run")], console);
        Assert.Equal(2, code);
        Assert.Contains("bad.yaml:3: simulators.s.kind: unknown kind 'personna'", console.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "run", RunStore.FileName)));
    }
}
