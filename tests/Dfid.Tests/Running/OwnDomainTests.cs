using System.Text.Json;
using Dfid.Cli;
using Dfid.Corpus;
using Dfid.Corpus.Importers;
using Dfid.Instrument;
using Dfid.Store;
using Dfid.Tests.Fakes;
using Spectre.Console.Testing;

namespace Dfid.Tests.Running;

/// <summary>
/// The real PersuasionForGood data split as a team with its own logs would have it: the 300 annotated dialogues (the
/// training labels) and the 717 others (no annotation at all), plus one cache folder for the class, so the learned
/// instrument is trained once on the annotated ones (the model is named by its training hash, so a later run of the
/// tests loads it).
/// </summary>
public sealed class TransferFixture
{
    public TransferFixture()
    {
        Dir = TestData.TempDir();
        var all = new PersuasionForGoodImporter().Import(new CorpusImportRequest(TestData.PersuasionForGood)).Conversations;
        var annotated = all.Where(c => c.Meta.TryGetValue("annotated", out var a) && a.ValueKind == JsonValueKind.True).ToList();
        // Without annotations: the acts are gone from these conversations in the source itself, so nothing can leak.
        var rest = all.Where(c => !annotated.Contains(c)).ToList();
        Annotated = Path.Combine(Dir, "p4g-annotated.jsonl");
        Unannotated = Path.Combine(Dir, "p4g-unannotated.jsonl");
        CorpusFile.Write(Annotated, annotated);
        CorpusFile.Write(Unannotated, rest);
        AnnotatedCount = annotated.Count;
        UnannotatedCount = rest.Count;
        Assert.All(rest, c => Assert.All(c.Turns, t => Assert.True(t.Annotations is null || t.Annotations.Count == 0)));
    }

    public string Dir { get; }

    public string Annotated { get; }

    public string Unannotated { get; }

    public int AnnotatedCount { get; }

    public int UnannotatedCount { get; }

    /// <summary>Stable across test runs: trained models and sentence vectors are keyed by content, so sharing is safe.</summary>
    public static string Cache { get; } = Path.Combine(Path.GetTempPath(), "dfid-tests", "own-domain-cache");
}

/// <summary>
/// Issue 16 acceptance: transfer training of the learned instrument, a labels file as the human labels of a run, the
/// selection check, and a corpus of another domain (a subscription-retention fixture written for these tests) end to end,
/// offline and with an LLM judge over loopback.
/// </summary>
public sealed class OwnDomainTests(TransferFixture p4g) : IClassFixture<TransferFixture>
{
    private static async Task<(int Code, string Output)> RunCli(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 300;
        var code = await DfidApp.RunAsync(args, console);
        return (code, console.Output);
    }

    private static JsonElement ReadJson(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static JsonElement Instrument(JsonElement results, string name) =>
        results.GetProperty("manifest").GetProperty("components").EnumerateArray()
            .Single(c => c.GetProperty("role").GetString() == "instrument" && c.GetProperty("name").GetString() == name);

    [Fact]
    public async Task Transfer_UnannotatedPersuasionForGood_TrainedOnTheAnnotatedOnes_RunsAndReportsOutOfDomain()
    {
        var dir = TestData.TempDir();
        var experiment = Path.Combine(dir, "experiment.yaml");
        var text = $"""
            corpus: {p4g.Unannotated}
            sample: {"{"} balanced: 6, seed: 7 {"}"}
            simulators:
              replay: {"{"} kind: replay {"}"}
              retrieval: {"{"} kind: retrieval, pool: sample {"}"}
            instruments:
              learned: {"{"} kind: learned, train: [{p4g.Annotated}] {"}"}
            conditions:
              - {"{"} simulator: retrieval, instrument: learned {"}"}
              - {"{"} simulator: replay, instrument: learned {"}"}
            """;
        // The starting point: without train: the run stops at once and says what to do.
        File.WriteAllText(experiment, text.Replace($", train: [{p4g.Annotated}]", "", StringComparison.Ordinal));
        var (failCode, failOutput) = await RunCli("run", experiment, "--out", Path.Combine(dir, "untrained"), "--cache", TransferFixture.Cache);
        Assert.NotEqual(0, failCode);
        Assert.Contains("train: [p4g.jsonl]", failOutput, StringComparison.Ordinal);

        File.WriteAllText(experiment, text);
        var run = Path.Combine(dir, "run");
        var (code, output) = await RunCli("run", experiment, "--out", run, "--cache", TransferFixture.Cache);
        Assert.True(code == 0, output);

        var results = ReadJson(Path.Combine(run, "results.json"));
        Assert.Equal(2, results.GetProperty("conditions").GetArrayLength());
        var options = Instrument(results, "learned").GetProperty("options");
        Assert.Equal("yes", options.GetProperty("applied_out_of_domain").GetString());
        Assert.Equal("0 of 12", options.GetProperty("run_conversations_in_training").GetString());
        Assert.Equal(p4g.AnnotatedCount.ToString(System.Globalization.CultureInfo.InvariantCulture), options.GetProperty("training_conversations").GetString());
        Assert.Contains(p4g.Annotated, options.GetProperty("training_sources").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("out-of-fold on the training labels: n = ", options.GetProperty("training_validation").GetString(), StringComparison.Ordinal);
        var kappa = double.Parse(options.GetProperty("training_kappa_out_of_fold").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(kappa, 0.5, 0.9); // the learned instrument's documented agreement on these labels is ≈ 0.62-0.69

        // No human labels on these conversations: no validation and no prediction-powered estimate, said, not faked.
        Assert.Equal(JsonValueKind.Null, results.GetProperty("conditions")[0].GetProperty("prediction_powered").ValueKind);
        var selection = results.GetProperty("selection");
        Assert.Equal(p4g.UnannotatedCount, selection.GetProperty("corpus").GetProperty("conversations").GetInt32());
        Assert.Equal(12, selection.GetProperty("sample").GetProperty("conversations").GetInt32());
        Assert.Equal(JsonValueKind.Null, selection.GetProperty("human_labels").ValueKind);

        var report = File.ReadAllText(Path.Combine(run, "report", "report.md"));
        Assert.Contains("Instrument training", report, StringComparison.Ordinal);
        Assert.Contains("**Applied out of domain:** none of the run's conversations was in its training data", report, StringComparison.Ordinal);
        Assert.Contains("Selection check", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ValidateLabels_RealPersuasionForGood_SameKappaAsTheBuiltInActs()
    {
        // The acts of the annotated dialogues written as a labels file: the same turns, the same stages.
        var dir = TestData.TempDir();
        var corpus = CorpusFile.ReadAll(p4g.Annotated);
        var labels = new List<HumanLabel>();
        var time = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        foreach (var c in corpus)
            for (var i = 0; i < c.Turns.Length; i++)
                if (c.Turns[i].Role == Role.User && ActMapping.PersuasionForGood.StageOfTurn(c, i) is { } s)
                    labels.Add(new(c.Id, i, "acts", s, null, null, time));
        var labelsPath = Path.Combine(dir, "acts.jsonl");
        LabelsFile.Write(labelsPath, labels);

        var (builtInCode, builtIn) = await RunCli("instrument", "validate", "--corpus", p4g.Annotated, "--instrument", "learned",
            "--cache-dir", TransferFixture.Cache, "--resamples", "300", "--json");
        Assert.True(builtInCode == 0, builtIn);
        var (fileCode, fromFile) = await RunCli("instrument", "validate", "--corpus", p4g.Annotated, "--instrument", "learned",
            "--cache-dir", TransferFixture.Cache, "--resamples", "300", "--json", "--labels", labelsPath);
        Assert.True(fileCode == 0, fromFile);

        var a = JsonDocument.Parse(builtIn).RootElement;
        var b = JsonDocument.Parse(fromFile).RootElement;
        Assert.Equal(labels.Count, a.GetProperty("n").GetInt32());
        Assert.Equal(a.GetProperty("n").GetInt32(), b.GetProperty("n").GetInt32());
        Assert.Equal(a.GetProperty("kappa_quadratic").GetDouble(), b.GetProperty("kappa_quadratic").GetDouble());
        Assert.Equal(a.GetProperty("krippendorff_alpha_ordinal").GetDouble(), b.GetProperty("krippendorff_alpha_ordinal").GetDouble());
        Assert.Equal(a.GetProperty("confusion").GetRawText(), b.GetProperty("confusion").GetRawText());
        Assert.Equal(a.GetProperty("ci").GetRawText(), b.GetProperty("ci").GetRawText());
        Assert.Equal("dfid.labels/1", b.GetProperty("label_set").GetString());
        Assert.Equal(["acts"], b.GetProperty("labels").GetProperty("annotators").EnumerateArray().Select(x => x.GetString()));
    }

    // ---- the custom domain: subscription retention (converted = the subscriber stayed) ----

    private const string RetentionDomain = """
        domain:
          preset: sales
          agent: a member care agent of your streaming service
          agent_label: Agent
          agent_role: member care agent
          user_role: subscriber
          commitment: renewal
          commit_verb: keep the subscription
          offer: the subscription
          decision: keeping your StreamBox subscription
          setting: You called StreamBox member care because you are thinking about cancelling your streaming subscription.
        """;

    /// <summary>Step 1 of "your own data": the team's export imported with <c>--format jsonl</c>.</summary>
    private static async Task<(string Dir, string Corpus, string Labels)> ImportRetentionAsync()
    {
        var dir = TestData.TempDir();
        var corpus = Path.Combine(dir, "retention.jsonl");
        var (code, output) = await RunCli("corpus", "import", "--format", "jsonl", "--in", TestData.Fixture("own-domain", "retention.jsonl"), "--out", corpus);
        Assert.True(code == 0, output);
        var labels = Path.Combine(dir, "labels.jsonl");
        File.Copy(TestData.Fixture("own-domain", "retention-labels.jsonl"), labels);
        return (dir, corpus, labels);
    }

    /// <summary>The labels file read without our reader: turn → stages in file order, annotators in order of first appearance.</summary>
    private static (Dictionary<(string, int), List<(string Annotator, string Stage)>> Turns, List<string> Annotators) RawLabels(string path)
    {
        var turns = new Dictionary<(string, int), List<(string, string)>>();
        var annotators = new List<string>();
        foreach (var line in File.ReadLines(path).Where(l => l.Length > 0))
        {
            var e = JsonDocument.Parse(line).RootElement;
            var key = (e.GetProperty("conversation").GetString()!, e.GetProperty("turn").GetInt32());
            var annotator = e.GetProperty("annotator").GetString()!;
            if (!annotators.Contains(annotator)) annotators.Add(annotator);
            if (!turns.TryGetValue(key, out var list)) turns[key] = list = [];
            list.Add((annotator, e.GetProperty("stage").GetString()!));
        }
        return (turns, annotators);
    }

    /// <summary>The documented consensus, restated: the most chosen stage; a tie goes to the annotator first in the file.</summary>
    private static string Consensus(List<(string Annotator, string Stage)> labels, List<string> annotators)
    {
        var counts = labels.GroupBy(l => l.Stage).Select(g => (g.Key, N: g.Count(), First: g.Min(l => annotators.IndexOf(l.Annotator)))).ToList();
        return counts.OrderByDescending(c => c.N).ThenBy(c => c.First).First().Key;
    }

    [Fact]
    public async Task CustomDomain_Offline_TransferredTraining_LabelsFileIsTheHumanLabels_SelectionCheckMatchesAnIndependentCount()
    {
        var (dir, corpus, labels) = await ImportRetentionAsync();
        var experiment = Path.Combine(dir, "experiment.yaml");
        File.WriteAllText(experiment, $$"""
            corpus: retention.jsonl
            sample: { balanced: 8, seed: 3 }
            {{RetentionDomain}}
            human_labels: labels.jsonl
            simulators:
              replay: { kind: replay }
              retrieval: { kind: retrieval, pool: corpus }
            instruments:
              learned: { kind: learned, train: [{{p4g.Annotated}}] }
            conditions:
              - { simulator: retrieval, instrument: learned }
              - { simulator: replay, instrument: learned }
            """);
        var run = Path.Combine(dir, "run");
        var (code, output) = await RunCli("run", experiment, "--out", run, "--cache", TransferFixture.Cache);
        Assert.True(code == 0, output);
        var results = ReadJson(Path.Combine(run, "results.json"));

        // Applied out of domain, trained on PersuasionForGood, applied to StreamBox subscribers.
        var options = Instrument(results, "learned").GetProperty("options");
        Assert.Equal("yes", options.GetProperty("applied_out_of_domain").GetString());
        Assert.Equal("persuasionforgood", options.GetProperty("training_datasets").GetString());
        Assert.Equal("subscription-retention", options.GetProperty("run_dataset").GetString());
        var manifest = results.GetProperty("manifest");
        Assert.Equal(Path.Combine(dir, "labels.jsonl"), manifest.GetProperty("human_labels").GetProperty("path").GetString());

        // The human labels of the probed turns, counted independently of the reader and the analysis.
        var (raw, annotators) = RawLabels(labels);
        using var store = RunStore.Open(run);
        var probes = store.ReadProbes();
        var sample = store.ReadConversations();
        var labelledProbes = probes.Where(p => raw.ContainsKey((p.ConversationId, p.TurnIndex))).ToList();
        Assert.NotEmpty(labelledProbes);
        var learned = results.GetProperty("instrument_validation").EnumerateArray().Single(v => v.GetProperty("subset").GetString() == "real turns, instrument learned");
        Assert.Equal(labelledProbes.Count, learned.GetProperty("n").GetInt32());
        var retrieval = results.GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "retrieval");
        var ppi = retrieval.GetProperty("prediction_powered");
        Assert.Equal(labelledProbes.Count, ppi.GetProperty("n_labelled_probes").GetInt32());
        Assert.Equal(labelledProbes.Select(p => p.ConversationId).Distinct().Count(), ppi.GetProperty("n_labelled_conversations").GetInt32());

        // Selection check, corpus side: from the imported file, read as plain JSON.
        var lines = File.ReadLines(corpus).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var selection = results.GetProperty("selection");
        var c = selection.GetProperty("corpus");
        Assert.Equal(24, c.GetProperty("conversations").GetInt32());
        Assert.Equal(12, c.GetProperty("converted").GetInt32());
        Assert.Equal(0.5, c.GetProperty("converted_share").GetDouble());
        Assert.Equal(lines.Average(l => l.GetProperty("turns").GetArrayLength()), c.GetProperty("all").GetProperty("mean_turns").GetDouble(), 12);
        var userTurns = (JsonElement l) => l.GetProperty("turns").EnumerateArray().Count(t => t.GetProperty("role").GetString() == "user");
        var nonConverters = lines.Where(l => !l.GetProperty("outcome").GetProperty("converted").GetBoolean()).ToList();
        Assert.Equal(nonConverters.Average(userTurns), c.GetProperty("non_converters").GetProperty("mean_user_turns").GetDouble(), 12);
        Assert.Equal(raw.Count, c.GetProperty("all").GetProperty("human_labelled_turns").GetInt32());
        var resisting = raw.Values.Count(v => Consensus(v, annotators) == "resisting");
        Assert.Equal((double)resisting / raw.Count, c.GetProperty("all").GetProperty("human_resisting_share").GetDouble(), 12);
        // ... and the sample side: the run's 16 conversations.
        var s = selection.GetProperty("sample");
        Assert.Equal(16, s.GetProperty("conversations").GetInt32());
        var sampleLines = lines.Where(l => sample.ContainsKey(l.GetProperty("id").GetString()!)).ToList();
        Assert.Equal(16, sampleLines.Count);
        Assert.Equal(sampleLines.Average(userTurns), s.GetProperty("all").GetProperty("mean_user_turns").GetDouble(), 12);
        var sampleLabelled = raw.Where(kv => sample.ContainsKey(kv.Key.Item1)).ToList();
        Assert.Equal(sampleLabelled.Count, s.GetProperty("all").GetProperty("human_labelled_turns").GetInt32());
        // The instrument's resisting share of the real probed turns (each once), from the store's own real labels.
        var share = selection.GetProperty("instruments").EnumerateArray().Single();
        Assert.Equal(probes.Count, share.GetProperty("probes").GetInt32());
        Assert.Equal(labelledProbes.Count, share.GetProperty("human_labelled_probes").GetInt32());
        Assert.Equal((double)labelledProbes.Count(p => Consensus(raw[(p.ConversationId, p.TurnIndex)], annotators) == "resisting") / labelledProbes.Count,
            share.GetProperty("human_resisting_share").GetDouble(), 12);

        // The corpus side of the instrument's share: every corpus conversation's probed turns, labelled by the same
        // instrument. A run of the whole corpus (sample = corpus) must find exactly these turns and shares on its probes.
        var corpusShare = selection.GetProperty("corpus_instruments").EnumerateArray().Single();
        Assert.Equal(0, corpusShare.GetProperty("failures").GetInt32());
        File.WriteAllText(experiment, File.ReadAllText(experiment).Replace("sample: { balanced: 8, seed: 3 }", "", StringComparison.Ordinal));
        var whole = Path.Combine(dir, "whole");
        var (wCode, wOut) = await RunCli("run", experiment, "--out", whole, "--cache", TransferFixture.Cache);
        Assert.True(wCode == 0, wOut);
        var wholeShare = ReadJson(Path.Combine(whole, "results.json")).GetProperty("selection").GetProperty("instruments").EnumerateArray().Single();
        foreach (var (corpusField, sampleField) in new[] { ("probes", "probes"), ("probes_not_converted", "probes_not_converted"), ("probes_converted", "probes_converted") })
            Assert.Equal(wholeShare.GetProperty(sampleField).GetInt32(), corpusShare.GetProperty(corpusField).GetInt32());
        foreach (var field in new[] { "resisting_share", "resisting_share_not_converted", "resisting_share_converted" })
            Assert.Equal(wholeShare.GetProperty(field).GetDouble(), corpusShare.GetProperty(field).GetDouble(), 12);
        Assert.True(corpusShare.GetProperty("probes").GetInt32() > share.GetProperty("probes").GetInt32());

        var report = File.ReadAllText(Path.Combine(run, "report", "report.md"));
        Assert.Contains("**Applied out of domain:**", report, StringComparison.Ordinal);
        Assert.Contains("Prediction-powered estimate", report, StringComparison.Ordinal);
        Assert.Contains($"Human stages: {labels}.", report, StringComparison.Ordinal);
        Assert.Contains("| conversations | 24 | 16 | 12 | 8 | 12 | 8 |", report, StringComparison.Ordinal);

        // Labels edited after the run: the next report re-analyses with the file as it is now (one labelled probed turn fewer).
        var dropped = labelledProbes[0];
        File.WriteAllLines(labels, File.ReadAllLines(labels).Where(l =>
        {
            var e = JsonDocument.Parse(l).RootElement;
            return e.GetProperty("conversation").GetString() != dropped.ConversationId || e.GetProperty("turn").GetInt32() != dropped.TurnIndex;
        }));
        var (rCode, rOut) = await RunCli("report", run);
        Assert.True(rCode == 0, rOut);
        var after = ReadJson(Path.Combine(run, "report", "results.json")).GetProperty("instrument_validation").EnumerateArray()
            .Single(x => x.GetProperty("subset").GetString() == "real turns, instrument learned");
        Assert.Equal(labelledProbes.Count - 1, after.GetProperty("n").GetInt32());
        (raw, annotators) = RawLabels(labels);

        // The same labels validate the same instrument from the command line, on every labelled turn of the corpus.
        var (vCode, vOut) = await RunCli("instrument", "validate", "--corpus", corpus, "--labels", labels, "--instrument", "learned",
            "--train", p4g.Annotated, "--cache-dir", TransferFixture.Cache, "--resamples", "200", "--json");
        Assert.True(vCode == 0, vOut);
        var v = JsonDocument.Parse(vOut).RootElement;
        Assert.Equal(raw.Count, v.GetProperty("n").GetInt32());
        Assert.False(v.GetProperty("out_of_fold").GetBoolean()); // none of these turns was trained on: one full model labels them
        Assert.Equal(raw.Count(kv => kv.Value.Count > 1), v.GetProperty("labels").GetProperty("turns_with_several_annotators").GetInt32());
    }

    [Fact]
    public async Task CustomDomain_TrainedOnItsOwnLabels_InDomainAndOutOfFold_AndOneAnnotatorAlone()
    {
        var (dir, corpus, labels) = await ImportRetentionAsync();
        var experiment = Path.Combine(dir, "experiment.yaml");
        File.WriteAllText(experiment, $$"""
            corpus: retention.jsonl
            {{RetentionDomain}}
            simulators:
              replay: { kind: replay }
            instruments:
              own: { kind: learned, train: [labels.jsonl] }
            conditions:
              - { simulator: replay, instrument: own }
            """);
        var run = Path.Combine(dir, "run");
        var (code, output) = await RunCli("run", experiment, "--out", run, "--cache", TransferFixture.Cache);
        Assert.True(code == 0, output);
        var results = ReadJson(Path.Combine(run, "results.json"));
        var options = Instrument(results, "own").GetProperty("options");
        var (raw, _) = RawLabels(labels);
        var labelledConversations = raw.Keys.Select(k => k.Item1).Distinct().Count();
        Assert.Equal("no", options.GetProperty("applied_out_of_domain").GetString());
        Assert.Equal($"{labelledConversations} of 24", options.GetProperty("run_conversations_in_training").GetString());
        Assert.Equal(raw.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), options.GetProperty("training_examples").GetString());
        Assert.Contains($"n = {raw.Count} turns in {labelledConversations} conversations", options.GetProperty("training_validation").GetString(), StringComparison.Ordinal);
        var report = File.ReadAllText(Path.Combine(run, "report", "report.md"));
        Assert.Contains("**Applied in domain:**", report, StringComparison.Ordinal);

        // --annotator: one annotator's labels instead of the consensus.
        var (vCode, vOut) = await RunCli("instrument", "validate", "--corpus", corpus, "--labels", labels, "--annotator", "sam", "--instrument", "learned",
            "--train", labels, "--cache-dir", TransferFixture.Cache, "--resamples", "100", "--json");
        Assert.True(vCode == 0, vOut);
        var v = JsonDocument.Parse(vOut).RootElement;
        Assert.Equal(raw.Values.Count(l => l.Any(x => x.Annotator == "sam")), v.GetProperty("n").GetInt32());
        Assert.True(v.GetProperty("out_of_fold").GetBoolean()); // trained on these turns: each labelled by the fold model that did not see it
        Assert.Equal(2, (await RunCli("instrument", "validate", "--corpus", corpus, "--labels", labels, "--annotator", "zed", "--instrument", "learned",
            "--train", labels, "--cache-dir", TransferFixture.Cache)).Code);
        Assert.Equal(2, (await RunCli("instrument", "validate", "--corpus", corpus, "--annotator", "sam")).Code);
    }

    [Fact]
    public async Task CustomDomain_LlmJudgeOverLoopback_PromptsCarryTheDomainWords()
    {
        var (dir, _, _) = await ImportRetentionAsync();
        await using var server = LoopbackOpenAiServer.Start(r => LlmExperimentTests.IsJudge(r)
            ? ScriptedReply.Text("""{"stage":"engaging","emotion":"neutral","blocker":"none","convergence_delta":0,"key_signal":"ok"}""", 200, 20)
            : ScriptedReply.Text("I'll think about it.", 40, 6));
        var model = $"openai:m@{server.BaseUrl}";
        var experiment = Path.Combine(dir, "experiment.yaml");
        File.WriteAllText(experiment, $$"""
            corpus: retention.jsonl
            sample: { balanced: 3, seed: 3 }
            {{RetentionDomain}}
            human_labels: labels.jsonl
            simulators:
              replay: { kind: replay }
              persona: { kind: persona, model: "{{model}}" }
            instruments:
              judge: { kind: llm, model: "{{model}}", temperature: 0 }
            conditions:
              - { simulator: persona, instrument: judge }
              - { simulator: replay, instrument: judge }
            cache: { enabled: false }
            """);
        var run = Path.Combine(dir, "run");
        var (code, output) = await RunCli("run", experiment, "--out", run, "--cache", Path.Combine(dir, "cache"));
        Assert.True(code == 0, output);

        var judge = server.Requests.Where(LlmExperimentTests.IsJudge).ToList();
        var simulator = server.Requests.Where(r => !LlmExperimentTests.IsJudge(r)).ToList();
        Assert.NotEmpty(judge);
        Assert.NotEmpty(simulator);
        foreach (var r in judge)
        {
            var body = r.Body;
            Assert.Contains("subscriber", body, StringComparison.Ordinal);
            Assert.Contains("member care agent", body, StringComparison.Ordinal);
            Assert.Contains("renewal", body, StringComparison.Ordinal);
            Assert.DoesNotContain("salesperson", body, StringComparison.Ordinal);
            Assert.DoesNotContain("persuadee", body, StringComparison.Ordinal);
        }
        foreach (var r in simulator)
        {
            var body = r.Body;
            Assert.Contains("StreamBox member care", body, StringComparison.Ordinal);
            Assert.Contains("a member care agent of your streaming service", body, StringComparison.Ordinal);
            Assert.DoesNotContain("salesperson", body, StringComparison.Ordinal);
        }

        // The judge is validated on the labelled probed turns, and the report says how.
        var results = ReadJson(Path.Combine(run, "results.json"));
        var validation = results.GetProperty("instrument_validation").EnumerateArray().Single(v => v.GetProperty("subset").GetString() == "real turns, instrument judge");
        Assert.True(validation.GetProperty("n").GetInt32() > 0);
        Assert.Contains("Selection check", File.ReadAllText(Path.Combine(run, "report", "report.md")), StringComparison.Ordinal);
    }
}

/// <summary>The experiment keys of issue 16 (<c>train:</c> of the learned instrument, <c>human_labels:</c>): read and checked.</summary>
public sealed class OwnDomainParserTests
{
    private const string Experiment = """
        corpus: mine.jsonl
        human_labels: labels.jsonl
        simulators:
          replay: { kind: replay }
        instruments:
          learned: { kind: learned, train: [p4g.jsonl, { labels: labels.jsonl, corpus: mine.jsonl }] }
        conditions:
          - { simulator: replay, instrument: learned }
        """;

    private static string Folder()
    {
        var dir = TestData.TempDir();
        foreach (var f in new[] { "mine.jsonl", "p4g.jsonl", "labels.jsonl" }) File.WriteAllText(Path.Combine(dir, f), "");
        return dir;
    }

    [Fact]
    public void Parse_TrainListAndHumanLabels_ResolvedAgainstTheExperimentFolder()
    {
        var dir = Folder();
        var e = Dfid.Running.ExperimentParser.Parse(Experiment, Path.Combine(dir, "exp.yaml"));
        Assert.Equal(Path.Combine(dir, "labels.jsonl"), e.HumanLabels);
        var train = TrainingSource.FromOption(e.Instruments["learned"].Options.FileList("train"));
        Assert.Equal([new TrainingSource(Path.Combine(dir, "p4g.jsonl")), new TrainingSource(Path.Combine(dir, "labels.jsonl"), Path.Combine(dir, "mine.jsonl"))], train);
        // One path is a list of one.
        var one = Dfid.Running.ExperimentParser.Parse(Experiment.Replace("[p4g.jsonl, { labels: labels.jsonl, corpus: mine.jsonl }]", "p4g.jsonl", StringComparison.Ordinal), Path.Combine(dir, "exp.yaml"));
        Assert.Equal([new TrainingSource(Path.Combine(dir, "p4g.jsonl"))], TrainingSource.FromOption(one.Instruments["learned"].Options.FileList("train")));
    }

    [Theory]
    [InlineData("human_labels: labels.jsonl", "human_labels: nolabels.jsonl", "exp.yaml:2: human_labels: labels file not found")]
    [InlineData("train: [p4g.jsonl,", "train: [p4.jsonl,", "exp.yaml:6: instruments.learned.train[0]: file not found")]
    [InlineData("{ labels: labels.jsonl, corpus: mine.jsonl }", "{ labels: labels.jsonl, corpos: mine.jsonl }", "exp.yaml:6: instruments.learned.train[1].corpos: unknown key")]
    [InlineData("{ labels: labels.jsonl, corpus: mine.jsonl }", "{ corpus: nothere.jsonl }", "exp.yaml:6: instruments.learned.train[1].corpus: file not found")]
    public void Parse_BadTrainOrLabels_NamesLineKeyAndFix(string from, string to, string expected)
    {
        var dir = Folder();
        var ex = Assert.Throws<DfidException>(() => Dfid.Running.ExperimentParser.Parse(Experiment.Replace(from, to, StringComparison.Ordinal), Path.Combine(dir, "exp.yaml")));
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }
}
