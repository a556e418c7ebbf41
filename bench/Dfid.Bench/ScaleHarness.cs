using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dfid.Analysis;
using Dfid.Corpus;
using Dfid.Models;
using Dfid.Running;
using Dfid.Store;
using Microsoft.Extensions.AI;

namespace Dfid.Bench;

/// <summary>
/// <c>scale</c>: a study at 100,000 conversations.
/// <list type="bullet">
/// <item><c>scale run [--conversations N] [--positions 0.3,0.6,0.9] [--cache]</c>: a generated corpus of N conversations
/// (default 100,000) through sample → probes → store by the real <see cref="RunPipeline"/>, with one LLM simulator and an
/// LLM judge (strict JSON) answered by a scripted zero-latency provider in process (the model layers, prompts, JSON
/// validation and the store all run; only the provider SDK and HTTP are replaced, whose cost the models harness
/// measures), plus the replay simulator. Prints probes/s, calls/s, peak working set and the store's size. Targets:
/// peak &lt; 1 GB.</item>
/// <item><c>scale analyze [--conversations N] [--repeats R]</c>: <c>analyze</c> (all endpoints, default resampling) of a
/// synthetic probe table of N conversations × 3 conditions (default 100,000). Target: &lt; 10 s on 2 cores.</item>
/// </list>
/// </summary>
public sealed class ScaleHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "scale";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        var what = args.Length > 0 ? args[0] : "all";
        var ok = true;
        if (what is "analyze" or "all") ok &= Analyze(args);
        if (what is "run" or "all") ok &= await RunAsync2(args);
        Console.WriteLine(ok ? "all targets met" : "TARGET MISSED");
        return ok ? 0 : 1;
    }

    private static bool Analyze(string[] args)
    {
        var n = Arg(args, "--conversations", 100_000);
        var repeats = Arg(args, "--repeats", 3);
        var rows = SyntheticProbeTable.Generate(new SyntheticSpec(n, (int)(n * 0.284), ["persona", "instructed", "backbone"], 0.3,
            WideStages: true, FailureRate: 0.02, HumanLabelRate: 0.1, FullContextRate: 1.0, WithTexts: true));
        Console.WriteLine($"analyze: {n:N0} conversations x 3 conditions = {rows.Count:N0} probe rows, {Environment.ProcessorCount} cores, load {Load()}");
        // Warm-up at a small size (JIT), then the full table.
        DecisionFidelityAnalysis.Analyze(rows.Take(3000).ToList(), new AnalysisOptions { Permutations = 100, BootstrapResamples = 100 });
        var times = new List<(double Wall, double Cpu)>();
        if (args.Contains("--bare")) repeats = 0;
        for (var i = 0; i < repeats; i++)
        {
            var (wall, cpu) = Measure(() => DecisionFidelityAnalysis.Analyze(rows));
            times.Add((wall, cpu));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  full analysis: {wall:0.00} s wall, {cpu:0.00} s cpu"));
        }
        var bare = Measure(() => DecisionFidelityAnalysis.Analyze(rows, new AnalysisOptions { Permutations = 1, BootstrapResamples = 1 }));
        var median = times.Count == 0 ? bare.Wall : times.Select(t => t.Wall).Order().ElementAt(times.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"analyze median {median:0.00} s wall (target < 10 s); without resampling {bare.Wall:0.00} s wall {bare.Cpu:0.00} s cpu; peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:0} MB"));
        return median < 10;
    }

    private static async Task<bool> RunAsync2(string[] args)
    {
        var n = Arg(args, "--conversations", 100_000);
        var positions = ArgText(args, "--positions", "0.3,0.6,0.9");
        var cache = args.Contains("--cache");
        var dir = Path.Combine(Path.GetTempPath(), "dfid-scale-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var corpus = Path.Combine(dir, "corpus.jsonl");
            var genWatch = Stopwatch.StartNew();
            WriteCorpus(corpus, n);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run: generated {n:N0} conversations ({new FileInfo(corpus).Length / 1048576.0:0} MB) in {genWatch.Elapsed.TotalSeconds:0.0} s; load {Load()}"));
            var experiment = Path.Combine(dir, "experiment.yaml");
            File.WriteAllText(experiment, $$"""
                corpus: corpus.jsonl
                probes: { positions: [{{positions}}], skip_greeting: true }
                domain: persuasionforgood
                simulators:
                  replay: { kind: replay }
                  persona: { kind: persona, model: "openai:scripted", temperature: 0.7 }
                instruments:
                  judge: { kind: llm, model: "openai:scripted", temperature: 0 }
                conditions:
                  - { simulator: persona, instrument: judge }
                  - { simulator: replay, instrument: judge }
                concurrency: 8
                cache: { enabled: {{(cache ? "true" : "false")}}, path: cache }
                """);
            var pipeline = new RunPipeline(new RunPipelineOptions { ProviderOverride = _ => new ScriptedProvider() });
            GC.Collect();
            var process = Process.GetCurrentProcess();
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var peak = 0L;
            using var stop = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    process.Refresh();
                    peak = Math.Max(peak, process.WorkingSet64);
                    try { await Task.Delay(100, stop.Token); } catch (OperationCanceledException) { }
                }
            });
            var watch = Stopwatch.StartNew();
            IRunProgressSource? source = null;
            var result = await pipeline.RunAsync(ExperimentParser.Load(experiment), new RunSettings(Path.Combine(dir, "run"), Command: "bench"), s => source = s);
            var elapsed = watch.Elapsed.TotalSeconds;
            await stop.CancelAsync();
            await sampler;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            peak = Math.Max(peak, process.PeakWorkingSet64);
            var p = result.Outcome.Progress;
            var store = new FileInfo(Path.Combine(dir, "run", RunStore.FileName)).Length
                + (File.Exists(Path.Combine(dir, "run", RunStore.FileName + "-wal")) ? new FileInfo(Path.Combine(dir, "run", RunStore.FileName + "-wal")).Length : 0);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"run: {result.Outcome.End}: {p.ProbesTotal:N0} probes, {p.Calls:N0} model answers in {elapsed:0.0} s wall ({cpu:0.0} s cpu): "
                + $"{p.ProbesTotal / elapsed:0} probes/s, {p.Calls / elapsed:0} answers/s; peak working set {peak / 1048576.0:0} MB (target < 1024); "
                + $"store {store / 1048576.0:0} MB ({store / Math.Max(1, p.ProbesTotal):N0} bytes/probe); cache {(cache ? "on" : "off")}; load {Load()}"));
            return result.Outcome.End == RunEnd.Completed && peak < 1024L * 1048576;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>PersuasionForGood-shaped conversations: 10 user turns, a 6-key profile, outcomes 28% converted.</summary>
    private static void WriteCorpus(string path, int n)
    {
        var profileKeys = new[] { "age", "sex", "race", "edu", "employment", "income" };
        var rng = new Random(17);
        CorpusFile.Write(path, Enumerable.Range(0, n).Select(i =>
        {
            var id = $"s{i:D6}";
            var turns = ImmutableArray.CreateBuilder<Turn>(20);
            for (var t = 0; t < 10; t++)
            {
                turns.Add(new Turn(Role.Agent, $"Agent line {t} of {id}: have you heard of Save the Children? They help kids in need around the world, and every bit helps."));
                turns.Add(new Turn(Role.User, $"User line {t} of {id}: {(rng.Next(3) == 0 ? "maybe, how much would it be" : "not sure, I need my money")} right now."));
            }
            var profile = ImmutableSortedDictionary<string, JsonElement>.Empty;
            foreach (var k in profileKeys) profile = profile.Add(k, JsonSerializer.SerializeToElement(k == "age" ? (object)(20 + i % 50) : $"{k}-{i % 7}"));
            return new Conversation(id, turns.MoveToImmutable(), new Outcome(rng.NextDouble() < 0.284, Verified: true), profile,
                new CorpusSource("persuasionforgood", "Apache-2.0"), ImmutableSortedDictionary<string, JsonElement>.Empty);
        }));
    }

    /// <summary>A provider that answers at once: a reply for a simulator, a valid decision state for the judge.</summary>
    private sealed class ScriptedProvider : IChatClient
    {
        private static readonly UsageDetails Usage = new() { InputTokenCount = 900, OutputTokenCount = 30 };

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var json = options?.ResponseFormat is ChatResponseFormatJson;
            var text = json ? """{"stage":"engaging","emotion":"neutral","blocker":"none","convergence_delta":0,"key_signal":"User line"}""" : "sure, tell me more about it";
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { ModelId = "scripted", Usage = Usage, FinishReason = ChatFinishReason.Stop });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai") : null;

        public void Dispose()
        {
        }
    }

    private static (double Wall, double Cpu) Measure(Action action)
    {
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var c0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        action();
        var wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - c0).TotalSeconds);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string ArgText(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}
