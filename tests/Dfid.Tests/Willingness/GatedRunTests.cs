using System.Text.Json;
using Dfid.Corpus;
using Dfid.Running;
using Dfid.Store;
using Dfid.Tests.Running;
using Microsoft.Data.Sqlite;

namespace Dfid.Tests.Willingness;

/// <summary><c>kind: gated</c> through the run pipeline: depth probes, exit probes and rollouts, offline.</summary>
public sealed class GatedRunTests
{
    private const string Experiment = """
        corpus: corpus.jsonl
        domain: persuasionforgood
        probes: { positions: [0.3, 0.6, 0.9], exits: true }
        simulators:
          retrieval: { kind: retrieval, context_turns: 2 }
          gated: { kind: gated, base: retrieval, context_turns: 2, seed: 3 }
        instruments:
          learned: { kind: learned }
        agents:
          retrieval: { kind: retrieval, context_turns: 2 }
        conditions:
          - { simulator: retrieval, instrument: learned }
          - { simulator: gated, instrument: learned }
          - { simulator: retrieval, instrument: learned, mode: rollout, agent: retrieval, name: retrieval-rollout }
          - { simulator: gated, instrument: learned, mode: rollout, agent: retrieval, name: gated-rollout }
        rollouts: { start: 0.3, max_user_turns: 6, samples: 2 }
        concurrency: 4
        """;

    private static async Task<string> RunAsync(IReadOnlyList<Conversation> corpus)
    {
        var dir = TestData.TempDir();
        CorpusFile.Write(Path.Combine(dir, "corpus.jsonl"), corpus);
        File.WriteAllText(Path.Combine(dir, "experiment.yaml"), Experiment);
        // A cache folder of its own: the stage and willingness models are trained from these conversations.
        var result = await new RunPipeline().ExecuteAsync(ExperimentParser.Load(Path.Combine(dir, "experiment.yaml")),
            new RunSettings(Path.Combine(dir, "run"), CachePath: Path.Combine(dir, "cache")));
        Assert.Equal(RunEnd.Completed, result.Session.Outcome.End);
        return Path.Combine(dir, "run");
    }

    private static List<string> Rows(string run, string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(run, "run.sqlite")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var rd = cmd.ExecuteReader();
        var rows = new List<string>();
        while (rd.Read()) rows.Add(string.Join("|", Enumerable.Range(0, rd.FieldCount).Select(i => rd.IsDBNull(i) ? "∅" : rd.GetValue(i).ToString())));
        return rows;
    }

    private const string SimTurns = "SELECT conversation_id, simulator, turn_index, sample_index, text, status, raw FROM sim_turns WHERE simulator IN ('gated', 'gated#exit') ORDER BY 1, 2, 3, 4";
    private const string RolloutSteps = "SELECT conversation_id, sample, step, role, text, status, raw FROM rollout_steps WHERE condition = 'gated-rollout' ORDER BY 1, 2, 3";

    [Fact]
    public async Task GatedRun_DepthProbesExitProbesAndRollouts_StoreTheDrawnState_AndAreReproducible_AndBlindToTheOwnOutcome()
    {
        // Given
        var corpus = GatedSimulatorTests.Corpus();

        // When: the experiment twice from nothing, and once with p04's outcome flipped
        var first = await RunAsync(corpus);
        var second = await RunAsync(corpus);
        var flipped = await RunAsync(GatedSimulatorTests.Flipped(corpus, "p04"));

        // Then: every gated turn carries its drawn state: depth probes without the exit offer, exit probes and rollouts with it
        var sims = Rows(first, SimTurns);
        var steps = Rows(first, RolloutSteps);
        Assert.NotEmpty(sims);
        Assert.All(sims, r => Assert.Contains("|gate: state=", r, StringComparison.Ordinal));
        Assert.Contains(sims, r => r.Contains("exit_offered=yes", StringComparison.Ordinal));
        Assert.Contains(sims, r => r.Contains("exit_offered=no", StringComparison.Ordinal));
        var userSteps = steps.Where(r => r.Split('|')[3] == "user").ToList();
        Assert.NotEmpty(userSteps);
        Assert.All(userSteps, r => Assert.Contains("|gate: state=", r, StringComparison.Ordinal));
        Assert.All(userSteps, r => Assert.Contains("exit_offered=yes", r, StringComparison.Ordinal));
        // A drawn exit is stored as an exit, and only a drawn exit is.
        Assert.All(sims.Concat(userSteps), r => Assert.Equal(r.Contains("state=exit", StringComparison.Ordinal), r.Contains("|Exit|", StringComparison.Ordinal)));
        Assert.Contains(sims.Concat(userSteps), r => r.Contains("state=exit", StringComparison.Ordinal));

        // Reproducible: a second run from nothing stores the same gated turns and rollouts.
        Assert.Equal(sims, Rows(second, SimTurns));
        Assert.Equal(steps, Rows(second, RolloutSteps));

        // Leakage: p04's simulated turns (probes, exit probes, rollouts) do not change when only its outcome does.
        static List<string> Of(List<string> rows) => rows.Where(r => r.StartsWith("p04|", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(Of(sims));
        Assert.Equal(Of(sims), Of(Rows(flipped, SimTurns)));
        Assert.Equal(Of(steps), Of(Rows(flipped, RolloutSteps)));

        // The results carry the log-rank χ², the report shows the drawn states and compares gated with ungated.
        using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(first, "results.json")));
        var gatedRollout = results.RootElement.GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "gated-rollout");
        Assert.Equal(JsonValueKind.Object, gatedRollout.GetProperty("walk_away").GetProperty("logrank_chi_square").ValueKind);
        var report = File.ReadAllText(Path.Combine(first, "report", "report.md"));
        Assert.Contains("Closing the gap: gated against ungated", report, StringComparison.Ordinal);
        Assert.Contains("| gated | retrieval |", report, StringComparison.Ordinal);
        Assert.Contains("| gated-rollout | retrieval-rollout |", report, StringComparison.Ordinal);
        Assert.Contains("⟨gate: state=", report, StringComparison.Ordinal);
        var manifest = File.ReadAllText(Path.Combine(first, "manifest.json"));
        using var m = JsonDocument.Parse(manifest);
        var gate = m.RootElement.GetProperty("components").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "gated");
        Assert.Matches("^[0-9a-f]{64}$", gate.GetProperty("options").GetProperty("willingness.training_hash").GetString()!);
    }
}
