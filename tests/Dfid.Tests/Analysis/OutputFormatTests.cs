using System.Text.Json;
using Dfid.Analysis;
using Dfid.Instrument;

namespace Dfid.Tests.Analysis;

public class OutputFormatTests
{
    private static AnalysisResults Results() =>
        DecisionFidelityAnalysis.Analyze(HandTable.Rows(), new AnalysisOptions { Permutations = 500, BootstrapResamples = 200 });

    [Fact]
    public void ResultsJson_UsesSchemaAndSnakeCaseNamesOfTheIssue()
    {
        using var doc = JsonDocument.Parse(AnalysisResultsJson.Serialize(Results()));
        var root = doc.RootElement;
        Assert.Equal("dfid.results/1", root.GetProperty("schema").GetString());
        var c = root.GetProperty("conditions")[0];
        foreach (var key in new[] { "name", "simulator", "instrument", "n_converted", "n_not_converted", "n_probes", "marginal_bias", "p_value" })
            Assert.True(c.TryGetProperty(key, out _), key);
        foreach (var stratum in new[] { "converted", "not_converted" })
            foreach (var key in new[] { "mean", "ci_low", "ci_high" })
                Assert.True(c.GetProperty("stratum_bias").GetProperty(stratum).TryGetProperty(key, out _), $"{stratum}.{key}");
        foreach (var est in new[] { "delta", "cohens_d" })
            foreach (var key in new[] { "value", "ci_low", "ci_high" })
                Assert.True(c.GetProperty(est).TryGetProperty(key, out _), $"{est}.{key}");
        Assert.Equal(1, c.GetProperty("counts").GetProperty("not_converted").GetProperty("conversations_excluded").GetInt32());
        Assert.True(c.GetProperty("actions").GetProperty("rows")[0].GetProperty("considering").TryGetProperty("mcnemar_p_bh", out _));
        Assert.True(root.GetProperty("robustness").GetProperty("rows")[0].TryGetProperty("p_holm", out _));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("manifest").ValueKind);
    }

    [Fact]
    public void ResultsJson_EveryPropertyNameIsSnakeCase()
    {
        using var doc = JsonDocument.Parse(AnalysisResultsJson.Serialize(Results()));
        var names = new HashSet<string>();
        Collect(doc.RootElement);
        Assert.Contains("mcnemar_p", names);
        Assert.All(names, n => Assert.Matches("^[a-z][a-z0-9]*(_[a-z0-9]+)*$", n));

        void Collect(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject()) { names.Add(p.Name); Collect(p.Value); }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var x in e.EnumerateArray()) Collect(x);
        }
    }

    [Fact]
    public void ResultsJson_RoundTripsIncludingManifest()
    {
        using var manifest = JsonDocument.Parse("""{"tool_version":"0.1.0","models":["m"]}""");
        var results = Results() with { Manifest = manifest.RootElement.Clone() };
        var json = AnalysisResultsJson.Serialize(results);
        var back = AnalysisResultsJson.Deserialize(json);
        Assert.Equal(json, AnalysisResultsJson.Serialize(back));
        Assert.Equal("0.1.0", back.Manifest!.Value.GetProperty("tool_version").GetString());

        var path = Path.Combine(TestData.TempDir(), "results.json");
        AnalysisResultsJson.WriteFile(results, path);
        Assert.Equal(json, AnalysisResultsJson.Serialize(AnalysisResultsJson.ReadFile(path)));
    }

    [Fact]
    public void ResultsJson_WrongSchemaOrMissingFile_IsClearError()
    {
        var ex = Assert.Throws<DfidException>(() => AnalysisResultsJson.Deserialize("""{"schema":"dfid.results/9"}""", "x.json"));
        Assert.Contains("dfid.results/9", ex.Message, StringComparison.Ordinal);
        Assert.Contains("x.json", ex.Message, StringComparison.Ordinal);
        Assert.Throws<DfidException>(() => AnalysisResultsJson.ReadFile(Path.Combine(TestData.TempDir(), "none.json")));
        Assert.Throws<DfidException>(() => AnalysisResultsJson.Deserialize("{not json", "y.json"));
    }

    [Fact]
    public void ProbeTableCsv_WritesTheIssueColumnsAndOneLinePerRow()
    {
        var rows = HandTable.Rows();
        rows.Add(new ProbeRow("with,comma", "id \"q\"", true, 3, 0.9, new DecisionState(Stage.Deciding), null, AgentAction.HandleObjection, ProbeStatus.SimLabelFailed));
        var sw = new StringWriter();
        ProbeTableCsv.Write(rows, sw);
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("condition,conversation_id,converted,probe_turn,position,real_stage,sim_stage,real_depth,sim_depth,agent_action,status", lines[0]);
        Assert.Equal(rows.Count + 1, lines.Length);
        Assert.Equal("persona,c1,1,2,0.3,engaging,considering,2,3,pitch,ok", lines[1]);
        Assert.Equal("persona,c4,0,4,0.6,exploring,,1,,probe,simulation-failed", lines[7]);
        Assert.Equal("persona,c5,0,2,0.3,,engaging,,2,pitch,real-label-failed", lines[8]);
        Assert.Equal("\"with,comma\",\"id \"\"q\"\"\",1,3,0.9,deciding,,4,,handle-objection,sim-label-failed", lines[^1]);
    }

    [Fact]
    public void ResultsSummary_ShowsEveryConditionAndUndefinedAsNA()
    {
        var rows = HandTable.Rows().Concat(HandTable.Rows("replay", replay: true)).ToList();
        var text = ResultsSummary.Render(DecisionFidelityAnalysis.Analyze(rows, new AnalysisOptions { Permutations = 500, BootstrapResamples = 200 }));
        var lines = text.Split('\n');
        Assert.StartsWith("condition", lines[0], StringComparison.Ordinal);
        var persona = lines.Single(l => l.StartsWith("persona ", StringComparison.Ordinal));
        Assert.Contains("2/3", persona, StringComparison.Ordinal);
        Assert.Contains("+1.917 [", persona, StringComparison.Ordinal);
        var replay = lines.Single(l => l.StartsWith("replay ", StringComparison.Ordinal));
        Assert.Contains("n/a", replay, StringComparison.Ordinal);
        Assert.Contains("persona: 3 probes lost to failed model answers, 1 conversations without a usable probe excluded", text, StringComparison.Ordinal);
    }
}
