using System.Text.Json;
using System.Text.Json.Nodes;
using Dfid.Models;
using Dfid.Models.Batch;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace Dfid.Tests.Models;

/// <summary>
/// A batch request means what the online call means: the same request body on the wire, the same response-cache key,
/// and the same <see cref="ChatResponse"/> for the same provider answer. Each case runs one call both ways against one
/// loopback server speaking the provider's online and batch endpoints.
/// </summary>
public sealed class BatchRequestEquivalenceTests
{
    private const string Valid = """{"stage":"considering","emotion":"positive","convergence_delta":0.25,"key_signal":"asks how to donate"}""";

    private static readonly ChatMessage[] Conversation =
    [
        new(ChatRole.System, "You label the persuadee's decision state."),
        new(ChatRole.User, "Persuader: would you give $1?"),
        new(ChatRole.Assistant, "Persuadee: maybe."),
        new(ChatRole.User, "Label the last persuadee turn."),
    ];

    /// <summary>Provider, spec options, and whether the call asks for strict JSON.</summary>
    public static TheoryData<string, string, bool> Cases => new()
    {
        { "openai", ";top_p=0.9;seed=11;max_tokens=300", false },
        { "openai", ";temperature=0.7", true },
        { "openai", ";json_mode=prompt;seed=5", true },
        { "anthropic", ";max_tokens=200;temperature=0.3", false },
        { "anthropic", "", true },
    };

    private static ChatOptions CallerOptions() => new()
    {
        Temperature = 0.2f,
        AdditionalProperties = new() { [ModelHost.SampleKey] = 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BatchRequest_SameCallOnlineAndBatch_SameBodyCacheKeyAndResponse(string provider, string specOptions, bool json)
    {
        var outcome = BatchOutcome.Text(json ? Valid : "maybe means considering", promptTokens: 120, completionTokens: 30, cachedPromptTokens: 96) with { Id = "answer-1" };
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = _ => outcome });
        var spec = BatchProviderTests.Spec(server, provider, specOptions);
        var cachePath = Path.Combine(TestData.TempDir(), "cache.sqlite");
        using var host = new ModelHost(new ModelLayerOptions { CachePath = cachePath }, null, () => 0.5, _ => null);
        using var batches = BatchProviders.Create(spec, _ => null);
        var format = new JsonAnswerFormat(StrictJsonTests.StateSchema, "decision_state");

        // Online, through the host every run uses.
        ChatResponse? online = null;
        if (json)
        {
            var answer = await host.GetClient(spec).GetJsonAsync(Conversation, StrictJsonTests.StateSchema, "decision_state", CallerOptions());
            Assert.True(answer.IsSuccess, answer.Error);
        }
        else online = await host.GetClient(spec).GetResponseAsync(Conversation, CallerOptions());
        var onlineBody = Assert.Single(server.Requests).Json!.Value;

        // Batch: prepare, submit, read back.
        var prepared = await batches.PrepareAsync(new BatchRequest("call-1", Conversation, CallerOptions(), json ? format : null));
        var id = await batches.SubmitAsync([prepared]);
        Assert.Equal(BatchState.Completed, (await batches.GetStatusAsync(id)).State);
        var result = Assert.Single(await batches.GetResultsAsync(id).ToListAsync());
        var batchBody = Assert.Single(Assert.Single(server.Batches).Items).Body;

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(onlineBody.GetRawText()), JsonNode.Parse(batchBody.GetRawText())),
            $"online body:\n{onlineBody}\nbatch body:\n{batchBody}");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(onlineBody.GetRawText()), JsonNode.Parse(prepared.Body.Span)));
        Assert.NotNull(new ResponseCache(cachePath, TimeProvider.System).TryGet(prepared.CacheKey));
        Assert.Equal(json ? spec.EffectiveJsonMode : null, prepared.JsonMode);
        // Anthropic messages carry no creation time: its adapter stamps the time the answer is read, online or batch.
        if (online is not null) Assert.Equal(Comparable(online, provider == "openai"), Comparable(result.Response!, provider == "openai"));
        Assert.Equal(json ? Valid : "maybe means considering", result.Response!.Text);
        Assert.Equal(96, result.Response.Usage!.CachedInputTokenCount);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task BatchRequest_BatchAnswerStoredUnderItsKey_IsACacheHitOnline(string provider, string specOptions, bool json)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { Answer = _ => BatchOutcome.Text(json ? Valid : "from the batch") });
        var spec = BatchProviderTests.Spec(server, provider, specOptions);
        var cachePath = Path.Combine(TestData.TempDir(), "cache.sqlite");
        using var batches = BatchProviders.Create(spec, _ => null);
        var prepared = await batches.PrepareAsync(new BatchRequest("call-1", Conversation, CallerOptions(), json ? new JsonAnswerFormat(StrictJsonTests.StateSchema, "decision_state") : null));
        var id = await batches.SubmitAsync([prepared]);
        await batches.GetStatusAsync(id);
        var result = Assert.Single(await batches.GetResultsAsync(id).ToListAsync());
        // What the executor will do with a batch answer: store it under the online key.
        new ResponseCache(cachePath, TimeProvider.System).Put(prepared.CacheKey, spec.Id, JsonSerializer.Serialize(result.Response, AIJsonUtilities.DefaultOptions));
        var before = server.Requests.Count;

        using var host = new ModelHost(new ModelLayerOptions { CachePath = cachePath }, null, () => 0.5, _ => null);
        string text;
        if (json)
        {
            var answer = await host.GetClient(spec).GetJsonAsync(Conversation, StrictJsonTests.StateSchema, "decision_state", CallerOptions());
            Assert.True(answer.IsSuccess);
            Assert.True(answer.Call!.CacheHit);
            text = answer.RawText!;
        }
        else
        {
            var response = await host.GetClient(spec).GetResponseAsync(Conversation, CallerOptions());
            Assert.True(ModelCall.FromResponse(response)!.CacheHit);
            text = response.Text;
        }

        Assert.Equal(json ? Valid : "from the batch", text);
        Assert.Equal(before, server.Requests.Count);
    }

    [Fact]
    public async Task BatchRequest_DifferentSampleIndex_DifferentKeyAndSeed()
    {
        await using var server = LoopbackBatchServer.Start();
        using var batches = BatchProviders.Create(BatchProviderTests.Spec(server, "openai", ";seed=100"), _ => null);

        var first = await batches.PrepareAsync(new BatchRequest("s0", Conversation, new ChatOptions { AdditionalProperties = new() { [ModelHost.SampleKey] = 0 } }));
        var second = await batches.PrepareAsync(new BatchRequest("s1", Conversation, new ChatOptions { AdditionalProperties = new() { [ModelHost.SampleKey] = 1 } }));

        Assert.NotEqual(first.CacheKey, second.CacheKey);
        Assert.Equal(100, JsonElement.Parse(first.Body.Span).GetProperty("seed").GetInt64());
        Assert.Equal(101, JsonElement.Parse(second.Body.Span).GetProperty("seed").GetInt64());
        Assert.DoesNotContain("dfid", System.Text.Encoding.UTF8.GetString(second.Body.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlineCallMirror_ConcurrentPrepares_EachGetsItsOwnBodyWithoutNetwork()
    {
        // Port 9 (discard) on loopback: nothing listens; preparing never sends anything.
        var spec = ModelSpec.Parse("openai:m@http://127.0.0.1:9/v1");
        using var mirror = new OnlineCallMirror(spec, spec.Endpoint);
        var format = new JsonAnswerFormat(StrictJsonTests.StateSchema, "decision_state");

        var prepared = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() =>
            mirror.PrepareAsync(new BatchRequest($"r{i}", [new(ChatRole.User, $"turn {i}")], null, i % 2 == 0 ? format : null)))));

        for (var i = 0; i < prepared.Length; i++)
        {
            var body = JsonElement.Parse(prepared[i].Body.Span);
            Assert.Equal($"turn {i}", body.GetProperty("messages")[0].GetProperty("content").GetString());
            Assert.Equal(i % 2 == 0, body.TryGetProperty("response_format", out _));
        }
        Assert.Equal(64, prepared.Select(p => p.CacheKey).Distinct().Count());
    }

    [Fact]
    public void OnlineCallMirror_Compact_RemovesOnlyWhitespaceBetweenTokens()
    {
        var json = "{\n  \"a b\": \"x \\\" \\n y\",\r\n\t\"c\": [ 1, 2 ]\n}"u8;

        var compact = System.Text.Encoding.UTF8.GetString(OnlineCallMirror.Compact(json));

        Assert.Equal("{\"a b\":\"x \\\" \\n y\",\"c\":[1,2]}", compact);
    }

    /// <summary>A response as JSON without the dfid layers' bookkeeping.</summary>
    private static string Comparable(ChatResponse response, bool withCreatedAt)
    {
        var messages = response.Messages.Select(m => new ChatMessage(m.Role, m.Contents)
        {
            AuthorName = m.AuthorName,
            MessageId = m.MessageId,
            CreatedAt = withCreatedAt ? m.CreatedAt : null,
            AdditionalProperties = m.AdditionalProperties,
        }).ToList();
        var clone = new ChatResponse(messages)
        {
            ResponseId = response.ResponseId,
            ModelId = response.ModelId,
            CreatedAt = withCreatedAt ? response.CreatedAt : null,
            FinishReason = response.FinishReason,
            Usage = response.Usage,
        };
        if (response.AdditionalProperties is { } props)
            foreach (var (k, v) in props.Where(p => !p.Key.StartsWith("dfid.", StringComparison.Ordinal)))
                (clone.AdditionalProperties ??= [])[k] = v;
        return JsonSerializer.Serialize(clone, AIJsonUtilities.DefaultOptions);
    }
}
