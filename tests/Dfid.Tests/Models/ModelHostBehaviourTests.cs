using System.Text.Json;
using Dfid.Cli.Commands;
using Dfid.Models;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;
using static Dfid.Tests.Models.ModelTestKit;

namespace Dfid.Tests.Models;

public sealed class ModelHostBehaviourTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "hello")];

    [Fact]
    public async Task ModelHost_CallerCancels_OperationCanceledNotAFailure()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Hang());
        using var host = Host(new ModelLayerOptions { MaxRetries = 3 });
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => host.GetClient(Spec(server)).GetResponseAsync(Hello, cancellationToken: cts.Token));

        Assert.Equal(1, server.RequestCount);
        Assert.Equal(0, host.Usage.Snapshot().Failures);
    }

    [Fact]
    public async Task ModelHost_Streaming_ConcatenatesAndCountsUsage()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("streamed words", 7, 3));
        using var host = Host(new ModelLayerOptions());

        var text = string.Concat(await host.GetClient(Spec(server)).GetStreamingResponseAsync(Hello).Select(u => u.Text).ToListAsync());

        Assert.Equal("streamed words", text);
        var usage = host.Usage.Snapshot();
        Assert.Equal((1L, 1L, 7L, 3L), (usage.Calls, usage.Requests, usage.PromptTokens, usage.CompletionTokens));
    }

    [Fact]
    public async Task ResponseCache_DifferentSchema_Misses()
    {
        var cache = Path.Combine(TestData.TempDir(), "c.sqlite");
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("""{"a":"x"}"""));
        using var host = Host(new ModelLayerOptions { CachePath = cache });
        var client = host.GetClient(Spec(server));
        var s1 = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string"}}}""").RootElement;
        var s2 = JsonDocument.Parse("""{"type":"object","properties":{"a":{"type":"string","maxLength":5}}}""").RootElement;

        Assert.True((await client.GetJsonAsync(Hello, s1, "s")).IsSuccess);
        Assert.True((await client.GetJsonAsync(Hello, s1, "s")).IsSuccess);
        Assert.True((await client.GetJsonAsync(Hello, s2, "s")).IsSuccess);

        Assert.Equal(2, server.RequestCount);
    }

    [Fact]
    public async Task ModelHost_CostOfPricedModel_AddsUp()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok", promptTokens: 1000, completionTokens: 500));
        var prices = PriceTable.FromJson("""{"models": {"priced": {"input_per_million": 2, "output_per_million": 8}}}""", "t");
        using var host = Host(new ModelLayerOptions { Prices = prices });

        var r = await host.GetClient(Spec(server, "priced")).GetResponseAsync(Hello);
        await host.GetClient(Spec(server, "priced")).GetResponseAsync(Hello);

        // 1000 × $2/M + 500 × $8/M = $0.002 + $0.004 = $0.006 per call
        Assert.Equal(0.006m, ModelCall.FromResponse(r)!.CostUsd);
        Assert.Equal(0.012m, host.Usage.Snapshot().CostUsd);
        Assert.EndsWith("$0.012", host.Usage.Snapshot().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ModelsLayerSettings_Flags_MapToOptions()
    {
        var settings = new ModelsLayerSettings { NoCache = true, Concurrency = 4, RequestsPerMinute = 60, MaxCostUsd = "2.5", MaxCalls = 100, TimeoutSeconds = 30 };

        var o = settings.ToLayerOptions();

        Assert.Null(o.CachePath);
        Assert.Equal((4, 60, 2.5m, 100, TimeSpan.FromSeconds(30)), (o.MaxConcurrency, o.RequestsPerMinute!.Value, o.MaxCostUsd!.Value, o.MaxCalls!.Value, o.RequestTimeout));
        Assert.Throws<DfidException>(() => new ModelsLayerSettings { MaxCostUsd = "lots" }.ToLayerOptions());
    }
}

public sealed class SampleSeedTests
{
    [Theory]
    [InlineData("openai:m;seed=10", 3, 13L)]
    [InlineData("openai:m;seed=10", 0, 10L)]
    [InlineData("openai:m", 3, null)]
    [InlineData("gguf:/x.gguf", 2, 44L)]
    public void ModelHost_SampleIndex_OffsetsTheSeed(string spec, int sample, long? expected)
    {
        var o = new Microsoft.Extensions.AI.ChatOptions { AdditionalProperties = new() { [ModelHost.SampleKey] = sample } };

        ModelHost.ApplySpec(ModelSpec.Parse(spec), o);

        Assert.Equal(expected, o.Seed);
    }
}

public sealed class UsageReportTests
{
    [Fact]
    public void UsageReport_BeforeAnyCall_SerialisesToJson()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new UsageMeter().Snapshot());

        Assert.Contains("\"LatencyP50Ms\":\"NaN\"", json, StringComparison.Ordinal);
        Assert.Contains("\"CostUsd\":0", json, StringComparison.Ordinal);
    }
}

public sealed class ModelLogTests
{
    private sealed class ListLogger : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines) Lines.Add(formatter(state, exception));
        }
    }

    [Fact]
    public async Task ModelHost_Retry_LoggedWithoutPromptText()
    {
        await using var server = LoopbackOpenAiServer.Start(r => r.Index == 0 ? ScriptedReply.Error(503, "busy") : ScriptedReply.Text("fine"));
        var logger = new ListLogger();
        using var host = new ModelHost(new ModelLayerOptions { RetryBaseDelay = TimeSpan.Zero }, null, () => 0.5, _ => null) { Logger = logger };

        await host.GetClient(Spec(server)).GetResponseAsync([new(ChatRole.User, "secret prompt text")]);

        var line = Assert.Single(logger.Lines);
        Assert.Contains("attempt 1 failed (ServerError", line, StringComparison.Ordinal);
        Assert.DoesNotContain("secret prompt text", line, StringComparison.Ordinal);
    }
}
