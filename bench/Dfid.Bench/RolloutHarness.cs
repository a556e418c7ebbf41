using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dfid.Corpus;
using Dfid.Running;
using Dfid.Store;
using Dfid.Tests.Fakes;

namespace Dfid.Bench;

/// <summary>
/// <c>rollout</c>: free-running rollouts (LLM user, LLM agent, LLM judge) against the loopback OpenAI server with 50 ms
/// latency. Turns are sequential within a rollout and parallel across rollouts (the real turns' labels fill the gaps), so the
/// ideal time is the larger of the longest chain × latency and calls × latency / concurrency.
/// Target: within 1.3× of that ideal. Arguments: <c>[--concurrency N] [--latency-ms L] [--conversations N] [--cap N]</c>.
/// </summary>
public sealed partial class RolloutHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "rollout";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        var concurrency = Arg(args, "--concurrency", 32);
        var latency = TimeSpan.FromMilliseconds(Arg(args, "--latency-ms", 50));
        var conversations = Arg(args, "--conversations", 200);
        var cap = Arg(args, "--cap", 10);
        await using var server = LoopbackOpenAiServer.Start(r => Reply(r).After(latency));
        var dir = Path.Combine(Path.GetTempPath(), "dfid-bench-rollout", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        CorpusFile.Write(Path.Combine(dir, "corpus.jsonl"), Corpus(conversations));
        var model = $"openai:bench@{server.BaseUrl}";
        File.WriteAllText(Path.Combine(dir, "experiment.yaml"), $$"""
            corpus: corpus.jsonl
            domain: sales
            simulators:
              persona: { kind: persona, model: "{{model}}", temperature: 0.7 }
            instruments:
              judge: { kind: llm, model: "{{model}}", temperature: 0 }
            agents:
              seller: { kind: llm, model: "{{model}}", temperature: 0.7 }
            conditions:
              - { simulator: persona, instrument: judge, mode: rollout, agent: seller }
            rollouts: { start: 0.3, max_user_turns: {{cap}} }
            cache: { enabled: false }
            concurrency: {{concurrency}}
            """);
        var experiment = ExperimentParser.Load(Path.Combine(dir, "experiment.yaml"));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = await new RunPipeline().RunAsync(experiment, new RunSettings(Path.Combine(dir, "run")));
        var elapsed = clock.Elapsed.TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

        var requests = server.Requests;
        int longest, realLabels;
        using (var store = RunStore.Open(Path.Combine(dir, "run")))
        {
            var table = store.ReadProbeTable();
            // A chain's calls: each user turn, its label, each agent turn, and the exit when there is one.
            longest = table.RolloutTurns.GroupBy(t => (t.ConversationId, t.Sample))
                .Max(g => g.Count() + g.Count(t => t.Role == "user" && t.Status == "ok"));
            realLabels = table.Rollouts.Sum(r => r.RealStages.Count);
        }
        var l = latency.TotalSeconds;
        var ideal = Math.Max(longest * l, requests.Count * l / concurrency);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"rollout: {result.Outcome.Progress.RolloutsTotal} rollouts (cap {cap}), {requests.Count} model calls ({realLabels} real-turn labels), longest chain {longest} calls"));
        Console.WriteLine(string.Create(inv, $"latency {latency.TotalMilliseconds} ms, concurrency {concurrency} (server saw at most {server.MaxConcurrentRequests} in flight); process CPU {cpu:0.00} s; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine(string.Create(inv, $"wall {elapsed:0.00} s, ideal {ideal:0.00} s, ratio {elapsed / ideal:0.000} (target <= 1.3); outcome {result.Outcome.End}"));
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return result.Outcome.End == RunEnd.Completed && elapsed / ideal <= 1.3 ? 0 : 1;
    }

    private static bool IsJudge(RecordedRequest r) => r.Json is { ValueKind: JsonValueKind.Object } j && j.TryGetProperty("response_format", out _);

    /// <summary>The judge labels every turn engaging; the agent answers; the user leaves after a number of rounds that depends on
    /// its conversation (so chains differ in length, as real ones do).</summary>
    private static ScriptedReply Reply(RecordedRequest r)
    {
        if (IsJudge(r)) return ScriptedReply.Text("""{"stage":"engaging","emotion":"neutral","blocker":"none","convergence_delta":0,"key_signal":"ok"}""", 400, 30);
        var system = r.Messages.FirstOrDefault(m => m.Role == "system").Text ?? "";
        var user = r.LastUserText;
        if (system.Contains("You want the customer", StringComparison.Ordinal)) return ScriptedReply.Text("let me tell you more about it", 300, 10);
        var number = ConversationNumber().Match(user) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var rounds = Lines().Matches(user).Count / 2;
        return ScriptedReply.Text(rounds >= 4 + number % 9 ? "[LEAVE]" : "hmm, go on", 300, 4);
    }

    [GeneratedRegex(@"conversation (\d+)")]
    private static partial Regex ConversationNumber();

    [GeneratedRegex(@"^(You|Agent): ", RegexOptions.Multiline)]
    private static partial Regex Lines();

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Generated conversations (own text): 10 user turns each, half converted.</summary>
    private static List<Conversation> Corpus(int n)
    {
        var list = new List<Conversation>();
        for (var c = 0; c < n; c++)
        {
            var turns = System.Collections.Immutable.ImmutableArray.CreateBuilder<Turn>();
            for (var u = 0; u < 10; u++)
            {
                turns.Add(new Turn(Role.Agent, $"agent message {u} of conversation {c}: would you consider our offer?"));
                turns.Add(new Turn(Role.User, $"user message {u} of conversation {c}: let me think about it"));
            }
            list.Add(new Conversation($"r{c:D4}", turns.ToImmutable(), new Outcome(c % 2 == 0, Verified: true),
                System.Collections.Immutable.ImmutableSortedDictionary<string, JsonElement>.Empty,
                new CorpusSource("bench"), System.Collections.Immutable.ImmutableSortedDictionary<string, JsonElement>.Empty));
        }
        return list;
    }
}
