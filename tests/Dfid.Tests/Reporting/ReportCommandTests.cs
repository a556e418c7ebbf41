using System.Text.Json;
using Dfid.Analysis;
using Dfid.Cli;
using Dfid.Probing;
using Dfid.Running;
using Dfid.Simulation;
using Dfid.Store;
using Dfid.Tests.Running;
using Spectre.Console.Testing;

namespace Dfid.Tests.Reporting;

public sealed class ReportCommandTests
{
    /// <summary>A simulator that always answers with a hostile text.</summary>
    private sealed class HostileSimulator : IUserSimulator
    {
        public string Name => "hostile";

        public Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(Answer<string>.Ok(ReportFixture.Hostile[request.ProbeTurnIndex % ReportFixture.Hostile.Length] + " how much?"));
    }

    /// <summary>A run folder written by the real probe runner (replay and a hostile simulator, fake instrument).</summary>
    internal static async Task<string> WriteRunFolderAsync()
    {
        var runDir = TestData.TempDir();
        var convs = Enumerable.Range(0, 24).Select(i => RunFixtures.FromTexts($"r{i:D2}", i % 2 == 0,
            "Hello, do you have a minute?", "hi", "We help children. " + ReportFixture.Hostile[i % ReportFixture.Hostile.Length], "ok " + i,
            "Would you donate?", i % 3 == 0 ? "busy" : "how much?", "Even $1 helps.", "we'll see " + i, "Thanks!", "bye")).ToList();
        var probes = convs.SelectMany(c => ProbeSelector.Select(c, ProbeOptions.Default)).ToList();
        var inst = new TextHashInstrument("fake-judge");
        var plan = new ProbeRunPlan(convs, probes, [new RunCondition("replay", new ReplaySimulator(), inst), new RunCondition("hostile", new HostileSimulator(), inst)], [], null, 2);
        using (var store = RunStore.Open(runDir))
        {
            store.AddConversations(plan.Conversations);
            store.AddProbes(plan.Probes);
            store.AddConditions(plan.Conditions.Select(c => (c.Name, c.Simulator.Name, c.Instrument.Name)));
            await new ProbeRunner(store).RunAsync(plan);
        }
        return runDir;
    }

    [Fact]
    public async Task Report_OnRealRunStore_WritesReportFromAnalysedProbeRows()
    {
        // Given
        var runDir = await WriteRunFolderAsync();
        var outDir = Path.Combine(TestData.TempDir(), "report");
        var console = new TestConsole();

        // When
        var exit = await DfidApp.RunAsync(["report", runDir, "--out", outDir, "--permutations", "200", "--bootstrap", "100"], console);

        // Then
        Assert.True(exit == 0, console.Output);
        Assert.Contains("report.html", console.Output);
        var results = AnalysisResultsJson.ReadFile(Path.Combine(outDir, "results.json"));
        Assert.Equal(["replay", "hostile"], results.Conditions.Select(c => c.Name));
        var replay = results.Conditions[0];
        Assert.Equal(0.0, replay.Delta.Value); // replay reproduces the real turn: D = 0 everywhere
        Assert.Equal("fake-judge", replay.Instrument);
        var html = await File.ReadAllTextAsync(Path.Combine(outDir, "report.html"));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<svg", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("how much?", html); // the simulated replies reached the examples table
        Assert.Contains("&lt;", html); // escaped, not markup
        Assert.True(File.Exists(Path.Combine(outDir, "report.md")));
        Assert.True(File.Exists(Path.Combine(outDir, "figures", "stratum-means.png")));
        Assert.True(File.Exists(Path.Combine(outDir, "tables", "endpoints.csv")));
    }

    [Fact]
    public async Task EndpointsCsv_HoldsFullPrecisionValuesOfResultsJson()
    {
        var files = await ReportWriterTests.WriteFixtureAsync();
        var results = AnalysisResultsJson.ReadFile(files.ResultsJson);
        var lines = ParseCsv(await File.ReadAllTextAsync(Path.Combine(files.Directory, "tables", "endpoints.csv")));
        var header = lines[0];
        var deltaColumn = header.IndexOf("Δ");
        var pColumn = header.IndexOf("p");
        Assert.True(deltaColumn > 0 && pColumn > 0, string.Join(",", header));
        // The endpoint table lists the teacher-forced conditions; rollout conditions have the walk-away section.
        var conditions = results.Conditions.Where(c => c.Mode == ConditionModes.Probe).ToList();
        Assert.Contains(results.Conditions, c => c.Mode == ConditionModes.Rollout);
        Assert.Equal(conditions.Count + 1, lines.Count);
        for (var i = 0; i < conditions.Count; i++)
        {
            var cells = lines[i + 1];
            Assert.Equal(header.Count, cells.Count);
            Assert.Equal(conditions[i].Name, cells[0]);
            Assert.Equal(conditions[i].Delta.Value, double.Parse(cells[deltaColumn], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(conditions[i].PValue, double.Parse(cells[pColumn], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>RFC 4180 reader (quoted fields, doubled quotes, CRLF records).</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n') { record.Add(field.ToString()); field.Clear(); records.Add(record); record = []; }
            else field.Append(c);
        }
        if (field.Length > 0 || record.Count > 0) { record.Add(field.ToString()); records.Add(record); }
        return records;
    }

    [Fact]
    public async Task Report_OnResultsJsonFolder_RendersWithoutStore()
    {
        var dir = TestData.TempDir();
        AnalysisResultsJson.WriteFile(ReportFixture.Results, Path.Combine(dir, "results.json"));
        var console = new TestConsole();
        var exit = await DfidApp.RunAsync(["report", dir, "--json"], console);
        Assert.True(exit == 0, console.Output);
        using var doc = JsonDocument.Parse(console.Output);
        Assert.True(File.Exists(doc.RootElement.GetProperty("html").GetString()));
        Assert.StartsWith(Path.Combine(dir, "report"), doc.RootElement.GetProperty("html").GetString());
    }

    [Fact]
    public async Task Report_FolderWithoutRunOrResults_IsUsageError()
    {
        var console = new TestConsole();
        var exit = await DfidApp.RunAsync(["report", TestData.TempDir()], console);
        Assert.Equal(2, exit);
        Assert.Contains("run.sqlite", console.Output);
    }
}
