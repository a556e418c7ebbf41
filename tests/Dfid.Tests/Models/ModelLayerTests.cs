using System.Text.Json;
using Dfid.Models;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static Dfid.Tests.Models.ModelTestKit;

namespace Dfid.Tests.Models;

/// <summary>Cache, rate limit and budget layers, observed from the loopback server's side.</summary>
public sealed class ModelLayerTests
{
    private static ChatMessage[] Ask(string text) => [new(ChatRole.User, text)];

    /// <summary>One request outside the measured host (JIT, connection), so measured requests reach the server promptly.</summary>
    private static async Task WarmUpAsync(LoopbackOpenAiServer server)
    {
        using var warm = Host(new ModelLayerOptions());
        await warm.GetClient(Spec(server)).GetResponseAsync(Ask("warm-up"));
    }

    private static ChatOptions Sample(int i) => new() { AdditionalProperties = new() { ["dfid.sample"] = i } };

    [Fact]
    public async Task ResponseCache_SecondIdenticalRun_MakesZeroRequests()
    {
        var cache = Path.Combine(TestData.TempDir(), "cache.sqlite");
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.Text("answer " + r.Index, 5, 2));
        string[] first, second;
        using (var host = Host(new ModelLayerOptions { CachePath = cache }))
        {
            var c = host.GetClient(Spec(server));
            first = [.. await Task.WhenAll(Enumerable.Range(0, 5).Select(async i => (await c.GetResponseAsync(Ask("q" + i))).Text))];
            Assert.Equal(5, host.Usage.Snapshot().CacheMisses);
        }
        using (var host = Host(new ModelLayerOptions { CachePath = cache }))
        {
            var c = host.GetClient(Spec(server));
            var responses = new List<ChatResponse>();
            for (var i = 0; i < 5; i++) responses.Add(await c.GetResponseAsync(Ask("q" + i)));
            second = [.. responses.Select(r => r.Text)];
            Assert.All(responses, r => Assert.True(ModelCall.FromResponse(r)!.CacheHit));
            Assert.All(responses, r => Assert.Equal(0, ModelCall.FromResponse(r)!.Attempts));
            var usage = host.Usage.Snapshot();
            Assert.Equal((5L, 0L, 0L), (usage.CacheHits, usage.CacheMisses, usage.Requests));
            Assert.Equal(0m, usage.CostUsd);
        }

        Assert.Equal(first, second);
        Assert.Equal(5, server.RequestCount);
    }

    [Fact]
    public async Task ResponseCache_ChangedOptionOrSampleIndex_Misses()
    {
        var cache = Path.Combine(TestData.TempDir(), "cache.sqlite");
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.Text("a" + r.Index));
        using var host = Host(new ModelLayerOptions { CachePath = cache });

        await host.GetClient(Spec(server)).GetResponseAsync(Ask("q"), Sample(0));
        await host.GetClient(Spec(server)).GetResponseAsync(Ask("q"), Sample(0)); // hit
        await host.GetClient(Spec(server, options: ";temperature=0.9")).GetResponseAsync(Ask("q"), Sample(0)); // spec option changed
        await host.GetClient(Spec(server)).GetResponseAsync(Ask("q"), Sample(1)); // another sample
        await host.GetClient(Spec(server)).GetResponseAsync(Ask("q"), new ChatOptions { MaxOutputTokens = 9, AdditionalProperties = new() { ["dfid.sample"] = 0 } });
        await host.GetClient(Spec(server, "other-model")).GetResponseAsync(Ask("q"), Sample(0));

        Assert.Equal(5, server.RequestCount);
        Assert.Equal(1, host.Usage.Snapshot().CacheHits);
        // The sample index is ours: it never reaches the provider.
        Assert.All(server.Requests, r => Assert.DoesNotContain("dfid", r.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResponseCache_SameSpecOtherBaseUrl_Misses()
    {
        var cache = Path.Combine(TestData.TempDir(), "cache.sqlite");
        await using var a = LoopbackOpenAiServer.Start("from a");
        await using var b = LoopbackOpenAiServer.Start("from b");
        ModelHost HostFor(LoopbackOpenAiServer s) => new(new ModelLayerOptions { CachePath = cache }, null, () => 0.5,
            n => n == "OPENAI_BASE_URL" ? s.BaseUrl.ToString() : null);

        using (var host = HostFor(a)) Assert.Equal("from a", (await host.GetClient("openai:m").GetResponseAsync(Ask("q"))).Text);
        using (var host = HostFor(b)) Assert.Equal("from b", (await host.GetClient("openai:m").GetResponseAsync(Ask("q"))).Text);
        using (var host = HostFor(a)) Assert.Equal("from a", (await host.GetClient("openai:m").GetResponseAsync(Ask("q"))).Text);

        Assert.Equal((1, 1), (a.RequestCount, b.RequestCount));
    }

    [Fact]
    public async Task ResponseCache_TwoHostsOnOneFileConcurrently_StayConsistent()
    {
        var cache = Path.Combine(TestData.TempDir(), "cache.sqlite");
        await using var server = LoopbackOpenAiServer.Start(r => ScriptedReply.Text("x"));
        using var a = Host(new ModelLayerOptions { CachePath = cache, MaxConcurrency = 16 });
        using var b = Host(new ModelLayerOptions { CachePath = cache, MaxConcurrency = 16 });

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => (i % 2 == 0 ? a : b).GetClient(Spec(server)).GetResponseAsync(Ask("q" + (i % 20)))));
        using var c = Host(new ModelLayerOptions { CachePath = cache });
        var before = server.RequestCount;
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => c.GetClient(Spec(server)).GetResponseAsync(Ask("q" + i))));

        Assert.InRange(before, 20, 40);
        Assert.Equal(before, server.RequestCount);
        Assert.Equal(20, c.Usage.Snapshot().CacheHits);
    }

    [Fact]
    public async Task RateLimit_RequestsPerMinute_ServerNeverSeesMoreInAnyMinute()
    {
        var clock = new FakeTimeProvider();
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok"), clock);
        using var host = Host(new ModelLayerOptions { RequestsPerMinute = 3, MaxConcurrency = 8 }, clock);
        var client = host.GetClient(Spec(server));
        await WarmUpAsync(server);
        var start = clock.GetUtcNow();

        await Drive(clock, Task.WhenAll(Enumerable.Range(0, 8).Select(i => client.GetResponseAsync(Ask("q" + i)))), TimeSpan.FromMilliseconds(250));

        var times = server.Requests.Skip(1).Select(r => r.ReceivedAt).Order().ToList();
        Assert.Equal(8, times.Count);
        // Fake time keeps running while a request travels to the server, so allow a few seconds of skew.
        foreach (var t in times)
            Assert.True(times.Count(u => u >= t && u < t + TimeSpan.FromSeconds(55)) <= 3, $"more than 3 requests in the minute from {t}");
        // 8 requests at 3/minute need at least two full minutes.
        Assert.True(times[^1] - start >= TimeSpan.FromMinutes(2));
        Assert.True(times[^1] - start < TimeSpan.FromMinutes(3), "the limiter should not wait longer than needed");
    }

    [Fact]
    public async Task RateLimit_TokensPerMinute_Observed()
    {
        var clock = new FakeTimeProvider();
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok"), clock);
        // Each request: max_tokens 100 + a ~2-token prompt estimate, so 250 tokens/minute admit two per minute.
        using var host = Host(new ModelLayerOptions { TokensPerMinute = 250 }, clock);
        var client = host.GetClient(Spec(server, options: ";max_tokens=100"));
        await WarmUpAsync(server);
        var start = clock.GetUtcNow();

        await Drive(clock, Task.WhenAll(Enumerable.Range(0, 5).Select(i => client.GetResponseAsync(Ask("q" + i)))), TimeSpan.FromMilliseconds(250));

        var times = server.Requests.Skip(1).Select(r => r.ReceivedAt).Order().ToList();
        Assert.Equal(5, times.Count);
        foreach (var t in times)
            Assert.True(times.Count(u => u >= t && u < t + TimeSpan.FromSeconds(55)) <= 2, $"more than 2 requests in the minute from {t}");
        Assert.True(times[^1] - start >= TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task Concurrency_Limit_ServerSeesAtMostThatMany()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok").After(TimeSpan.FromMilliseconds(50)));
        using var host = Host(new ModelLayerOptions { MaxConcurrency = 3 });
        var client = host.GetClient(Spec(server));

        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => client.GetResponseAsync(Ask("q" + i))));

        Assert.Equal(3, server.MaxConcurrentRequests);
    }

    [Fact]
    public async Task Budget_MaxCalls_StopsBeforeTheCapAndSendsNothingPastIt()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok"));
        using var host = Host(new ModelLayerOptions { MaxCalls = 3 });
        var client = host.GetClient(Spec(server));

        var done = 0;
        var ex = await Assert.ThrowsAsync<BudgetExhaustedException>(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await client.GetResponseAsync(Ask("q" + i));
                done++;
            }
        });

        Assert.Equal(3, done);
        Assert.Equal(3, server.RequestCount);
        Assert.Contains("max_calls", ex.Message, StringComparison.Ordinal);
        Assert.Contains("re-run to continue", ex.Message, StringComparison.Ordinal);
        Assert.Equal(3, ex.Usage.Calls);
    }

    [Fact]
    public async Task Budget_ConcurrentCalls_NeverOvershootTheCap()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok").After(TimeSpan.FromMilliseconds(30)));
        using var host = Host(new ModelLayerOptions { MaxCalls = 5, MaxConcurrency = 16 });
        var client = host.GetClient(Spec(server));

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            try
            {
                await client.GetResponseAsync(Ask("q" + i));
                return "ok";
            }
            catch (BudgetExhaustedException)
            {
                return "stopped";
            }
        }));

        Assert.Equal(5, outcomes.Count(o => o == "ok"));
        Assert.Equal(5, server.RequestCount);
    }

    [Fact]
    public async Task Budget_MaxCost_RefusesTheCallThatCouldPassTheCap()
    {
        await using var server = LoopbackOpenAiServer.Start(_ => ScriptedReply.Text("ok", promptTokens: 20, completionTokens: 10));
        // $1000 per million tokens = $0.001 per token: each answer costs (20 + 10) * 0.001 = $0.03.
        var prices = PriceTable.FromJson("""{"models": {"pricey": {"input_per_million": 1000, "output_per_million": 1000}}}""", "test");
        using var host = Host(new ModelLayerOptions { MaxCostUsd = 0.10m, Prices = prices });
        var client = host.GetClient(Spec(server, "pricey", ";max_tokens=10"));

        var done = 0;
        var ex = await Assert.ThrowsAsync<BudgetExhaustedException>(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                await client.GetResponseAsync(Ask("hi"));
                done++;
            }
        });

        // After 3 answers $0.09 is spent; the 4th could cost up to (2-token prompt estimate + 10) * 0.001 = $0.012 > $0.01 left.
        Assert.Equal(3, done);
        Assert.Equal(3, server.RequestCount);
        Assert.Equal(0.09m, host.Usage.Snapshot().CostUsd);
        Assert.Contains("max_cost_usd", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Budget_MaxCostWithUnknownPrice_IsAConfigurationError()
    {
        await using var server = LoopbackOpenAiServer.Start("x");
        using var host = Host(new ModelLayerOptions { MaxCostUsd = 1m });

        var ex = await Assert.ThrowsAsync<DfidException>(() => host.GetClient(Spec(server, "mystery")).GetResponseAsync(Ask("q")));

        Assert.Contains("price of openai:mystery", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.RequestCount);
    }

    [Fact]
    public void ModelLayerOptions_Invalid_AllErrorsReportedTogether()
    {
        var ex = Assert.Throws<DfidException>(() => new ModelLayerOptions { MaxConcurrency = 0, RequestsPerMinute = 0, MaxCostUsd = -1 }.Validate());

        Assert.Contains("concurrency", ex.Message, StringComparison.Ordinal);
        Assert.Contains("requests_per_minute", ex.Message, StringComparison.Ordinal);
        Assert.Contains("max_cost_usd", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsageMeter_Quantiles_NearestRank()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20];

        Assert.Equal(10, UsageMeter.Quantile(sorted, 0.5));
        Assert.Equal(19, UsageMeter.Quantile(sorted, 0.95));
        Assert.True(double.IsNaN(UsageMeter.Quantile([], 0.5)));
    }
}
