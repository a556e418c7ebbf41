using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dfid.Corpus;
using Dfid.Running;
using Dfid.Store;
using Dfid.Tests.Fakes;

namespace Dfid.Tests.Running;

/// <summary>The walk-away measurement on the run side: exit probes, the exit channel, rollouts with agents, resuming.</summary>
public sealed partial class WalkAwayRunTests
{
    /// <summary>
    /// Twelve sales chats written for these tests: converted ones end on a user turn (cut at the decision); of the others,
    /// two in three end on an agent turn the user never answered (a real exit point) and the rest on a user turn.
    /// </summary>
    internal static IReadOnlyList<Conversation> Corpus()
    {
        var list = new List<Conversation>();
        for (var c = 0; c < 12; c++)
        {
            var id = $"w{c:D2}";
            var converted = c % 2 == 0;
            var userTurns = 4 + c % 4;
            var turns = ImmutableArray.CreateBuilder<Turn>();
            for (var u = 0; u < userTurns; u++)
            {
                turns.Add(new Turn(Role.Agent, $"agent line {u} of {id} (turn {2 * u})"));
                turns.Add(new Turn(Role.User, (u % 3 == 2 ? "busy " : "tell me more ") + $"user line {u} of {id} (turn {2 * u + 1})"));
            }
            if (!converted && c % 3 != 0) turns.Add(new Turn(Role.Agent, $"one last offer for {id} (turn {2 * userTurns})"));
            list.Add(new Conversation(id, turns.ToImmutable(), new Outcome(converted, Verified: true),
                ImmutableSortedDictionary<string, JsonElement>.Empty.Add("age", JsonSerializer.SerializeToElement(30 + c)),
                new CorpusSource("fixture"), ImmutableSortedDictionary<string, JsonElement>.Empty));
        }
        return list;
    }

    /// <summary>Replay at depth and exit probes, and replay user with replay agent in rollouts (two samples).</summary>
    private const string ReplayExitsAndRollouts = """
        probes: { positions: [0.3, 0.6, 0.9], exits: true }
        simulators:
          replay: { kind: replay }
        agents:
          real: { kind: replay }
        conditions:
          - { simulator: replay, instrument: judge }
          - { simulator: replay, instrument: judge, mode: rollout, agent: real, name: replay-rollout }
        rollouts: { start: 0.3, max_user_turns: 3, samples: 2 }
        """;

    private static string WriteExperiment(string dir, Uri baseUrl, string body)
    {
        CorpusFile.Write(Path.Combine(dir, "corpus.jsonl"), Corpus());
        var text = $"""
            corpus: corpus.jsonl
            domain: sales
            instruments:
              judge: {"{"} kind: llm, model: "openai:judge@{baseUrl}", temperature: 0 {"}"}
            cache: {"{"} enabled: false {"}"}
            concurrency: 4
            {body}
            """;
        var path = Path.Combine(dir, "experiment.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The judge's rule, independent of the code under test: "busy" resisting, "how much" considering, else engaging.</summary>
    private static string StageOf(string text) =>
        text.Contains("busy", StringComparison.Ordinal) ? "resisting" : text.Contains("how much", StringComparison.Ordinal) ? "considering" : "engaging";

    /// <summary>Scripted answers: the judge by its rule, the agent by the count of turns it sees, the simulated user by the
    /// count of turns it sees, leaving ([LEAVE]) once it has seen <paramref name="leaveAfter"/> turns.</summary>
    private static ScriptedReply Scripted(RecordedRequest r, int leaveAfter)
    {
        var system = r.Messages.FirstOrDefault(m => m.Role == "system").Text ?? "";
        var user = r.LastUserText;
        if (system.Contains("annotate decision states", StringComparison.Ordinal))
        {
            var start = user.IndexOf("<labelled_turn>", StringComparison.Ordinal) + "<labelled_turn>".Length;
            var labelled = JsonSerializer.Deserialize<string>(user[start..user.IndexOf("</labelled_turn>", start, StringComparison.Ordinal)])!;
            return ScriptedReply.Text(JsonSerializer.Serialize(new { stage = StageOf(labelled), emotion = "neutral", blocker = "none", convergence_delta = 0, key_signal = labelled[..Math.Min(8, labelled.Length)] }));
        }
        var seen = HistoryLine().Matches(user).Count;
        if (system.Contains("You want the customer to buy", StringComparison.Ordinal)) return ScriptedReply.Text($"here is more, after {seen} turns");
        if (system.Contains("[LEAVE]", StringComparison.Ordinal) && seen >= leaveAfter) return ScriptedReply.Text("[LEAVE]");
        return ScriptedReply.Text($"You: \"how much is it, after {seen} turns\"");
    }

    [GeneratedRegex(@"^(You|Agent|Customer): ", RegexOptions.Multiline)]
    private static partial Regex HistoryLine();

    [Fact]
    public async Task Replay_ExitsExactlyAtRealExitPoints_AndItsRolloutsReproduceTheRealConversations()
    {
        // Given: replay at probes with exit points, and replay user + replay agent in rollouts
        await using var server = LoopbackOpenAiServer.Start(r => Scripted(r, int.MaxValue));
        var dir = TestData.TempDir();
        var path = WriteExperiment(dir, server.BaseUrl, ReplayExitsAndRollouts);

        // When
        var session = await new RunPipeline().RunAsync(ExperimentParser.Load(path), new RunSettings(Path.Combine(dir, "run")));

        // Then
        Assert.Equal(RunEnd.Completed, session.Outcome.End);
        using var store = RunStore.Open(Path.Combine(dir, "run"));
        var table = store.ReadProbeTable(includeTexts: true);
        // Exits are answers, not failures: the only failures counted are the replay sides' "no more real turns" (Empty).
        Assert.Equal(table.RolloutTurns.Count(t => t.Status == "empty"), session.Outcome.Progress.Failures);
        Assert.Contains(table.ExitRows, r => r.SimExit == true);
        var corpus = Corpus().ToDictionary(c => c.Id);
        var exitConversations = corpus.Values.Where(c => c.Outcome.Converted == false && c.Turns[^1].Role == Role.Agent).Select(c => c.Id).ToHashSet();
        Assert.Equal(4, exitConversations.Count);
        // Exit recall 1 and no false exits: the simulated branch is the real one at every exit-channel probe.
        Assert.NotEmpty(table.ExitRows);
        Assert.All(table.ExitRows, r => Assert.Equal(r.RealExit, r.SimExit));
        Assert.Equal(exitConversations.Order(), table.ExitRows.Where(r => r.RealExit).Select(r => r.ConversationId).Order());
        // Depth probes unchanged by the exit measurement: D = 0 everywhere.
        Assert.All(table.Rows, r => Assert.Equal(r.Real!.Stage, r.Sim!.Stage));

        // Rollouts: the real lengths, ending in an exit exactly where the real user left (within the cap), and the same
        // labels at matched positions.
        Assert.Equal(2 * 12, table.Rollouts.Count);
        foreach (var r in table.Rollouts)
        {
            Assert.Equal(Math.Min(r.RealUserTurns, r.Cap), r.UserTurns);
            // At the cap the rollout stops before asking again: an exit is observed only below it, on both sides.
            Assert.Equal(r.RealExit && r.RealUserTurns < r.Cap, r.End == RolloutEnd.Exit);
            Assert.Equal(exitConversations.Contains(r.ConversationId), r.RealExit);
            Assert.Equal(r.RealStages.Take(r.UserTurns), r.SimStages);
        }
        var replayed = table.RolloutTurns.Where(t => t.Role == "user" && t.Text is not null).ToList();
        Assert.All(replayed, t => Assert.Contains(t.Text!, corpus[t.ConversationId].Turns.Select(x => x.Text)));
    }

    [Fact]
    public async Task LlmUserAndAgent_UserOfferedTheExitChannel_RolloutEndsOnLeave_DepthProbesKeepTheStudysPrompts()
    {
        // Given: an LLM user that leaves once it has seen 9 turns, an LLM agent, the judge; depth probes and rollouts
        await using var server = LoopbackOpenAiServer.Start(r => Scripted(r, leaveAfter: 9));
        var dir = TestData.TempDir();
        var path = WriteExperiment(dir, server.BaseUrl, $$"""
            probes: { positions: [0.3, 0.9] }
            simulators:
              persona: { kind: persona, model: "openai:sim@{{server.BaseUrl}}", temperature: 0.7 }
            agents:
              seller: { kind: llm, model: "openai:agent@{{server.BaseUrl}}" }
            conditions:
              - { simulator: persona, instrument: judge }
              - { simulator: persona, instrument: judge, mode: rollout, agent: seller }
            rollouts: { start: 0.3, max_user_turns: 6 }
            """);

        // When
        var session = await new RunPipeline().RunAsync(ExperimentParser.Load(path), new RunSettings(Path.Combine(dir, "run")));

        // Then
        Assert.Equal(RunEnd.Completed, session.Outcome.End);
        var sims = server.Requests.Where(r => r.Messages.Any(m => m.Role == "system" && m.Text.Contains("You are a real person", StringComparison.Ordinal))).ToList();
        var agents = server.Requests.Where(r => r.Messages.Any(m => m.Role == "system" && m.Text.Contains("You want the customer to buy", StringComparison.Ordinal))).ToList();
        Assert.NotEmpty(agents);
        // Depth probes: the study's prompt, no exit rule; rollouts: the exit rule, documented once.
        Assert.Contains(sims, r => !r.Messages[0].Text.Contains("[LEAVE]", StringComparison.Ordinal));
        Assert.Contains(sims, r => r.Messages[0].Text.EndsWith(Dfid.Simulation.SimulatorPrompt.ExitRule(), StringComparison.Ordinal));
        Assert.All(agents, r => Assert.Contains("You are the salesperson in a chat with a customer.", r.Messages[0].Text, StringComparison.Ordinal));
        using var store = RunStore.Open(Path.Combine(dir, "run"));
        var table = store.ReadProbeTable(includeTexts: true);
        var rollouts = table.Rollouts;
        Assert.Equal(12, rollouts.Count);
        Assert.Contains(rollouts, r => r.End == RolloutEnd.Exit);
        foreach (var r in rollouts)
        {
            // The user leaves when it has seen 9 turns: the prefix plus 2 per round, so the exit step is known in advance.
            var seenAtStart = r.StartTurn;
            var roundsBeforeLeaving = Math.Max(0, (9 - seenAtStart + 1) / 2);
            var expected = Math.Min(roundsBeforeLeaving, r.Cap);
            Assert.Equal(expected, r.UserTurns);
            Assert.Equal(expected < r.Cap ? RolloutEnd.Exit : RolloutEnd.Cap, r.End);
            Assert.All(r.SimStages, s => Assert.Equal(Dfid.Core.Stage.Considering, s));
        }
        var exits = table.RolloutTurns.Where(t => t.Status == "exit").ToList();
        Assert.Equal(rollouts.Count(r => r.End == RolloutEnd.Exit), exits.Count);
        Assert.All(exits, t => Assert.Null(t.Text));
    }

    private static Process Start(string experiment, string outDir) => DfidProcess.Run(experiment, outDir).Process;

    [Fact]
    public async Task Rollouts_KilledTwiceAndResumed_StoreEqualsAnUninterruptedRun()
    {
        // Given: LLM user, agent and judge, 40 ms per answer, so a run lasts long enough to be killed twice in its rollouts
        await using var server = LoopbackOpenAiServer.Start(r => Scripted(r, leaveAfter: 11).After(TimeSpan.FromMilliseconds(40)));
        var dir = TestData.TempDir();
        var path = WriteExperiment(dir, server.BaseUrl, $$"""
            probes: { positions: [0.5] }
            simulators:
              persona: { kind: persona, model: "openai:sim@{{server.BaseUrl}}", temperature: 0.7 }
            agents:
              seller: { kind: llm, model: "openai:agent@{{server.BaseUrl}}" }
            conditions:
              - { simulator: persona, instrument: judge, mode: rollout, agent: seller }
            rollouts: { start: 0.3, max_user_turns: 5, samples: 2 }
            """);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var reference = Path.Combine(dir, "reference");
        using (var p = Start(path, reference))
        {
            await p.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, p.ExitCode);
        }
        var total = server.RequestCount;

        // When: killed at about a third and at about two thirds of the work, then run to the end
        var run = Path.Combine(dir, "killed");
        foreach (var share in new[] { 0.35, 0.7 })
        {
            var target = server.RequestCount + (int)(total * share * 0.5) + 1;
            using var p = Start(path, run);
            while (server.RequestCount < target && !p.HasExited) await Task.Delay(5, timeout.Token);
            Assert.False(p.HasExited, "the run ended before the kill point");
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(timeout.Token);
        }
        using (var p = Start(path, run))
        {
            await p.WaitForExitAsync(timeout.Token);
            Assert.Equal(0, p.ExitCode);
        }

        // Then
        Assert.Equal(Dump(Path.Combine(reference, RunStore.FileName)), Dump(Path.Combine(run, RunStore.FileName)));
    }

    private static string Dump(string path) => StoreDump.Of(path, StoreDump.RolloutTables);
}
