using Dfid.Analysis;
using Dfid.Instrument;
using Dfid.Probing;
using Dfid.Simulation;
using Dfid.Store;
using Dfid.Tests.Running;

namespace Dfid.Tests.Analysis;

public class AnalysisCommandsTests
{
    // Eight conversations, one probe each (user turn 3): converters D = 0; non-converters D = 2, 2, 1 and one failed simulation.
    private static string BuildRun()
    {
        var dir = TestData.TempDir();
        using var store = RunStore.Open(dir);
        var conversations = Enumerable.Range(0, 8).Select(i => RunFixtures.Conversation($"k{i}", 3, converted: i < 4)).ToList();
        store.AddConversations(conversations);
        store.AddProbes(conversations.Select(c => new Probe(c.Id, 3, 0.6, 1, 2)));
        store.AddConditions([("persona", "sim1", "inst1")]);
        Stage[] real = [Stage.Engaging, Stage.Exploring, Stage.Considering, Stage.Engaging, Stage.Resisting, Stage.Exploring, Stage.Resisting, Stage.Exploring];
        Stage[] sim = [Stage.Engaging, Stage.Exploring, Stage.Considering, Stage.Engaging, Stage.Engaging, Stage.Considering, Stage.Exploring, Stage.Exploring];
        for (var i = 0; i < 8; i++)
        {
            var id = $"k{i}";
            var failed = i == 7;
            store.AddSimulatedTurn("sim1", id, 3, 0, failed ? Answer<string>.Failed(AnswerStatus.ModelError, "model error") : Answer<string>.Ok("sim text"));
            store.AddLabel("inst1", id, 3, LabelSource.Real, Answer<DecisionState>.Ok(new DecisionState(real[i])));
            if (!failed) store.AddLabel("inst1", id, 3, LabelSource.Simulated("sim1"), Answer<DecisionState>.Ok(new DecisionState(sim[i])));
        }
        return dir;
    }

    [Fact]
    public async Task Analyze_RunFolder_WritesResultsJsonAndPrintsSummary()
    {
        var dir = BuildRun();
        var console = new Spectre.Console.Testing.TestConsole();
        var code = await Dfid.Cli.DfidApp.RunAsync(["analyze", dir, "--permutations", "999", "--bootstrap", "300", "--seed", "5"], console);
        Assert.Equal(0, code);
        var results = AnalysisResultsJson.ReadFile(Path.Combine(dir, "results.json"));
        var c = results.Conditions.Single();
        Assert.Equal("sim1", c.Simulator);
        Assert.Equal("inst1", c.Instrument);
        Assert.Equal(4, c.NConverted);
        Assert.Equal(3, c.NNotConverted);
        Assert.Equal(1, c.Counts.NotConverted.SimulationFailed);
        Assert.Equal(5.0 / 3, c.Delta.Value!.Value, 12);
        Assert.Equal(999, results.Settings.Permutations);
        Assert.Contains("persona", console.Output, StringComparison.Ordinal);
        Assert.Contains("+1.667", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_RunFolder_WritesProbeCsv()
    {
        var dir = BuildRun();
        var csv = Path.Combine(dir, "probes.csv");
        var code = await Dfid.Cli.DfidApp.RunAsync(["export", dir, "--probes", csv], new Spectre.Console.Testing.TestConsole());
        Assert.Equal(0, code);
        var lines = File.ReadAllLines(csv);
        Assert.Equal(string.Join(',', ProbeTableCsv.Columns), lines[0]);
        Assert.Equal(9, lines.Length);
        Assert.Contains("persona,k7,0,3,0.6,exploring,,1,,,simulation-failed", lines);
    }

    [Fact]
    public async Task Analyze_MissingRunFolder_IsUsageError()
    {
        var console = new Spectre.Console.Testing.TestConsole();
        var missing = Path.Combine(TestData.TempDir(), "nope");
        Assert.Equal(2, await Dfid.Cli.DfidApp.RunAsync(["analyze", missing], console));
        Assert.Contains("run.sqlite", console.Output, StringComparison.Ordinal);
        Assert.Equal(2, await Dfid.Cli.DfidApp.RunAsync(["export", missing], new Spectre.Console.Testing.TestConsole()));
    }
}
