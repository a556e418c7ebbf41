using Dfid.Running;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Running;

public sealed partial class WalkAwayRunTests
{
    [Fact]
    public async Task BatchExecution_ExitProbesAndRollouts_StoreTheOnlineRunsRows()
    {
        // Given: an LLM user (leaves after 9 seen turns), an LLM agent and the judge, with depth probes, exit probes and
        // rollouts, answered by the same script online and through OpenAI batches
        await using var server = LoopbackBatchServer.Start(new BatchScript
        {
            Answer = item => BatchOutcome.Text(Scripted(BatchRunTests.Request(item), leaveAfter: 9).Content!),
            InProgressPolls = 1,
        });
        string Write(string dir, string extra) => WriteExperiment(dir, server.BaseUrl, $$"""
            probes: { positions: [0.3, 0.9], exits: true }
            simulators:
              persona: { kind: persona, model: "openai:sim@{{server.BaseUrl}}", temperature: 0.7 }
            agents:
              seller: { kind: llm, model: "openai:agent@{{server.BaseUrl}}" }
            conditions:
              - { simulator: persona, instrument: judge }
              - { simulator: persona, instrument: judge, mode: rollout, agent: seller }
            rollouts: { start: 0.3, max_user_turns: 4 }
            {{extra}}
            """);
        var onlineDir = TestData.TempDir();
        var batchDir = TestData.TempDir();
        var online = Write(onlineDir, "");
        var batch = Write(batchDir, BatchRunTests.FastBatch);

        // When
        var onlineRun = await new RunPipeline().RunAsync(ExperimentParser.Load(online), new RunSettings(Path.Combine(onlineDir, "run")));
        var onlineCalls = server.Requests.Count(r => r.Path.StartsWith("/v1/chat/completions", StringComparison.Ordinal));
        var batchRun = await new RunPipeline().RunAsync(ExperimentParser.Load(batch), new RunSettings(Path.Combine(batchDir, "run")));

        // Then: both complete with the same probes, exits, rollout steps, rollout ends and labels; the batch run made no
        // online call, and its rollouts went in rounds after the three probe phases.
        Assert.Equal(RunEnd.Completed, onlineRun.Outcome.End);
        Assert.Equal(RunEnd.Completed, batchRun.Outcome.End);
        Assert.Equal(onlineCalls, server.Requests.Count(r => r.Path.StartsWith("/v1/chat/completions", StringComparison.Ordinal)));
        foreach (var queries in new[] { StoreDump.ProbeTables, StoreDump.RolloutTables })
            Assert.Equal(StoreDump.Of(Path.Combine(onlineDir, "run", Dfid.Store.RunStore.FileName), queries),
                StoreDump.Of(Path.Combine(batchDir, "run", Dfid.Store.RunStore.FileName), queries));
        Assert.Equal(12, batchRun.Outcome.Progress.RolloutsTotal);
        Assert.Equal(12, batchRun.Outcome.Progress.RolloutsDone);
        var phases = new RunPipeline().BatchStatus(Path.Combine(batchDir, "run")).Batches.Select(b => b.Phase).ToList();
        Assert.Equal(["simulate", "label"], phases.Where(p => p != BatchExecutor.RolloutPhase).Distinct());
        Assert.True(phases.Count(p => p == BatchExecutor.RolloutPhase) >= 4, string.Join(", ", phases));
    }
}

public sealed partial class WalkAwayRunTests
{
    [Fact]
    public async Task ThreeShardsMerged_ExitProbesAndRollouts_EqualTheUnshardedRun()
    {
        // Given: exit probes and replay rollouts with two samples, the LLM judge on the loopback server
        await using var server = LoopbackOpenAiServer.Start(r => Scripted(r, int.MaxValue));
        var dir = TestData.TempDir();
        var path = WriteExperiment(dir, server.BaseUrl, ReplayExitsAndRollouts);
        var pipeline = new RunPipeline();
        string Dir(string name) => Path.Combine(dir, name);

        // When: the whole run, and three shards merged
        Assert.Equal(RunEnd.Completed, (await pipeline.RunAsync(ExperimentParser.Load(path), new RunSettings(Dir("whole")))).Outcome.End);
        for (var k = 1; k <= 3; k++)
            Assert.Equal(RunEnd.Completed, (await pipeline.RunAsync(ExperimentParser.Load(path),
                new RunSettings(Dir($"shard{k}")) { Shard = RunShard.Parse($"{k}/3") })).Outcome.End);
        pipeline.MergeShards([Dir("shard1"), Dir("shard2"), Dir("shard3")], Dir("merged"));

        // Then: the same probe, exit and rollout rows, and the same analysis (walk-away included)
        string Store(string name, IReadOnlyList<string> queries) => StoreDump.Of(Path.Combine(Dir(name), Dfid.Store.RunStore.FileName), queries);
        Assert.Equal(Store("whole", StoreDump.ProbeTables), Store("merged", StoreDump.ProbeTables));
        Assert.Equal(Store("whole", StoreDump.RolloutTables), Store("merged", StoreDump.RolloutTables));
        Assert.Contains("exit", Store("merged", ["SELECT status FROM sim_turns"]), StringComparison.OrdinalIgnoreCase);
        static string Numbers(Dfid.Analysis.AnalysisResults r) =>
            Dfid.Analysis.AnalysisResultsJson.Serialize(r with { Manifest = null, ProbeTableStamp = null });
        var whole = pipeline.Analyze(Dir("whole"));
        Assert.NotNull(whole.Conditions.Single(c => c.Name == "replay-rollout").WalkAway);
        Assert.Equal(Numbers(whole), Numbers(pipeline.Analyze(Dir("merged"))));
    }
}
