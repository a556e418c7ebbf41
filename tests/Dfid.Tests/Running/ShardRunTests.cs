using Dfid.Analysis;
using Dfid.Running;
using Dfid.Store;
using Dfid.Tests.Fakes;
using Spectre.Console.Testing;

namespace Dfid.Tests.Running;

/// <summary>Sharded runs through the CLI: <c>dfid run --shard K/N</c>, <c>dfid merge</c>, compared with the unsharded run.</summary>
public class ShardRunTests
{
    // The shard of each fixture conversation id for N = 3 and N = 7, computed with Python's hashlib
    // (int.from_bytes(sha256(id.encode()).digest()[:8], "big") % N + 1), independently of the code under test.
    public static TheoryData<string, int, int> Expected => new()
    {
        { "p00", 3, 7 }, { "p01", 2, 6 }, { "p02", 1, 3 }, { "p03", 1, 1 }, { "p04", 3, 4 }, { "p05", 1, 6 },
        { "p06", 3, 5 }, { "p07", 1, 1 }, { "p08", 2, 6 }, { "p09", 2, 5 }, { "p10", 2, 6 }, { "p11", 3, 6 },
        { "conv-1", 2, 2 }, { "日本語", 2, 6 },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void ShardOf_IsSha256PrefixModN(string id, int of3, int of7)
    {
        Assert.Equal(of3, RunShard.Of(id, 3));
        Assert.Equal(of7, RunShard.Of(id, 7));
        Assert.True(RunShard.Parse($"{of3}/3").Contains(id));
        Assert.Equal(1, RunShard.Of(id, 1));
    }

    [Theory]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("a/b")]
    [InlineData("2")]
    [InlineData("-1/3")]
    public void Parse_Invalid_NamesTheForm(string text)
    {
        var ex = Assert.Throws<DfidException>(() => RunShard.Parse(text));
        Assert.Equal(2, ex.ExitCode);
        Assert.Contains("K/N", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output)> Cli(params string[] args)
    {
        var console = new TestConsole();
        console.Profile.Width = 4096; // messages on one line
        var code = await Dfid.Cli.DfidApp.RunAsync(args, console);
        return (code, console.Output);
    }

    private static async Task<string[]> SortedExport(string runDir)
    {
        var csv = Path.Combine(runDir, "probes.csv");
        Assert.Equal(0, (await Cli("export", runDir, "--probes", csv)).Code);
        var lines = await File.ReadAllLinesAsync(csv);
        return [lines[0], .. lines.Skip(1).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task ThreeShardsMerged_EqualTheUnshardedRun_AndMismatchesAreRefused()
    {
        await using var server = LoopbackOpenAiServer.Start(LlmExperimentTests.Reply);
        var dir = TestData.TempDir();
        var experiment = LlmExperimentTests.WriteExperiment(dir, server.BaseUrl, "cache: { enabled: false }", perStratum: 6);
        string Dir(string name) => Path.Combine(dir, name);

        Assert.Equal(0, (await Cli("run", experiment, "--out", Dir("whole"), "--quiet")).Code);
        for (var k = 1; k <= 3; k++)
            Assert.Equal(0, (await Cli("run", experiment, "--shard", $"{k}/3", "--out", Dir($"shard{k}"), "--quiet")).Code);

        // Each shard holds exactly its conversations (the whole sample is the 12 fixture conversations).
        for (var k = 1; k <= 3; k++)
        {
            using var store = RunStore.Open(Dir($"shard{k}"));
            var expected = Expected.Select(row => ((string)row[0], (int)row[1])).Where(e => e.Item1.StartsWith('p') && e.Item2 == k).Select(e => e.Item1).Order();
            Assert.Equal(expected, store.ReadConversations().Keys.Order());
            Assert.Equal($"{k}/3", store.ReadManifest()!.Shard);
        }

        Assert.Equal(0, (await Cli("merge", Dir("shard1"), Dir("shard2"), Dir("shard3"), "--out", Dir("merged"))).Code);
        var whole = await SortedExport(Dir("whole"));
        Assert.Equal(whole, await SortedExport(Dir("merged")));
        Assert.True(whole.Length > 100);

        // It analyses as the unsharded run (same table, same order, same seed: same numbers).
        var pipeline = new RunPipeline();
        static string Numbers(AnalysisResults r) => AnalysisResultsJson.Serialize(r with { Manifest = null, ProbeTableStamp = null });
        Assert.Equal(Numbers(pipeline.Analyze(Dir("whole"))), Numbers(pipeline.Analyze(Dir("merged"))));
        using (var merged = RunStore.Open(Dir("merged")))
        using (var unsharded = RunStore.Open(Dir("whole")))
        {
            var m = merged.ReadManifest()!;
            Assert.Equal(unsharded.ReadManifest()!.ProbeCount, m.ProbeCount);
            Assert.Equal(unsharded.ReadManifest()!.Conversations, m.Conversations);
            Assert.Equal(3, m.MergedFrom!.Count);
            Assert.Null(m.Shard);
            Assert.Equal(3, m.Sessions.Count);
        }

        // A shard needs its own folder; a shard folder resumes only as itself.
        (int code, string output) = await Cli("run", experiment, "--shard", "1/3", "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("--shard 1/3 needs its own run folder", output, StringComparison.Ordinal);
        (code, output) = await Cli("run", experiment, "--shard", "2/3", "--out", Dir("shard1"), "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("holds shard 1/3, not shard 2/3", output, StringComparison.Ordinal);
        (code, output) = await Cli("run", experiment, "--shard", "1/3", "--out", Dir("whole"), "--quiet");
        Assert.Equal(2, code);
        Assert.Contains("holds the whole run", output, StringComparison.Ordinal);

        // Shards of another experiment (the judge at another temperature) are refused, naming what differs.
        var other = LlmExperimentTests.WriteExperiment(TestData.TempDir(), server.BaseUrl, "cache: { enabled: false }", perStratum: 6)
            .Replace("experiment.yaml", "experiment.yaml", StringComparison.Ordinal);
        File.WriteAllText(other, File.ReadAllText(other).Replace("judge: { kind: llm, model: \"openai:sim-model@" + server.BaseUrl + "\", temperature: 0 }",
            "judge: { kind: llm, model: \"openai:sim-model@" + server.BaseUrl + "\", temperature: 0.5 }", StringComparison.Ordinal));
        Assert.Equal(0, (await Cli("run", other, "--shard", "1/3", "--out", Dir("other1"), "--quiet")).Code);
        (code, output) = await Cli("merge", Dir("other1"), Dir("shard2"), Dir("shard3"), "--out", Dir("mixed"));
        Assert.Equal(2, code);
        Assert.Contains("ran a different experiment", output, StringComparison.Ordinal);
        Assert.Contains("instruments", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Dir("mixed"), RunStore.FileName)));

        // A shard given twice, an unsharded folder, an existing output: refused.
        (code, output) = await Cli("merge", Dir("shard1"), Dir("shard1"), Dir("shard2"), Dir("shard3"), "--out", Dir("twice"));
        Assert.Equal(2, code);
        Assert.Contains("given twice", output, StringComparison.Ordinal);
        (code, output) = await Cli("merge", Dir("whole"), Dir("shard2"), "--out", Dir("unsharded"));
        Assert.Equal(2, code);
        Assert.Contains("is not a shard folder", output, StringComparison.Ordinal);
        (code, output) = await Cli("merge", Dir("shard1"), Dir("shard2"), Dir("shard3"), "--out", Dir("merged"));
        Assert.Equal(2, code);
        Assert.Contains("holds a run already", output, StringComparison.Ordinal);

        // A missing shard: refused, unless --partial; the partial merge then completes as an unsharded run.
        (code, output) = await Cli("merge", Dir("shard1"), Dir("shard3"), "--out", Dir("partial"));
        Assert.Equal(2, code);
        Assert.Contains("2/3 of 3 not given", output, StringComparison.Ordinal);
        Assert.Equal(0, (await Cli("merge", Dir("shard1"), Dir("shard3"), "--out", Dir("partial"), "--partial")).Code);
        var requests = server.RequestCount;
        Assert.Equal(0, (await Cli("run", experiment, "--out", Dir("partial"), "--quiet")).Code);
        using (var shard2 = RunStore.Open(Dir("shard2")))
            Assert.Equal(ProbeRunnerTests.Count(shard2, "sim_turns") + ProbeRunnerTests.Count(shard2, "labels") + ProbeRunnerTests.Count(shard2, "actions")
                - ProbeRunnerTests.CountWhere(shard2, "sim_turns", "model IS NULL"), server.RequestCount - requests);
        Assert.Equal(whole, await SortedExport(Dir("partial")));
    }
}
