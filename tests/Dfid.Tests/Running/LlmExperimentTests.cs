using System.Text.RegularExpressions;
using Dfid.Analysis;
using Dfid.Corpus;
using Dfid.Running;
using Dfid.Simulation;
using Dfid.Store;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Running;

public partial class LlmExperimentTests
{
    internal static string WriteExperiment(string dir, Uri baseUrl, string extra = "", int perStratum = 3)
    {
        CorpusFile.Write(Path.Combine(dir, "corpus.jsonl"), RunFixtures.AnnotatedCorpus());
        var model = $"openai:sim-model@{baseUrl}";
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
              judge: { kind: llm, model: "{{model}}", temperature: 0 }
            actions: { kind: llm, model: "{{model}}", temperature: 0 }
            conditions:
              - { simulator: persona, instrument: judge }
              - { simulator: instructed, instrument: judge }
              - { simulator: replay, instrument: judge }
            {{extra}}
            """;
        var path = Path.Combine(dir, "experiment.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A deterministic user reply that depends on the prompt, with a role label and quotes the cleaner must strip.</summary>
    internal static ScriptedReply Reply(RecordedRequest r)
    {
        var user = r.LastUserText;
        if (IsActionLabeller(r)) return ScriptedReply.Text("""{"action":"pitch"}""", 200, 5);
        if (IsJudge(r))
        {
            var labelled = LabelledTurn(user);
            var json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["stage"] = StageOf(labelled),
                ["emotion"] = "neutral",
                ["blocker"] = "none",
                ["convergence_delta"] = 0,
                ["key_signal"] = labelled[..Math.Min(12, labelled.Length)],
            });
            return ScriptedReply.Text(json, 300, 30);
        }
        var marks = TurnMark().Matches(user);
        var last = marks.Count > 0 ? marks[^1].Value : "none";
        var instructed = r.Messages.Any(m => m.Role == "system" && m.Text.Contains("not necessarily willing", StringComparison.Ordinal));
        return ScriptedReply.Text($"You: \"{(instructed ? "busy, no" : "sounds good, how do I donate")} after {last}\"", 40, 8);
    }

    internal static bool IsActionLabeller(RecordedRequest r) =>
        r.Messages.Any(m => m.Role == "system" && m.Text.Contains("You annotate what a", StringComparison.Ordinal));

    internal static bool IsJudge(RecordedRequest r) =>
        r.Messages.Any(m => m.Role == "system" && m.Text.Contains("annotate decision states", StringComparison.Ordinal));

    /// <summary>The judge's rule, restated here independently of the code under test.</summary>
    internal static string StageOf(string text) =>
        text.Contains("busy", StringComparison.Ordinal) ? "resisting"
        : text.Contains("donate", StringComparison.Ordinal) ? "considering"
        : "engaging";

    private static int Depth(string stage) => stage switch { "resisting" => 0, "engaging" => 2, "considering" => 3, _ => throw new ArgumentException(stage) };

    private static string LabelledTurn(string user)
    {
        var start = user.IndexOf("<labelled_turn>", StringComparison.Ordinal) + "<labelled_turn>".Length;
        var end = user.IndexOf("</labelled_turn>", start, StringComparison.Ordinal);
        return System.Text.Json.JsonSerializer.Deserialize<string>(user[start..end])!;
    }

    [GeneratedRegex(@"\(p\d\d, turn \d+\)")]
    private static partial Regex TurnMark();

    [Fact]
    public async Task Run_AgainstLoopback_PromptsHoldProfileAndOnlyThePastAndInstructedAddsOnlyTheLicense()
    {
        await using var server = LoopbackOpenAiServer.Start(Reply);
        var dir = TestData.TempDir();
        var experiment = ExperimentParser.Load(WriteExperiment(dir, server.BaseUrl, "cache: { enabled: false }"));
        var settings = new RunSettings(Path.Combine(dir, "run"), CachePath: Path.Combine(dir, "cache"));
        var result = await new RunPipeline().RunAsync(experiment, settings);

        Assert.Equal(RunEnd.Completed, result.Outcome.End);
        using var store = RunStore.Open(settings.OutDir);
        var conversations = store.ReadConversations();
        var probes = store.ReadProbes();
        Assert.Equal(6, conversations.Count);
        // Two simulators; the judge labels each real turn once (shared by the three conditions) plus each simulated
        // turn of the two LLM simulators and of replay; one action label per distinct agent turn before a probe.
        Assert.Equal(2 * probes.Count, server.Requests.Count(r => !IsJudge(r) && !IsActionLabeller(r)));
        Assert.Equal(4 * probes.Count, server.Requests.Count(IsJudge));
        Assert.Equal(probes.Count, server.Requests.Count(IsActionLabeller));

        var license = PromptText.Fill(SimulatorPrompt.License(), new Dictionary<string, string> { ["decision"] = Domain.PersuasionForGood.Decision });
        var byProbe = new Dictionary<(string, int), (string? Persona, string? Instructed, string User)>();
        foreach (var r in server.Requests.Where(r => !IsJudge(r) && !IsActionLabeller(r)))
        {
            var system = r.Messages.Single(m => m.Role == "system").Text;
            var user = r.Messages.Single(m => m.Role == "user").Text;
            var marks = TurnMark().Matches(user).Select(m => m.Value).ToList();
            var id = marks[0][1..4];
            var conv = conversations[id];
            var lastShown = marks.Select(m => int.Parse(m.Split(' ')[2].TrimEnd(')'), System.Globalization.CultureInfo.InvariantCulture)).Max();
            var probeTurn = lastShown + 1;
            Assert.Contains(probes, p => p.ConversationId == id && p.TurnIndex == probeTurn);
            // The real history up to the probe is there, in order; nothing at or after the probe is.
            for (var t = 0; t < conv.Turns.Length; t++)
            {
                if (t < probeTurn) Assert.Contains(conv.Turns[t].Text, user, StringComparison.Ordinal);
                else
                {
                    Assert.DoesNotContain(conv.Turns[t].Text, user, StringComparison.Ordinal);
                    Assert.DoesNotContain(conv.Turns[t].Text, system, StringComparison.Ordinal);
                }
            }
            Assert.Contains($"Age: {conv.Profile["age"].GetInt32()}", system, StringComparison.Ordinal);
            Assert.Contains($"Sex: {conv.Profile["sex"].GetString()}", system, StringComparison.Ordinal);
            Assert.Contains($"Political views: {conv.Profile["ideology"].GetString()}", system, StringComparison.Ordinal);
            Assert.DoesNotContain("converted", system + user, StringComparison.OrdinalIgnoreCase);
            var isInstructed = system.Contains(license, StringComparison.Ordinal);
            var entry = byProbe.GetValueOrDefault((id, probeTurn), (null, null, user));
            Assert.Equal(entry.User, user);
            byProbe[(id, probeTurn)] = isInstructed ? entry with { Instructed = system } : entry with { Persona = system };
        }
        Assert.Equal(probes.Count, byProbe.Count);
        foreach (var (_, (persona, instructed, _)) in byProbe)
        {
            Assert.NotNull(persona);
            Assert.Equal(persona + "\n\n" + license, instructed);
        }

        var rows = new RunPipeline().ReadProbeRows(settings.OutDir, includeTexts: true);
        Assert.Equal(3 * probes.Count, rows.Count);
        Assert.All(rows, r => Assert.Equal(ProbeStatus.Ok, r.Status));
        Assert.All(rows.Where(r => r.Condition == "replay"), r => Assert.Equal(r.Real!.Stage, r.Sim!.Stage));
        Assert.All(rows.Where(r => r.Condition == "persona"), r => Assert.StartsWith("sounds good, how do I donate after (", r.Texts!.SimReply, StringComparison.Ordinal));
        Assert.All(rows.Where(r => r.Condition == "instructed"), r => Assert.StartsWith("busy, no after (", r.Texts!.SimReply, StringComparison.Ordinal));
        foreach (var r in rows.Where(r => r.Condition != "replay"))
        {
            Assert.Equal(StageOf(r.Texts!.RealReply), r.Real!.Stage.ToString().ToLowerInvariant());
            Assert.Equal(Depth(StageOf(r.Texts.SimReply!)) - Depth(StageOf(r.Texts.RealReply)), (int)r.Sim!.Stage - (int)r.Real.Stage);
        }
        Assert.Contains(rows, r => r.Condition == "persona" && r.Sim!.Stage != r.Real!.Stage);
        Assert.Contains(rows, r => r.HumanStage is not null);
        Assert.All(rows, r => Assert.Equal(AgentAction.Pitch, r.Action));

        var manifest = store.ReadManifest()!;
        var personaManifest = manifest.Components.Single(c => c.Name == "persona");
        Assert.Equal(PromptText.Sha256(personaManifest.Prompts["persona"]), personaManifest.PromptSha256["persona"]);
        Assert.Contains("{profile}", personaManifest.Prompts["persona"], StringComparison.Ordinal);
        // Model answers: the persona and instructed turns, the judge's labels and the action labels.
        Assert.Equal(7 * probes.Count, manifest.Usage!.ModelCalls);
        Assert.Equal(2L * probes.Count * (40 + 8) + 4L * probes.Count * (300 + 30) + probes.Count * (200 + 5),
            manifest.Usage.PromptTokens + manifest.Usage.CompletionTokens);
        Assert.Contains("annotate decision states", manifest.Components.Single(c => c.Name == "judge").Prompts["perceiver"], StringComparison.Ordinal);
    }
}
