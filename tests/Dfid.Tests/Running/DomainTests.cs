using Dfid.Running;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Running;

/// <summary>The experiment names its domain once and every prompt uses it: simulators, the judge and the action labeller.</summary>
public sealed class DomainTests
{
    private const string Recruiting = """
        domain:
          agent: "a recruiter"
          agent_label: Recruiter
          user_role: candidate
          commitment: job offer
          commit_verb: accept the offer
          offer: the job
          decision: accepting the job offer
          setting: "A recruiter is trying to fill a position."
        """;

    [Fact]
    public async Task Run_CustomDomain_EveryPromptUsesItsWordsAndNoneOfAnotherDomain()
    {
        // Given: the LLM experiment with a custom recruiting domain instead of PersuasionForGood's
        await using var server = LoopbackOpenAiServer.Start(LlmExperimentTests.Reply);
        var dir = TestData.TempDir();
        var path = LlmExperimentTests.WriteExperiment(dir, server.BaseUrl, "cache: { enabled: false }");
        File.WriteAllText(path, File.ReadAllText(path).Replace("domain: persuasionforgood", Recruiting, StringComparison.Ordinal));
        var experiment = ExperimentParser.Load(path);

        // When
        var result = await new RunPipeline().RunAsync(experiment, new RunSettings(Path.Combine(dir, "run")));

        // Then
        Assert.Equal(RunEnd.Completed, result.Outcome.End);
        var judge = server.Requests.Where(LlmExperimentTests.IsJudge).ToList();
        var actions = server.Requests.Where(LlmExperimentTests.IsActionLabeller).ToList();
        var simulators = server.Requests.Except(judge).Except(actions).ToList();
        Assert.NotEmpty(judge);
        Assert.NotEmpty(actions);
        Assert.NotEmpty(simulators);
        // The prompts' own words: every request with the quoted conversation turns cut out (the fixture talks about donating).
        var turns = Dfid.Corpus.CorpusFile.ReadAll(experiment.CorpusPath).SelectMany(c => c.Turns).Select(t => t.Text).OrderByDescending(t => t.Length).ToList();
        foreach (var r in server.Requests)
        {
            var text = string.Join("\n", r.Messages.Select(m => m.Text));
            foreach (var t in turns) text = text.Replace(t, "", StringComparison.Ordinal);
            foreach (var other in new[] { "salesperson", "persuader", "persuadee", "customer", "donation", "purchase" })
                Assert.DoesNotContain(other, text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.All(judge, r => Assert.Contains("between a recruiter and a candidate, who may or may not end up making a job offer", System(r), StringComparison.Ordinal));
        Assert.All(judge, r => Assert.Contains("said by the candidate", r.LastUserText, StringComparison.Ordinal));
        Assert.All(actions, r => Assert.Contains("what a recruiter does in a conversation with a candidate", System(r), StringComparison.Ordinal));
        Assert.All(simulators, r => Assert.Contains("You are a real person in a chat with a recruiter. A recruiter is trying to fill a position.", System(r), StringComparison.Ordinal));
        Assert.Equal("custom", result.Manifest.Options["domain"]);
        // The manifest records the words themselves, as written in the experiment.
        Assert.Equal("a recruiter", result.Manifest.Options["domain.agent"]);
        Assert.Equal("candidate", result.Manifest.Options["domain.user_role"]);
        Assert.Equal("accepting the job offer", result.Manifest.Options["domain.decision"]);
        Assert.Equal("A recruiter is trying to fill a position.", result.Manifest.Options["domain.setting"]);
    }

    private static string System(RecordedRequest r) => r.Messages.Single(m => m.Role == "system").Text;
}
