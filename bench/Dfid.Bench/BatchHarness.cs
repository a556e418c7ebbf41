using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dfid.Models;
using Dfid.Models.Batch;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace Dfid.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/Dfid.Bench -- batch [N] [plain|costs]</c>: the batch providers' own cost for N
/// strict-JSON labelling requests (default 20,000; <c>plain</c>: plain-text requests) per provider against the loopback
/// batch server: preparing requests (the in-process online call), submitting (OpenAI: JSONL file + upload; Anthropic:
/// one create request), reading results back into chat responses, and the process's peak working set. <c>costs</c>
/// times the pieces of one request alone. No target: figures for the batch executor's budget.
/// </summary>
/// <remarks>CPU time per request is printed next to wall rates: on a shared machine the CPU figures are the stable ones.</remarks>
public sealed class BatchHarness : IHarness
{
    private const string Answer = """{"stage":"considering","emotion":"positive","convergence_delta":0.25,"key_signal":"asks how to donate"}""";

    // A static system prompt (taxonomy) of ~1.5 KB and a ~1 KB conversation per request, like a labelling probe.
    private static readonly string System = "You label the persuadee's decision state. " + string.Concat(Enumerable.Repeat("Stages: resisting, considering, deciding. ", 36));

    private static readonly JsonElement Schema = JsonDocument.Parse("""
        {"type":"object","properties":{"stage":{"type":"string","enum":["resisting","considering","deciding"]},
         "emotion":{"type":"string","enum":["neutral","positive","negative"]},"convergence_delta":{"type":"number"},
         "key_signal":{"type":"string","maxLength":40}},"required":["stage","emotion","convergence_delta","key_signal"],"additionalProperties":false}
        """).RootElement.Clone();

    public string Name => "batch";

    public async Task<int> RunAsync(string[] args)
    {
        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
        var mode = args.Length > 1 ? args[1] : "json";
        if (mode == "costs") return await CostsAsync(n);
        var format = mode == "plain" ? null : new JsonAnswerFormat(Schema, "decision_state");
        Console.WriteLine($"batch: {n:N0} {(format is null ? "plain" : "strict-JSON")} requests per provider, {Environment.ProcessorCount} cores");
        foreach (var provider in new[] { "openai", "anthropic" })
        {
            await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = _ => BatchOutcome.Text(Answer, 900, 40, 700) });
            var spec = ModelSpec.Parse(provider == "openai" ? $"openai:gpt-4o-mini@{server.BaseUrl}" : $"anthropic:claude-3-5-haiku-latest@{server.Root}");
            using var batches = BatchProviders.Create(spec, _ => null, new BatchProviderOptions { Limits = new BatchLimits(n, long.MaxValue, 128) });
            var process = Process.GetCurrentProcess();

            var (prepared, prepareWall, prepareCpu) = await Timed(process, async () =>
            {
                var list = new List<PreparedBatchRequest>(n);
                for (var i = 0; i < n; i++) list.Add(await batches.PrepareAsync(new BatchRequest($"c{i / 10}-t{i % 10}", Conversation(i), null, format)));
                return list;
            });
            var (id, submitWall, _) = await Timed(process, () => batches.SubmitAsync(prepared));
            await new BatchPoller(batches, new BatchPollOptions { InitialDelay = TimeSpan.FromMilliseconds(10) }).WaitAsync(id);
            var (ok, readWall, readCpu) = await Timed(process, async () =>
            {
                var answered = 0;
                await foreach (var r in batches.GetResultsAsync(id)) if (r.IsSuccess) answered++;
                return answered;
            });
            var bytes = prepared.Sum(batches.Limits.SizeOf);
            // The results CPU includes the loopback server's (same process).
            Console.WriteLine($"{provider,-9}: prepare {n / prepareWall.TotalSeconds,7:N0} req/s, {prepareCpu.TotalMicroseconds / n,4:N0} µs CPU/req "
                + $"| submit {bytes / 1e6,5:N1} MB in {submitWall.TotalSeconds,5:N2} s "
                + $"| results {ok / readWall.TotalSeconds,7:N0} answers/s, {readCpu.TotalMicroseconds / n,4:N0} µs CPU/answer ({ok:N0} ok) "
                + $"| peak working set {process.PeakWorkingSet64 / 1e6:N0} MB");
            if (ok != n) return 1;
        }
        return 0;
    }

    private static ChatMessage[] Conversation(int i) =>
        [new(ChatRole.System, System), new(ChatRole.User, $"Conversation {i / 10}, turn {i % 10}: " + new string('x', 900))];

    /// <summary>The pieces of one OpenAI request alone, after a warm-up: the response-cache key (the online path computes it too), preparing, reading an answer.</summary>
    private static async Task<int> CostsAsync(int n)
    {
        var spec = ModelSpec.Parse("openai:gpt-4o-mini@http://127.0.0.1:9/v1");
        using var mirror = new OnlineCallMirror(spec, spec.Endpoint);
        var options = new ChatOptions { Temperature = 0.5f };
        var format = new JsonAnswerFormat(Schema, "decision_state");
        var answer = Encoding.UTF8.GetBytes(LoopbackBatchServer.OpenAiCompletion("a", "gpt-4o-mini", BatchOutcome.Text(Answer)).ToJsonString());
        var process = Process.GetCurrentProcess();
        Console.WriteLine($"batch costs: {n:N0} calls each, {Environment.ProcessorCount} cores");
        async Task Measure(string what, Func<int, Task> call)
        {
            for (var i = 0; i < 2_000; i++) await call(i);
            var (_, wall, cpu) = await Timed(process, async () =>
            {
                for (var i = 0; i < n; i++) await call(i);
                return 0;
            });
            Console.WriteLine($"{what,-22}: {wall.TotalMicroseconds / n,5:N0} µs wall, {cpu.TotalMicroseconds / n,5:N0} µs CPU");
        }
        await Measure("cache key (online too)", i => { ResponseCacheChatClient.Key(spec, "openai x", Conversation(i), options); return Task.CompletedTask; });
        await Measure("prepare plain", i => mirror.PrepareAsync(new BatchRequest("a", Conversation(i), options)));
        await Measure("prepare strict JSON", i => mirror.PrepareAsync(new BatchRequest("a", Conversation(i), options, format)));
        await Measure("read answer", _ => mirror.ReadAnswerAsync(answer));
        return 0;
    }

    private static async Task<(T Result, TimeSpan Wall, TimeSpan Cpu)> Timed<T>(Process process, Func<Task<T>> work)
    {
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var result = await work();
        var wall = watch.Elapsed;
        process.Refresh();
        return (result, wall, process.TotalProcessorTime - cpu);
    }
}
