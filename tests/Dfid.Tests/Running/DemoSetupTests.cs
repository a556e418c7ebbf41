using System.Security.Cryptography;
using System.Text;
using Dfid.Running;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Running;

public class DemoSetupTests
{
    private static readonly byte[] Dialog = Encoding.UTF8.GetBytes("a,b\n1,2\n");
    private static readonly byte[] Info = Encoding.UTF8.GetBytes("c\n3\n");

    private static (string, string, string)[] Files(Uri root, byte[] dialog, byte[] info) =>
    [
        ("full_dialog.csv", new Uri(root, "/files/full_dialog.csv").ToString(), Convert.ToHexStringLower(SHA256.HashData(dialog))),
        ("full_info.csv", new Uri(root, "/files/full_info.csv").ToString(), Convert.ToHexStringLower(SHA256.HashData(info))),
    ];

    [Fact]
    public async Task Download_MatchingHashes_KeepsFiles()
    {
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.File(r.Path.EndsWith("dialog.csv", StringComparison.Ordinal) ? Dialog : Info));
        var dir = TestData.TempDir();
        using var http = new HttpClient();
        await DemoSetup.DownloadAsync(http, dir, files: Files(server.Root, Dialog, Info));
        Assert.Equal(Dialog, File.ReadAllBytes(Path.Combine(dir, "full_dialog.csv")));
        Assert.Equal(Info, File.ReadAllBytes(Path.Combine(dir, "full_info.csv")));
        // A second call finds both files valid and downloads nothing.
        var before = server.RequestCount;
        await DemoSetup.DownloadAsync(http, dir, files: Files(server.Root, Dialog, Info));
        Assert.Equal(before, server.RequestCount);
    }

    [Fact]
    public async Task Download_HashMismatch_IsRejectedAndNothingKept()
    {
        var tampered = Encoding.UTF8.GetBytes("a,b\n1,666\n");
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.File(r.Path.EndsWith("dialog.csv", StringComparison.Ordinal) ? tampered : Info));
        var dir = TestData.TempDir();
        using var http = new HttpClient();
        var ex = await Assert.ThrowsAsync<DfidException>(() => DemoSetup.DownloadAsync(http, dir, files: Files(server.Root, Dialog, Info)));
        Assert.Contains("differs from the pinned", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "full_dialog.csv")));
    }

    [Fact]
    public void PinnedHashes_MatchTheSharedRelease()
    {
        foreach (var (name, url, sha) in DemoSetup.PinnedFiles)
        {
            Assert.Contains(DemoSetup.SourceCommit, url, StringComparison.Ordinal);
            Assert.Equal(sha, RunPipeline.FileSha256(Path.Combine(TestData.PersuasionForGood, name)));
        }
    }

    [Fact]
    public void ExperimentText_IsAValidExperimentWithTheDefaultSample()
    {
        var dir = TestData.TempDir();
        File.WriteAllText(Path.Combine(dir, "persuasionforgood.jsonl"), "");
        var offline = ExperimentParser.Parse(DemoSetup.ExperimentText(null), Path.Combine(dir, "experiment.yaml"));
        Assert.Equal(new SampleSpec(187, 7), offline.Sample);
        // Depth conditions, exit probes and (issue 14) a retrieval rollout against the retrieval agent; (issue 15) the gated
        // retrieval beside them, probed and rolled out.
        Assert.Equal(["replay", "retrieval", "retrieval-rollout", "gated-retrieval", "gated-retrieval-rollout"], offline.Conditions.Select(c => c.Name));
        Assert.Equal("gated", offline.Simulators["gated-retrieval"].Kind);
        Assert.Equal("retrieval", offline.Simulators["gated-retrieval"].Options["base"]);
        Assert.True(offline.Probes.Exits);
        Assert.Equal(ConditionMode.Rollout, offline.Conditions[2].Mode);
        var llm = ExperimentParser.Parse(DemoSetup.ExperimentText("openai:gpt-4o-mini"), Path.Combine(dir, "experiment.yaml"));
        Assert.Equal(["replay", "retrieval", "persona", "instructed", "retrieval-rollout", "persona-rollout", "instructed-rollout"], llm.Conditions.Select(c => c.Name));
        Assert.Equal("openai:gpt-4o-mini", llm.Instruments["judge"].Model!.Spec);
        Assert.Equal("openai:gpt-4o-mini", llm.Agents["persuader"].Model!.Spec);
        Assert.Equal(Path.Combine("runs", "demo-openai-gpt-4o-mini"), DemoSetup.DefaultRunFolder("openai:gpt-4o-mini"));
    }

    [Fact]
    public void SalesTalk_NeedsAModel_AndRunsLlmConditionsOnly()
    {
        var ex = Assert.Throws<DfidException>(() => DemoSetup.ExperimentText(null, dataset: DemoSetup.SalesTalk));
        Assert.Contains("learned instrument is trained on English", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.ExitCode);
        var dir = TestData.TempDir();
        File.WriteAllText(Path.Combine(dir, "salestalk-ja.jsonl"), "");
        var e = ExperimentParser.Parse(DemoSetup.ExperimentText("openai:m", dataset: DemoSetup.SalesTalk), Path.Combine(dir, "experiment.yaml"));
        Assert.All(e.Conditions, c => Assert.Equal("judge", c.Instrument));
        Assert.Equal("llm", e.Instruments["judge"].Kind);
        Assert.Null(e.Sample);
        Assert.Equal(Path.Combine("runs", "demo-salestalk-ja-openai-m"), DemoSetup.DefaultRunFolder("openai:m", DemoSetup.SalesTalk));
    }
}
