using System.Text.Json;
using Dfid.Cli;
using Dfid.Corpus;
using Dfid.Tests.Fakes;
using Spectre.Console.Testing;

namespace Dfid.Tests.Instrument;

/// <summary><c>dfid instrument validate/label</c> in process: real corpus file, real MiniLM, real loopback HTTP.</summary>
public sealed class InstrumentCommandTests
{
    private static string CorpusFileWithLabels(string dir)
    {
        var path = Path.Combine(dir, "labelled.jsonl");
        CorpusFile.Write(path, LearnedInstrumentTests.Corpus());
        return path;
    }

    [Fact]
    public async Task Validate_Learned_Json_HasTheDocumentedFieldsAndIsOutOfFold()
    {
        var dir = TestData.TempDir();
        var console = new TestConsole();
        console.Profile.Width = 400;

        var code = await DfidApp.RunAsync(["instrument", "validate", "--corpus", CorpusFileWithLabels(dir), "--instrument", "learned",
            "--cache-dir", Path.Combine(dir, "cache"), "--resamples", "200", "--json"], console);

        Assert.True(code == 0, console.Output);
        using var doc = JsonDocument.Parse(console.Output);
        var r = doc.RootElement;
        foreach (var field in new[] { "n", "accuracy", "kappa_quadratic", "krippendorff_alpha_ordinal", "ci", "confusion", "per_stage", "baseline" })
            Assert.True(r.TryGetProperty(field, out _), "missing " + field);
        Assert.Equal(25, r.GetProperty("n").GetInt32());
        Assert.True(r.GetProperty("out_of_fold").GetBoolean());
        Assert.Equal(5, r.GetProperty("confusion").GetArrayLength());
        Assert.Equal(25, r.GetProperty("confusion").EnumerateArray().SelectMany(row => row.EnumerateArray()).Sum(v => v.GetInt32()));
        Assert.Equal(2, r.GetProperty("ci").GetProperty("kappa_quadratic").GetArrayLength());
        // Five stages, five each: the majority baseline (lowest index on ties) is resisting with accuracy 0.2 and kappa 0.
        Assert.Equal("resisting", r.GetProperty("baseline_stage").GetString());
        Assert.Equal(0.2, r.GetProperty("baseline").GetProperty("accuracy").GetDouble(), 6);
        Assert.Equal(0.0, r.GetProperty("baseline").GetProperty("kappa_quadratic").GetDouble(), 6);
        Assert.Equal("resisting", r.GetProperty("per_stage")[0].GetProperty("stage").GetString());
        // Criterion validity: the outcome signal at the three probe positions, the refusal check, the calibration.
        var signal = r.GetProperty("outcome_signal");
        Assert.Equal([0.3, 0.6, 0.9], signal.EnumerateArray().Select(s => s.GetProperty("position").GetDouble()));
        foreach (var side in new[] { "human", "instrument" })
            foreach (var field in new[] { "not_converted", "converted", "resisting_not_converted", "resisting_converted", "resisting_difference",
                         "fisher_p", "mean_depth_not_converted", "mean_depth_converted", "depth_auc" })
                Assert.True(signal[1].GetProperty(side).TryGetProperty(field, out _), $"missing {side}.{field}");
        Assert.Equal(5, signal[1].GetProperty("human").GetProperty("not_converted").GetInt32()); // the fixture's five non-converters
        Assert.Equal(5, r.GetProperty("refusals").GetProperty("human_resisting").GetInt32());
        var brier = r.GetProperty("calibration").GetProperty("brier").GetDouble();
        Assert.InRange(brier, 0, 2);
        // --cache-dir is the cache root, laid out as $DFID_CACHE_DIR and `run --cache` are, so `run` finds this model.
        Assert.Single(Directory.GetFiles(Path.Combine(dir, "cache", "instruments"), "learned-stage-*.json"));
        Assert.True(File.Exists(Path.Combine(dir, "cache", "embeddings.sqlite")));
    }

    [Fact]
    public async Task Validate_Learned_Table_ShowsTheOutcomeSignalAndRefusalCheck_In80Columns()
    {
        var dir = TestData.TempDir();
        var console = new TestConsole();
        console.Profile.Width = 80;

        var code = await DfidApp.RunAsync(["instrument", "validate", "--corpus", CorpusFileWithLabels(dir), "--instrument", "learned",
            "--cache-dir", Path.Combine(dir, "cache"), "--resamples", "100"], console);

        Assert.True(code == 0, console.Output);
        Assert.Contains("outcome signal at the probes", console.Output);
        Assert.Contains("0.6   │ human", console.Output);
        Assert.Contains("0.6   │ instr.", console.Output);
        Assert.Contains("refusal check:", console.Output);
        Assert.Contains("of 5 human-resisting turns labelled deciding", console.Output);
        Assert.Contains("stage probabilities: Brier", console.Output);
    }

    [Fact]
    public async Task Label_LlmOverLoopback_WritesOneLinePerUserTurn()
    {
        var dir = TestData.TempDir();
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text(
            """{"stage":"exploring","emotion":"neutral","blocker":"none","convergence_delta":0,"key_signal":"the"}"""));
        var console = new TestConsole();
        var output = Path.Combine(dir, "labels.jsonl");

        var code = await DfidApp.RunAsync(["instrument", "label", "--corpus", CorpusFileWithLabels(dir),
            "--instrument", $"llm:openai:m@{server.BaseUrl}", "--limit", "3", "--out", output], console);

        Assert.True(code == 0, console.Output);
        var lines = File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal(3, server.RequestCount);
        Assert.All(lines, l => Assert.Equal("exploring", l.GetProperty("stage").GetString()));
        Assert.Equal("resisting", lines[0].GetProperty("human_stage").GetString());
        Assert.Equal("c0", lines[0].GetProperty("conversation").GetString());
        Assert.Equal(1, lines[0].GetProperty("turn").GetInt32());
        // Domain words come from the corpus dataset ("test" → purchase words).
        Assert.Contains("salesperson", server.Requests[0].Messages[0].Text);
    }

    [Theory]
    [InlineData("magic")]
    [InlineData("llm:")]
    public async Task Validate_BadSpec_IsAUsageError(string spec)
    {
        var dir = TestData.TempDir();
        var console = new TestConsole();
        var code = await DfidApp.RunAsync(["instrument", "validate", "--corpus", CorpusFileWithLabels(dir), "--instrument", spec], console);
        Assert.Equal(2, code);
        Assert.Contains("learned", console.Output);
    }

    [Fact]
    public async Task Validate_MissingCorpus_NamesTheFile()
    {
        var console = new TestConsole();
        var code = await DfidApp.RunAsync(["instrument", "validate", "--corpus", "/nonexistent/x.jsonl"], console);
        Assert.Equal(2, code);
        Assert.Contains("/nonexistent/x.jsonl", console.Output);
    }
}
