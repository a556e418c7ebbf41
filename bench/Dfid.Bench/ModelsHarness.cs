using System.Diagnostics;
using System.Globalization;
using Dfid.Models;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace Dfid.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Dfid.Bench -- models [gguf-path]</c>: layer overhead, loopback throughput at
/// concurrency 32 with 100 ms latency, cache-hit latency, and KV reuse of gguf probing. Exit 1 when a target is missed.
/// </summary>
public sealed class ModelsHarness : IHarness
{
    public string Name => "models";

    public async Task<int> RunAsync(string[] args)
    {
        var ok = true;
        ok &= await OverheadAsync();
        ok &= await CacheHitAsync();
        ok &= await ThroughputAsync();
        var gguf = args.Length > 0 ? args[0] : FindTinyGguf();
        if (gguf is not null && File.Exists(gguf)) ok &= await GgufProbingAsync(gguf);
        else Console.WriteLine("gguf: tiny model not found (pass its path), skipped");
        return ok ? 0 : 1;
    }

    /// <summary>An in-process provider that answers instantly: what remains is our layers' cost.</summary>
    private sealed class InstantClient : IChatClient
    {
        private readonly ChatResponse _template = new(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 1 }, FinishReason = ChatFinishReason.Stop };

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(_template.Messages) { Usage = _template.Usage, FinishReason = _template.FinishReason });

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private static async Task<double> MedianMsAsync(int n, Func<int, Task> call)
    {
        for (var i = 0; i < Math.Min(200, n); i++) await call(-1 - i); // warm-up
        var times = new double[n];
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call(i);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[n / 2];
    }

    private static ChatMessage[] Probe(int i) =>
        [new(ChatRole.System, "You are the persuadee. Answer in one sentence."), new(ChatRole.User, "Would you donate to Save the Children? " + i)];

    private static async Task<bool> OverheadAsync()
    {
        var raw = new InstantClient();
        using var host = new ModelHost(new ModelLayerOptions { MaxCalls = 10_000_000, MaxCostUsd = 1_000_000m }, null, null, null, _ => new InstantClient());
        var layered = host.GetClient("openai:gpt-4o-mini");
        var rawMs = await MedianMsAsync(5000, i => raw.GetResponseAsync(Probe(i)));
        var layeredMs = await MedianMsAsync(5000, i => layered.GetResponseAsync(Probe(i)));
        var overhead = layeredMs - rawMs;
        Console.WriteLine(F($"overhead: layers (usage, options, budget, retry, limits, timeout; no cache) median {layeredMs:0.0000} ms vs bare {rawMs:0.0000} ms → {overhead:0.0000} ms per call (target < 1 ms)"));
        return overhead < 1;
    }

    private static async Task<bool> CacheHitAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dfid-bench", Guid.NewGuid().ToString("N"));
        using var host = new ModelHost(new ModelLayerOptions { CachePath = Path.Combine(dir, "cache.sqlite") }, null, null, null, _ => new InstantClient());
        var client = host.GetClient("openai:gpt-4o-mini");
        for (var i = 0; i < 100; i++) await client.GetResponseAsync(Probe(i));
        var missMs = await MedianMsAsync(1000, i => client.GetResponseAsync(Probe(1000 + i)));
        var hitMs = await MedianMsAsync(5000, i => client.GetResponseAsync(Probe(Math.Abs(i) % 100)));
        Console.WriteLine(F($"cache: hit median {hitMs:0.0000} ms (target < 0.2 ms); miss incl. SQLite write median {missMs:0.0000} ms"));
        Directory.Delete(dir, true);
        return hitMs < 0.2;
    }

    private static async Task<bool> ThroughputAsync()
    {
        const int concurrency = 32, requests = 640;
        var latency = TimeSpan.FromMilliseconds(100);
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok", 20, 1).After(latency));
        using var host = new ModelHost(new ModelLayerOptions { MaxConcurrency = concurrency });
        var client = host.GetClient($"openai:m@{server.BaseUrl}");
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(i => client.GetResponseAsync(Probe(-i)))); // connections + JIT
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(Enumerable.Range(0, requests).Select(async i =>
        {
            var r = await client.GetResponseAsync(Probe(i));
            return ModelCall.FromResponse(r)!.LatencyMs;
        }));
        var seconds = sw.Elapsed.TotalSeconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        Array.Sort(latencies);
        Console.WriteLine(F($"throughput detail: call latency p50 {latencies[requests / 2]:0.0} ms p95 {latencies[requests * 95 / 100]:0.0} ms; process CPU {cpuMs / requests:0.00} ms per request (client + server); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}"));
        var ideal = concurrency / latency.TotalSeconds;
        var actual = requests / seconds;
        Console.WriteLine(F($"throughput: {requests} requests, concurrency {concurrency}, server latency 100 ms, real OpenAI SDK over loopback HTTP: {actual:0.0} req/s = {100 * actual / ideal:0.0}% of ideal {ideal:0} req/s (target ≥ 90%); server saw at most {server.MaxConcurrentRequests} at once"));
        return actual >= 0.9 * ideal;
    }

    private static async Task<bool> GgufProbingAsync(string path)
    {
        using var host = new ModelHost(new ModelLayerOptions());
        var client = host.GetClient($"gguf:{path};context_size=2048;temperature=0;max_tokens=16;seed=1");
        var system = new ChatMessage(ChatRole.System, "You are the persuadee in this conversation. Say what you would answer next, in one sentence.");
        var turns = Enumerable.Range(0, 10).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.Assistant : ChatRole.User,
            $"Turn {i + 1}: " + (i % 2 == 0
                ? "Have you heard of Save the Children? They help children in developing countries with health and education."
                : "I have heard a little about them, but I am not sure how much of the money reaches the children."))).ToList();
        var prompts = new List<long>();
        var sw = Stopwatch.StartNew();
        foreach (var probeAt in new[] { 4, 7, 10 })
        {
            var r = await client.GetResponseAsync([system, .. turns.Take(probeAt)]);
            prompts.Add(ModelCall.FromResponse(r)!.PromptTokens!.Value);
        }
        var u = host.Usage.Snapshot();
        var ratio = u.LocalPromptTokensEvaluated / (double)prompts.Max();
        Console.WriteLine(F($"gguf probing ({Path.GetFileName(path)}): 10-turn conversation, 3 probes, prompts {string.Join("/", prompts)} tokens; evaluated {u.LocalPromptTokensEvaluated} of {u.LocalPromptTokensRequested} requested = {ratio:0.00}× the longest prompt (target ≤ 1.3×; naive {prompts.Sum() / (double)prompts.Max():0.00}×); {sw.Elapsed.TotalMilliseconds:0} ms"));
        return ratio <= 1.3;
    }

    private static string? FindTinyGguf()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "..", "shared", "models", "stories260K.gguf");
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        return null;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
