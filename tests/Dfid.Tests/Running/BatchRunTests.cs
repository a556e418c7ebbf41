using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Running;
using Dfid.Store;
using Dfid.Tests.Fakes;
using Microsoft.Data.Sqlite;

namespace Dfid.Tests.Running;

/// <summary>
/// Batch execution end to end: <c>RunPipeline</c> against the loopback batch server through the real OpenAI and Anthropic
/// SDKs, compared with the online run against the same scripted answers.
/// </summary>
public class BatchRunTests
{
    /// <summary>The LLM experiment's answers (<see cref="LlmExperimentTests.Reply"/>), from a batch item or an online request.</summary>
    internal static BatchOutcome Answer(BatchItem item)
    {
        var reply = LlmExperimentTests.Reply(Request(item));
        // Half the prompt from the provider's prompt cache, as a provider with prefix caching reports it.
        return BatchOutcome.Text(reply.Content!, reply.PromptTokens ?? 10, reply.CompletionTokens ?? 5, (reply.PromptTokens ?? 10) / 2);
    }

    /// <summary>A batch item's body seen as the online request it stands for.</summary>
    internal static RecordedRequest Request(BatchItem item) =>
        new(0, "POST", item.Provider == "anthropic" ? "/v1/messages" : "/v1/chat/completions", new Dictionary<string, string>(),
            Encoding.UTF8.GetBytes(item.Body.GetRawText()), DateTimeOffset.UnixEpoch);

    /// <summary>The spec of the loopback batch server's model for <paramref name="provider"/>.</summary>
    internal static string Model(LoopbackBatchServer server, string provider) =>
        provider == "anthropic" ? $"anthropic:sim-model@{server.Root}" : $"openai:sim-model@{server.BaseUrl}";

    /// <summary>The LLM experiment (persona, instructed and replay scored by an LLM judge, LLM action labels) on <paramref name="model"/>.</summary>
    internal static string WriteExperiment(string dir, string model, string extra = "", int perStratum = 3, string name = "experiment.yaml", double judgeTemperature = 0)
    {
        var corpus = Path.Combine(dir, "corpus.jsonl");
        if (!File.Exists(corpus)) CorpusFile.Write(corpus, RunFixtures.AnnotatedCorpus());
        var text = $$"""
            corpus: corpus.jsonl
            sample: { balanced: {{perStratum}}, seed: 1 }
            probes: { positions: [0.3, 0.6, 0.9], skip_greeting: true }
            domain: persuasionforgood
            simulators:
              replay: { kind: replay }
              persona: { kind: persona, model: "{{model}}", temperature: 0.7 }
              instructed: { kind: instructed, model: "{{model}}", temperature: 0.7 }
            instruments:
              judge: { kind: llm, model: "{{model}}", temperature: {{judgeTemperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }
            actions: { kind: llm, model: "{{model}}", temperature: 0 }
            conditions:
              - { simulator: persona, instrument: judge }
              - { simulator: instructed, instrument: judge }
              - { simulator: replay, instrument: judge }
            {{extra}}
            """;
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    internal const string FastBatch = "execution: { mode: batch, poll_seconds: 0.01 }";

    /// <summary>Every stored answer with every column but the time it took and the time it was written.</summary>
    internal static string Rows(string runDir) => StoreDump.Of(Path.Combine(runDir, RunStore.FileName), AnswerTables);

    private static readonly string[] AnswerTables =
    [
        "SELECT id, converted, json FROM conversations ORDER BY 1",
        "SELECT * FROM probes ORDER BY 1, 2",
        "SELECT simulator, conversation_id, turn_index, sample_index, text, status, error, raw, model, prompt_tokens, completion_tokens, cache_hit, attempts FROM sim_turns ORDER BY 1, 2, 3, 4",
        "SELECT instrument, conversation_id, turn_index, source, stage, state_json, status, error, raw, model, prompt_tokens, completion_tokens, cache_hit, attempts FROM labels ORDER BY 1, 2, 3, 4",
        "SELECT labeller, conversation_id, agent_turn_index, action, status, error, model, prompt_tokens, completion_tokens, cache_hit, attempts FROM actions ORDER BY 1, 2, 3",
    ];

    private static long Scalar(string runDir, string sql)
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(runDir, RunStore.FileName)};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int OnlineCalls(LoopbackBatchServer server) =>
        server.Requests.Count(r => r.Method == "POST" && (r.Path.StartsWith("/v1/chat/completions", StringComparison.Ordinal) || r.Path.TrimEnd('/') == "/v1/messages"));

    private static int BatchCreations(LoopbackBatchServer server) =>
        server.Requests.Count(r => r.Method == "POST" && (r.Path.TrimEnd('/') == "/v1/batches" || r.Path.TrimEnd('/') == "/v1/messages/batches"));

    private static async Task<RunSessionResult> RunAsync(string experimentPath, string outDir, string? cache = null, bool batch = false) =>
        await new RunPipeline().RunAsync(ExperimentParser.Load(experimentPath),
            new RunSettings(outDir, NoCache: cache is null, CachePath: cache) { Batch = batch });

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task BatchRun_StoresTheOnlineRunsRows_PhaseByPhase(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = Answer, InProgressPolls = 2 });
        var dir = TestData.TempDir();
        var online = WriteExperiment(dir, Model(server, provider), name: "online.yaml");
        var batch = WriteExperiment(dir, Model(server, provider), FastBatch, name: "batch.yaml");

        var onlineResult = await RunAsync(online, Path.Combine(dir, "online"));
        Assert.Equal(RunEnd.Completed, onlineResult.Outcome.End);
        var onlineCalls = OnlineCalls(server);
        Assert.True(onlineCalls > 100, $"{onlineCalls} online calls");

        var batchResult = await RunAsync(batch, Path.Combine(dir, "batch"));
        Assert.Equal(RunEnd.Completed, batchResult.Outcome.End);
        Assert.Equal(Rows(Path.Combine(dir, "online")), Rows(Path.Combine(dir, "batch")));

        // Not one online call; one batch per phase (simulate, label, actions), holding the online calls once each (the
        // replay simulator's turn is the real turn: its label request is the real turn's, asked once).
        Assert.Equal(onlineCalls, OnlineCalls(server));
        var batches = server.Batches;
        Assert.Equal(3, batches.Count);
        var distinctOnline = server.Requests.Where(r => r.Method == "POST" && r.Json is not null && !r.Path.Contains("batches", StringComparison.Ordinal) && !r.Path.Contains("files", StringComparison.Ordinal))
            .Select(r => r.Json!.Value.GetRawText()).Distinct().Count();
        Assert.True(distinctOnline < onlineCalls);
        Assert.Equal(distinctOnline, batches.Sum(b => b.Items.Count));
        Assert.All(batches, b => Assert.Equal(b.Items.Count, b.Items.Select(i => i.CustomId).Distinct().Count()));
        // Phase order: the simulators' requests first, then the judge's, then the action labeller's.
        Assert.All(batches[0].Items, i => Assert.False(LlmExperimentTests.IsJudge(Request(i)) || LlmExperimentTests.IsActionLabeller(Request(i))));
        Assert.All(batches[1].Items, i => Assert.True(LlmExperimentTests.IsJudge(Request(i))));
        Assert.All(batches[2].Items, i => Assert.True(LlmExperimentTests.IsActionLabeller(Request(i))));
        // Within the label batch a probe's labels are together (real and simulated turns share their context prefix).
        var conversationsInOrder = batches[1].Items.Select(i => LlmExperimentTestsProbe(Request(i))).ToList();
        Assert.Equal(conversationsInOrder.Distinct().Count(), CountRuns(conversationsInOrder));

        // The manifest says how it ran and what it cost at the batch price; --status reads the store.
        var manifest = batchResult.Manifest;
        Assert.Equal("batch", manifest.Execution);
        Assert.Equal(3, manifest.Batches!.Batches);
        Assert.Equal(distinctOnline, manifest.Batches.Answered);
        // Cached prompt tokens as the provider reported them: in the progress (per answer recorded) and the manifest (per request).
        Assert.Equal(onlineResult.Outcome.Progress.CachedPromptTokens, batchResult.Outcome.Progress.CachedPromptTokens);
        Assert.True(batchResult.Outcome.Progress.CachedPromptTokens > 0);
        Assert.True(manifest.Batches.CachedPromptTokens > 0 && manifest.Batches.CachedPromptTokens < manifest.Batches.PromptTokens);
        var status = new RunPipeline().BatchStatus(Path.Combine(dir, "batch"));
        Assert.Equal(batches.Select(b => b.Id), status.Batches.Select(b => b.Id));
        Assert.All(status.Batches, b => Assert.Equal(("completed", b.Submitted, 0, true), (b.State, b.Completed, b.Failed, b.Read)));
        Assert.Equal(["simulate", "label", "actions"], status.Batches.Select(b => b.Phase));
    }

    // The conversation a judge request is about (its first turn mark).
    private static string LlmExperimentTestsProbe(RecordedRequest r)
    {
        var text = r.LastUserText;
        var at = text.IndexOf("(p", StringComparison.Ordinal);
        return text.Substring(at + 1, 3);
    }

    private static int CountRuns(IReadOnlyList<string> values) => values.Where((v, i) => i == 0 || values[i - 1] != v).Count();

    /// <summary>The conversations the experiment samples (3 per stratum, seed 1), by id.</summary>
    private static List<string> Sampled() =>
        [.. RunPipeline.Sample(RunFixtures.AnnotatedCorpus(), new SampleSpec(3, 1)).Select(c => c.Id).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task BatchAnswers_GoToTheResponseCache_AndCachedAnswersAreNotSubmitted()
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = Answer });
        var dir = TestData.TempDir();
        var cache = Path.Combine(dir, "cache");
        var online = WriteExperiment(dir, Model(server, "openai"), name: "online.yaml");
        var batch = WriteExperiment(dir, Model(server, "openai"), FastBatch, name: "batch.yaml");

        Assert.Equal(RunEnd.Completed, (await RunAsync(batch, Path.Combine(dir, "batch"), cache)).Outcome.End);
        var submitted = server.Batches.Sum(b => b.Items.Count);
        Assert.Equal(0, OnlineCalls(server));

        // An online re-run into another folder is answered from the cache alone: the batch answers are under the online keys.
        Assert.Equal(RunEnd.Completed, (await RunAsync(online, Path.Combine(dir, "online"), cache)).Outcome.End);
        Assert.Equal(0, OnlineCalls(server));
        var onlineDir = Path.Combine(dir, "online");
        Assert.Equal(Scalar(onlineDir, "SELECT (SELECT COUNT(model) FROM sim_turns) + (SELECT COUNT(model) FROM labels) + (SELECT COUNT(model) FROM actions)"),
            Scalar(onlineDir, "SELECT (SELECT SUM(cache_hit) FROM sim_turns) + (SELECT SUM(cache_hit) FROM labels) + (SELECT SUM(cache_hit) FROM actions)"));

        // A batch run whose requests are all in the cache submits nothing, and its rows are the cached run's.
        var batches = server.Batches.Count;
        Assert.Equal(RunEnd.Completed, (await RunAsync(batch, Path.Combine(dir, "batch2"), cache)).Outcome.End);
        Assert.Equal(batches, server.Batches.Count);
        Assert.Equal(Rows(Path.Combine(dir, "online")), Rows(Path.Combine(dir, "batch2")));
    }

    [Fact]
    public async Task JsonRepairAndSchemaFallback_AreSecondRounds_WithTheOnlineRows()
    {
        var sampled = Sampled();
        static bool Repair(RecordedRequest r) => r.LastUserText.StartsWith("Your answer is not valid", StringComparison.Ordinal);
        static bool Schema(RecordedRequest r) => r.Json is { } j && j.TryGetProperty("response_format", out _);
        BatchOutcome Script(BatchItem item)
        {
            var r = Request(item);
            if (Repair(r)) return BatchOutcome.Text("""{"stage":"engaging","emotion":"neutral","blocker":"none","convergence_delta":0,"key_signal":"repaired"}""");
            if (LlmExperimentTests.IsJudge(r))
            {
                var about = LlmExperimentTestsProbe(r);
                // The first conversation's judge requests meet an endpoint that refuses json_schema; the second's first
                // answers are not JSON.
                if (about == sampled[0] && Schema(r)) return BatchOutcome.Error(400, "response_format json_schema is not supported");
                if (about == sampled[1]) return BatchOutcome.Text("I think the stage is engaging.");
            }
            return Answer(item);
        }
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = Script });
        var dir = TestData.TempDir();
        var online = WriteExperiment(dir, Model(server, "openai"), name: "online.yaml");
        var batch = WriteExperiment(dir, Model(server, "openai"), FastBatch, name: "batch.yaml");

        await RunAsync(online, Path.Combine(dir, "online"));
        // Distinct requests: a batch asks each once (the replay simulator's label request is the real turn's).
        var onlineRequests = server.Requests.Where(r => r.Method == "POST").DistinctBy(r => r.Body).ToList();
        var repairs = onlineRequests.Count(Repair);
        var fallbacks = onlineRequests.Count(r => LlmExperimentTests.IsJudge(r) && !Schema(r) && !Repair(r));
        Assert.True(repairs > 0 && fallbacks > 0, $"{repairs} repairs, {fallbacks} fallbacks");

        var result = await RunAsync(batch, Path.Combine(dir, "batch"));
        Assert.Equal(RunEnd.Completed, result.Outcome.End);
        Assert.Equal(Rows(Path.Combine(dir, "online")), Rows(Path.Combine(dir, "batch")));
        // The label phase took a second round holding exactly the repairs and the prompt-mode requests.
        var status = new RunPipeline().BatchStatus(Path.Combine(dir, "batch"));
        Assert.Equal([("simulate", 1), ("label", 1), ("label", 2), ("actions", 1)], status.Batches.Select(b => (b.Phase, b.Round)));
        var second = server.Batches[2].Items.Select(Request).ToList();
        Assert.Equal(repairs, second.Count(Repair));
        Assert.Equal(fallbacks, second.Count(r => !Repair(r) && !Schema(r)));
        Assert.Equal(repairs + fallbacks, second.Count);
        // A refused item is a failure in its batch, not an answer.
        Assert.Equal(second.Count(r => !Repair(r)), status.Batches[1].Failed);
    }

    [Fact]
    public async Task PartialFailuresAndAnExpiredBatch_OnlyTheFailedItemsAreSubmittedAgain()
    {
        var sampled = Sampled();
        var seen = new ConcurrentDictionary<string, int>();
        BatchOutcome Script(BatchItem item)
        {
            var r = Request(item);
            var times = seen.AddOrUpdate(item.Body.GetRawText(), 1, (_, n) => n + 1);
            var about = LlmExperimentTestsProbe(r);
            var simulator = !LlmExperimentTests.IsJudge(r) && !LlmExperimentTests.IsActionLabeller(r);
            if (simulator && about == sampled[0] && times == 1) return BatchOutcome.Error(500, "upstream overloaded", "server_error");
            if (simulator && about == sampled[1] && times == 1) return BatchOutcome.Unfinished();
            if (LlmExperimentTests.IsActionLabeller(r) && about == sampled[2] && times == 1) return BatchOutcome.Error(400, "this request is refused");
            return Answer(item);
        }
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = Script });
        var dir = TestData.TempDir();
        var batch = WriteExperiment(dir, Model(server, "openai"), FastBatch);
        var runDir = Path.Combine(dir, "batch");

        var first = await RunAsync(batch, runDir);
        var batches = server.Batches;
        // simulate round 1 expired (the second conversation's requests never ran) with the first's server errors in it;
        // round 2 holds exactly those items again. The refused action labels (HTTP 400 to a json_schema request) are asked
        // again in prompt mode in round 2 of the actions, as online; refused again, they are model errors.
        Assert.Equal([("simulate", 1), ("simulate", 2), ("label", 1), ("actions", 1), ("actions", 2)],
            new RunPipeline().BatchStatus(runDir).Batches.Select(b => (b.Phase, b.Round)));
        Assert.Equal(BatchCreations(server), batches.Count);
        var again = batches[1].Items.Select(i => i.Body.GetRawText()).ToHashSet();
        var failedFirst = batches[0].Items.Where(i => LlmExperimentTestsProbe(Request(i)) == sampled[0] || LlmExperimentTestsProbe(Request(i)) == sampled[1])
            .Select(i => i.Body.GetRawText()).ToHashSet();
        Assert.NotEmpty(failedFirst);
        Assert.True(failedFirst.Count < batches[0].Items.Count);
        Assert.Equal(failedFirst, again);
        var status = new RunPipeline().BatchStatus(runDir);
        Assert.Equal(["expired", "completed", "completed", "completed", "completed"], status.Batches.Select(b => b.State));
        Assert.Equal(status.Batches[3].Failed, status.Batches[4].Submitted);
        // The refused action label is recorded like an online failure: a model error, retried by the next session.
        Assert.Equal(RunEnd.Completed, first.Outcome.End);
        var refused = Scalar(runDir, "SELECT COUNT(*) FROM actions WHERE status = 'ModelError' AND error LIKE '%this request is refused%'");
        Assert.True(refused > 0);
        Assert.Equal(0, Scalar(runDir, "SELECT COUNT(*) FROM sim_turns WHERE status <> 'Ok'"));

        var second = await RunAsync(batch, runDir);
        Assert.Equal(RunEnd.Completed, second.Outcome.End);
        // The next session submits the refused requests once more (a model error is retried by the next session, as
        // online), in schema mode first: answered now.
        Assert.Equal(6, server.Batches.Count);
        Assert.Equal(refused, server.Batches[5].Items.Count);
        Assert.Equal(0, Scalar(runDir, "SELECT COUNT(*) FROM actions WHERE status <> 'Ok'"));
    }

    [Fact]
    public async Task ABatchRefusedAsAWhole_IsModelErrorsWithTheProvidersReason_AndSmallerBatchesGoThrough()
    {
        // The server takes at most 8 requests a batch (an OpenAI-compatible server with a smaller limit than OpenAI's).
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = Answer, MaxRequests = 8 });
        var dir = TestData.TempDir();
        var runDir = Path.Combine(dir, "batch");
        var big = WriteExperiment(dir, Model(server, "openai"), FastBatch, name: "exp.yaml");
        var first = await RunAsync(big, runDir);
        Assert.Equal(RunEnd.Completed, first.Outcome.End);
        // Each phase's one batch (the labels of the real and replayed turns still run) refused by the server.
        var refused = new RunPipeline().BatchStatus(runDir).Batches;
        Assert.Equal(["simulate", "label", "actions"], refused.Select(b => b.Phase));
        Assert.All(refused, b => Assert.Equal(("failed", b.Submitted), (b.State, b.Failed)));
        Assert.Equal(Scalar(runDir, "SELECT COUNT(*) FROM sim_turns WHERE simulator <> 'replay'"),
            Scalar(runDir, "SELECT COUNT(*) FROM sim_turns WHERE status = 'ModelError' AND error LIKE '%the provider refused the batch%at most 8 are allowed%'"));

        var chunked = WriteExperiment(dir, Model(server, "openai"), "execution: { mode: batch, poll_seconds: 0.01, max_requests: 8 }", name: "exp.yaml");
        Assert.Equal(RunEnd.Completed, (await RunAsync(chunked, runDir)).Outcome.End);
        var batches = server.Batches.Skip(3).ToList();
        Assert.All(batches, b => Assert.InRange(b.Items.Count, 1, 8));
        Assert.True(batches.Count >= 10, $"{batches.Count} batches");
        Assert.Equal(0, Scalar(runDir, "SELECT (SELECT COUNT(*) FROM sim_turns WHERE status <> 'Ok') + (SELECT COUNT(*) FROM labels WHERE status <> 'Ok') + (SELECT COUNT(*) FROM actions WHERE status <> 'Ok')"));
        // Chunks keep plan order: the simulate phase's batches hold the conversations in order.
        var order = batches.Where(b => b.Items.All(i => !LlmExperimentTests.IsJudge(Request(i)) && !LlmExperimentTests.IsActionLabeller(Request(i))))
            .SelectMany(b => b.Items).Select(i => LlmExperimentTestsProbe(Request(i))).ToList();
        Assert.Equal(order.Order(StringComparer.Ordinal), order);
    }

    [Fact]
    public async Task Budget_CapsWhatIsSubmitted_AndARaisedBudgetGoesOn()
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = Answer });
        var dir = TestData.TempDir();
        var runDir = Path.Combine(dir, "batch");
        var capped = WriteExperiment(dir, Model(server, "openai"), FastBatch + "\nbudget: { max_calls: 10 }", name: "capped.yaml");
        var result = await RunAsync(capped, runDir);
        Assert.Equal(RunEnd.BudgetReached, result.Outcome.End);
        Assert.Contains("budget.max_calls = 10", result.Outcome.Message, StringComparison.Ordinal);
        Assert.Equal(10, server.Batches.Sum(b => b.Items.Count));
        Assert.Equal(10, Scalar(runDir, "SELECT COUNT(*) FROM sim_turns WHERE simulator <> 'replay'"));

        var open = WriteExperiment(dir, Model(server, "openai"), FastBatch, name: "capped.yaml");
        Assert.Equal(RunEnd.Completed, (await RunAsync(open, runDir)).Outcome.End);
        Assert.Equal(0, Scalar(runDir, "SELECT COUNT(*) FROM sim_turns WHERE status <> 'Ok'"));
    }
}

/// <summary>SIGKILL a real <c>dfid run --batch</c> process while it waits for a batch, twice, then resume: nothing is submitted twice.</summary>
public class BatchKillResumeTests
{
    private static System.Diagnostics.Process Start(params string[] args) => DfidProcess.Start(args).Process;

    [Fact]
    public async Task BatchRun_KilledWhilePollingTwice_ResumesPollingAndSubmitsEachBatchOnce()
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = BatchRunTests.Answer, InProgressPolls = 6 });
        var dir = TestData.TempDir();
        var model = BatchRunTests.Model(server, "openai");
        var online = BatchRunTests.WriteExperiment(dir, model, name: "online.yaml");
        var batch = BatchRunTests.WriteExperiment(dir, model, "execution: { mode: batch, poll_seconds: 0.05 }", name: "batch.yaml");
        Assert.Equal(RunEnd.Completed, (await new RunPipeline().RunAsync(ExperimentParser.Load(online), new RunSettings(Path.Combine(dir, "online"), NoCache: true))).Outcome.End);

        var runDir = Path.Combine(dir, "batch");
        string[] command = ["run", batch, "--out", runDir, "--no-cache", "--quiet", "--batch"];
        foreach (var phase in new[] { 0, 1 })
        {
            using var p = Start(command);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!(server.Batches.Count > phase && server.Batches[phase].StatusReads >= 2) && !p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(5);
            Assert.False(p.HasExited, $"dfid exited before the kill in phase {phase}");
            Assert.False(server.Batches[phase].Ended);
            p.Kill(entireProcessTree: true); // SIGKILL
            await p.WaitForExitAsync();
            // The batch was recorded before the wait: the killed session left it in the store, unread.
            var status = new RunPipeline().BatchStatus(runDir);
            Assert.Equal(phase + 1, status.Batches.Count);
            Assert.False(status.Batches[phase].Read);
        }

        using (var p = Start(command))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await p.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, p.ExitCode);
        }
        // Three phases, three batches: the two the killed sessions submitted were polled again, not submitted again.
        var creations = server.Requests.Count(r => r.Method == "POST" && r.Path.TrimEnd('/') == "/v1/batches");
        Assert.Equal(3, creations);
        Assert.Equal(3, server.Batches.Count);
        Assert.All(server.Batches, b => Assert.True(b.Ended));
        Assert.True(server.Batches[0].StatusReads > 2);
        Assert.Equal(BatchRunTests.Rows(Path.Combine(dir, "online")), BatchRunTests.Rows(runDir));
        using var store = RunStore.Open(runDir);
        Assert.Equal(3, store.ReadManifest()!.Sessions.Count);
        Assert.Equal("completed", store.ReadManifest()!.Sessions[^1].Outcome);

        // --status reads the store: exit 0, one line per batch.
        var console = new Spectre.Console.Testing.TestConsole();
        Assert.Equal(0, await Dfid.Cli.DfidApp.RunAsync(["run", "--status", runDir], console));
        Assert.All(server.Batches, b => Assert.Contains(b.Id + "\t", console.Output, StringComparison.Ordinal));
        Assert.Contains("total: 3 batches", console.Output, StringComparison.Ordinal);
    }
}
