using System.Text.Json.Nodes;
using Dfid.Annotation;
using Dfid.Cli;
using Dfid.Instrument;
using Dfid.Tests.Running;
using Spectre.Console.Testing;

namespace Dfid.Tests.Annotation;

/// <summary><c>dfid labels export|validate|agreement</c> and <c>dfid annotate</c>'s option checks through the CLI.</summary>
public sealed class LabelsCommandTests
{
    [Fact]
    public async Task ExportThenAgreement_TwoAnnotatorsOnTheSameSession()
    {
        using var session = AnnotationFixture.NewSession(sample: 5);
        var store = session.Store;
        Stage[] ana = [Stage.Resisting, Stage.Exploring, Stage.Engaging, Stage.Considering, Stage.Deciding];
        Stage[] ben = [Stage.Resisting, Stage.Engaging, Stage.Engaging, Stage.Deciding, Stage.Deciding];
        for (var i = 0; i < 5; i++)
        {
            Assert.True(store.TryLabel("ana", i + 1, ana[i], null, out _));
            Assert.True(store.TryLabel("ben", i + 1, ben[i], null, out _));
        }
        Assert.True(store.TryLabel("cleo", 1, Stage.Exploring, null, out _));
        Assert.True(store.TrySkip("cleo", 2, out _));
        var path = Path.Combine(TestData.TempDir(), "labels.jsonl");

        var export = new TestConsole();
        Assert.Equal(0, await DfidApp.RunAsync(["labels", "export", "--store", store.FilePath, "--out", path], export));
        Assert.Contains("wrote 11 labels by 3 annotator(s)", export.Output, StringComparison.Ordinal);
        Assert.Contains("1 skipped turns have no label", export.Output, StringComparison.Ordinal);

        var json = new TestConsole();
        Assert.Equal(0, await DfidApp.RunAsync(["labels", "agreement", path, "--json"], json));
        var pairs = JsonNode.Parse(json.Output)!.AsArray();
        Assert.Equal(3, pairs.Count);
        var ab = pairs.Single(p => p!["first"]!.GetValue<string>() == "ana" && p["second"]!.GetValue<string>() == "ben")!;
        Assert.Equal(5, ab["n"]!.GetValue<int>());
        Assert.Equal(10.0 / 11, ab["kappa_quadratic"]!.GetValue<double>(), 12); // hand-computed in LabelAgreementTests
        Assert.Equal(59.0 / 65, ab["krippendorff_alpha_ordinal"]!.GetValue<double>(), 12);
        var ac = pairs.Single(p => p!["second"]!.GetValue<string>() == "cleo" && p["first"]!.GetValue<string>() == "ana")!;
        Assert.Equal(1, ac["n"]!.GetValue<int>());
        Assert.Equal(0.0, ac["kappa_quadratic"]!.GetValue<double>(), 12); // one disagreeing turn
        Assert.Null(ac["action_agreement"]); // no actions labelled: undefined, written as null

        var table = new TestConsole();
        table.Profile.Width = 200;
        Assert.Equal(0, await DfidApp.RunAsync(["labels", "agreement", path], table));
        Assert.Contains("ana · ben", table.Output, StringComparison.Ordinal);
        Assert.Contains("0.909", table.Output, StringComparison.Ordinal);
        Assert.Contains("0.908", table.Output, StringComparison.Ordinal);

        var only = Path.Combine(TestData.TempDir(), "ana.jsonl");
        var one = new TestConsole();
        Assert.Equal(0, await DfidApp.RunAsync(["labels", "export", "--store", store.FilePath, "--out", only, "--annotator", "ana"], one));
        Assert.Equal(5, LabelsFile.Read(only).Count);
        Assert.Equal(1, await DfidApp.RunAsync(["labels", "agreement", only], new TestConsole()));
        Assert.Equal(2, await DfidApp.RunAsync(["labels", "export", "--store", store.FilePath, "--out", only, "--annotator", "zed"], new TestConsole()));
    }

    [Fact]
    public async Task Validate_PrintsEveryProblemAsFileLine_AndExits1()
    {
        var path = Path.Combine(TestData.TempDir(), "labels.jsonl");
        File.WriteAllLines(path,
        [
            """{"format":"dfid.labels/1","conversation":"shop-01","turn":3,"annotator":"ana","stage":"exploring","action":null,"time":"2026-03-01T12:00:00Z"}""",
            """{"format":"dfid.labels/1","conversation":"shop-01","turn":2,"annotator":"ana","stage":"exploring","action":null,"time":"2026-03-01T12:00:00Z"}""",
            """{"format":"dfid.labels/1","conversation":"shop-01","turn":5,"annotator":"ana","stage":"later","action":null,"time":"2026-03-01T12:00:00Z"}""",
        ]);
        var console = new TestConsole();
        Assert.Equal(1, await DfidApp.RunAsync(["labels", "validate", path, "--corpus", AnnotationFixture.CorpusPath], console));
        var lines = console.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToList();
        Assert.StartsWith($"{path}:2: turn 2 of conversation 'shop-01' is not a user turn", lines[0], StringComparison.Ordinal);
        Assert.StartsWith($"{path}:3: stage 'later' is not one of", lines[1], StringComparison.Ordinal);
        Assert.Equal($"checked {path} against {AnnotationFixture.CorpusPath}: 1 valid labels, 2 problems", lines[2]);

        var alone = new TestConsole();
        Assert.Equal(1, await DfidApp.RunAsync(["labels", "validate", path], alone));
        Assert.Contains("2 valid labels, 1 problems", alone.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Annotate_BadOptions_AreUsageErrors()
    {
        Assert.Equal(2, await DfidApp.RunAsync(["annotate"], new TestConsole()));
        Assert.Equal(2, await DfidApp.RunAsync(["annotate", AnnotationFixture.CorpusPath, "--sample", "5", "--probes", "runs/x"], new TestConsole()));
        Assert.Equal(2, await DfidApp.RunAsync(["annotate", AnnotationFixture.CorpusPath, "--sample", "0"], new TestConsole()));
        Assert.Equal(2, await DfidApp.RunAsync(["annotate", AnnotationFixture.CorpusPath, "--port", "70000"], new TestConsole()));
        var store = Path.Combine(TestData.TempDir(), "labels.sqlite");
        var console = new TestConsole();
        Assert.Equal(2, await DfidApp.RunAsync(["annotate", AnnotationFixture.CorpusPath, "--store", store], console));
        Assert.Contains("--sample N", console.Output, StringComparison.Ordinal);
        Assert.Equal(2, await DfidApp.RunAsync(["annotate", AnnotationFixture.CorpusPath, "--sample", "3", "--store", store, "--domain", "charity"], new TestConsole()));
    }

    [Fact]
    public async Task Annotate_WithAnExperiment_ShowsItsCustomDomainWords()
    {
        // Given: an experiment whose domain block names a subscription-retention setting
        var dir = TestData.TempDir();
        var experiment = Path.Combine(dir, "experiment.yaml");
        File.WriteAllText(experiment, $$"""
            corpus: {{AnnotationFixture.CorpusPath}}
            domain:
              agent: a member care agent
              agent_role: member care agent
              user_role: subscriber
              commitment: renewal
              commit_verb: keep the subscription
              offer: the subscription
              decision: keeping the subscription
            simulators:
              replay: { kind: replay }
            instruments:
              learned: { kind: learned }
            conditions:
              - { simulator: replay, instrument: learned }
            """);

        // When: the real CLI serves the labelling page for it
        using var dfid = DfidProcess.Start(["annotate", AnnotationFixture.CorpusPath, "--sample", "3", "--store", Path.Combine(dir, "labels.sqlite"), "--experiment", experiment]);
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            string? url = null;
            while (url is null && System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(60) && !dfid.Process.HasExited)
            {
                url = dfid.Stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
                if (url is null) await Task.Delay(100);
            }
            Assert.True(url is not null, "no URL printed; stderr: " + dfid.Stderr);
            var uri = new Uri(url);
            using var http = new HttpClient();
            var setup = await http.GetStringAsync(new Uri(uri, "/api/setup" + uri.Query));

            // Then: the stage definitions speak of keeping the subscription, not of buying or donating
            Assert.Contains("keep the subscription", setup, StringComparison.Ordinal);
            Assert.Contains("renewal", setup, StringComparison.Ordinal);
            Assert.DoesNotContain("purchase", setup, StringComparison.Ordinal);
            Assert.DoesNotContain("donation", setup, StringComparison.Ordinal);
        }
        finally
        {
            if (!dfid.Process.HasExited) dfid.Process.Kill(entireProcessTree: true);
        }

        // And: --domain and --experiment together are a usage error
        Assert.Equal(2, await DfidApp.RunAsync(["annotate", AnnotationFixture.CorpusPath, "--sample", "3", "--domain", "sales", "--experiment", experiment], new TestConsole()));
    }
}
