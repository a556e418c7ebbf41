using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dfid.Corpus;
using Dfid.Running;
using Dfid.Store;
using Dfid.Tests.Fakes;

namespace Dfid.Bench;

/// <summary>
/// <c>run</c>: a 374-conversation probe run (about 1,100 probes) with two LLM conditions (persona and instructed, both
/// scored by an LLM judge) against the loopback OpenAI server with 50 ms latency; compares the wall time with the ideal
/// time for the configured concurrency (calls × latency / concurrency). Target: within 1.25×.
/// Arguments: <c>[--concurrency N] [--latency-ms L] [--jitter F] [--per-stratum N] [--warmup N]</c>; <c>--jitter 0.2</c> varies
/// each reply's latency uniformly by ±20% around L, as a real endpoint's does (the ideal still uses the latency served).
/// </summary>
public sealed class RunHarness : IHarness
{
    /// <inheritdoc/>
    public string Name => "run";

    /// <inheritdoc/>
    public async Task<int> RunAsync(string[] args)
    {
        var concurrency = Arg(args, "--concurrency", 32);
        var latencyMs = Arg(args, "--latency-ms", 50);
        var perStratum = Arg(args, "--per-stratum", 187);
        var latency = TimeSpan.FromMilliseconds(latencyMs);
        var jitter = double.Parse(ArgText(args, "--jitter", "0"), CultureInfo.InvariantCulture);
        if (jitter is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(args), "--jitter must be in [0, 1)");
        await using var server = LoopbackOpenAiServer.Start(r =>
        {
            // The judge asks for a JSON schema answer; the simulators for plain text.
            var judge = r.Json is { ValueKind: JsonValueKind.Object } j && j.TryGetProperty("response_format", out _);
            var reply = judge
                ? ScriptedReply.Text("""{"stage":"engaging","emotion":"neutral","blocker":"none","convergence_delta":0,"key_signal":"ok"}""", 400, 30)
                : ScriptedReply.Text("sure, tell me more", 200, 6);
            // `--jitter F`: each reply's latency uniform in latency × [1 − F, 1 + F] (mean unchanged), as a real endpoint's varies.
            return reply.After(jitter == 0 ? latency : latency * (1 + jitter * (2 * Random.Shared.NextDouble() - 1)));
        });
        // A real endpoint is up and compiled before dfid starts: two raw-socket requests (plain text and JSON mode) JIT
        // the loopback server's own path, and nothing of dfid's client, before the clock starts.
        await WarmServerAsync(server);
        var warmup = Arg(args, "--warmup", 0);
        if (warmup > 0) await RunExperimentAsync(server, warmup, concurrency);
        var callsBefore = server.RequestCount;
        var delayedBefore = server.DelayedTime;
        // Calls and CPU seconds per second of the run: shows the start-up (JIT) phase apart from the steady state.
        using var stopSampling = new CancellationTokenSource();
        var sampling = SamplePerSecondAsync(server, stopSampling.Token);
        var (result, elapsed, cpu, jit, alloc, gcPause, firstRequest) = await RunExperimentAsync(server, perStratum, concurrency);
        await stopSampling.CancelAsync();
        var perSecond = await sampling;
        var calls = server.RequestCount - callsBefore;
        var ideal = calls * latency.TotalSeconds / concurrency;
        var ratio = elapsed / ideal;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"run: {result.Manifest.Conversations.Values.Sum()} conversations, {result.Manifest.ProbeCount} probes, 2 LLM conditions, {calls} model calls"));
        Console.WriteLine(string.Create(inv, $"latency {latencyMs} ms{(jitter > 0 ? $" ± {100 * jitter:0}% (uniform)" : "")}, concurrency {concurrency} (server saw at most {server.MaxConcurrentRequests} in flight)"));
        Console.WriteLine(string.Create(inv, $"process CPU {cpu:0.00} s ({1000 * cpu / calls:0.00} ms per model call, client + loopback server + store); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        Console.WriteLine(string.Create(inv, $"of which JIT {jit:0.00} s; allocated {alloc / 1e6:0} MB ({alloc / calls / 1024.0:0.0} KiB per call), GC pauses {gcPause:0.00} s"));
        Console.WriteLine(string.Create(inv, $"first request reached the server {firstRequest:0.00} s after the start (set-up and first-call JIT); per second (calls / CPU s): {perSecond}"));
        Console.WriteLine(string.Create(inv, $"wall {elapsed:0.00} s, ideal {ideal:0.00} s (calls x latency / concurrency), ratio {ratio:0.000} (target <= 1.25); outcome {result.Outcome.End}"));
        // The server corrects its timer's overshoot on average; the latency it really served checks that, and the ideal at
        // that latency isolates dfid's own overhead.
        var served = (server.DelayedTime - delayedBefore).TotalSeconds / calls;
        Console.WriteLine(string.Create(inv, $"server's real latency {1000 * served:0.00} ms per call; ideal at that latency {calls * served / concurrency:0.00} s, ratio {elapsed / (calls * served / concurrency):0.000}"));
        return result.Outcome.End == RunEnd.Completed && ratio <= 1.25 ? 0 : 1;
    }

    private static async Task<(RunSessionResult Result, double Elapsed, double Cpu, double Jit, long Alloc, double GcPause, double FirstRequest)> RunExperimentAsync(
        LoopbackOpenAiServer server, int perStratum, int concurrency)
    {
        var dir = Path.Combine(Path.GetTempPath(), "dfid-bench-run", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        CorpusFile.Write(Path.Combine(dir, "corpus.jsonl"), Corpus(2 * perStratum));
        var model = $"openai:bench@{server.BaseUrl}";
        File.WriteAllText(Path.Combine(dir, "experiment.yaml"), $$"""
            corpus: corpus.jsonl
            sample: { balanced: {{perStratum}}, seed: 7 }
            simulators:
              persona: { kind: persona, model: "{{model}}", temperature: 0.7 }
              instructed: { kind: instructed, model: "{{model}}", temperature: 0.7 }
            instruments:
              judge: { kind: llm, model: "{{model}}", temperature: 0 }
            conditions:
              - { simulator: persona, instrument: judge }
              - { simulator: instructed, instrument: judge }
            cache: { enabled: false }
            concurrency: {{concurrency}}
            """);
        var experiment = ExperimentParser.Load(Path.Combine(dir, "experiment.yaml"));
        var settings = new RunSettings(Path.Combine(dir, "run"), CachePath: Path.Combine(dir, "cache"));
        var pipeline = new RunPipeline();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
        var allocBefore = GC.GetTotalAllocatedBytes();
        var gcBefore = GC.GetTotalPauseDuration();
        var clock = Stopwatch.StartNew();
        var startedAt = DateTimeOffset.UtcNow;
        var firstIndex = server.RequestCount;
        var result = await pipeline.RunAsync(experiment, settings);
        var elapsed = clock.Elapsed.TotalSeconds;
        var firstRequest = server.Requests[firstIndex].ReceivedAt - startedAt;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var jit = (System.Runtime.JitInfo.GetCompilationTime() - jitBefore).TotalSeconds;
        var alloc = GC.GetTotalAllocatedBytes() - allocBefore;
        var gcPause = (GC.GetTotalPauseDuration() - gcBefore).TotalSeconds;
        try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        return (result, elapsed, cpu, jit, alloc, gcPause, firstRequest.TotalSeconds);
    }

    private static async Task<string> SamplePerSecondAsync(LoopbackOpenAiServer server, CancellationToken stop)
    {
        var samples = new List<string>();
        var (calls, cpu) = (server.RequestCount, Process.GetCurrentProcess().TotalProcessorTime);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var (callsNow, cpuNow) = (server.RequestCount, Process.GetCurrentProcess().TotalProcessorTime);
                samples.Add(string.Create(CultureInfo.InvariantCulture, $"{callsNow - calls}/{(cpuNow - cpu).TotalSeconds:0.00}"));
                (calls, cpu) = (callsNow, cpuNow);
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }
        return string.Join(' ', samples);
    }

    private static async Task WarmServerAsync(LoopbackOpenAiServer server)
    {
        foreach (var extra in new[] { "", ""","response_format":{"type":"json_object"}""" })
        {
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(server.Root.Host, server.Port);
            var stream = tcp.GetStream();
            var body = $$"""{"model":"warm","messages":[{"role":"user","content":"hi"}]{{extra}}}""";
            var request = $"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
                          $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
            await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
            var buffer = new byte[4096];
            while (await stream.ReadAsync(buffer) > 0)
            {
                // Read to the end: the server closes after its reply.
            }
        }
    }

    private static string ArgText(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static int Arg(string[] args, string name, int fallback) =>
        ArgText(args, name, "") is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Generated conversations (own text): 8 user turns each, half converted.</summary>
    private static List<Conversation> Corpus(int n)
    {
        var list = new List<Conversation>();
        for (var c = 0; c < n; c++)
        {
            var turns = ImmutableArray.CreateBuilder<Turn>();
            for (var u = 0; u < 8; u++)
            {
                turns.Add(new Turn(Role.Agent, $"agent message {u} of conversation {c}: would you consider our offer?"));
                turns.Add(new Turn(Role.User, $"user message {u} of conversation {c}: let me think about it"));
            }
            var profile = ImmutableSortedDictionary<string, JsonElement>.Empty.Add("age", JsonSerializer.SerializeToElement(20 + c % 50));
            list.Add(new Conversation($"b{c:D4}", turns.ToImmutable(), new Outcome(c % 2 == 0, Verified: true), profile,
                new CorpusSource("bench"), ImmutableSortedDictionary<string, JsonElement>.Empty));
        }
        return list;
    }
}
