using System.Text.Json;
using Dfid.Models;
using Dfid.Models.Batch;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.AI;

namespace Dfid.Tests.Models;

/// <summary>The batch providers through the real OpenAI and Anthropic SDK clients over loopback HTTP.</summary>
public sealed class BatchProviderTests
{
    private static readonly BatchPollOptions FastPolls = new() { InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };

    public static TheoryData<string> Providers => ["openai", "anthropic"];

    internal static IBatchProvider Provider(LoopbackBatchServer server, string provider, string options = "", BatchLimits? limits = null) =>
        BatchProviders.Create(Spec(server, provider, options), _ => null, new BatchProviderOptions { Limits = limits, NetworkTimeout = TimeSpan.FromSeconds(20) });

    internal static ModelSpec Spec(LoopbackBatchServer server, string provider, string options = "") =>
        ModelSpec.Parse(provider == "openai" ? $"openai:gpt-test@{server.BaseUrl}{options}" : $"anthropic:claude-test@{server.Root}{options}");

    private static async Task<List<PreparedBatchRequest>> Prepare(IBatchProvider provider, params string[] ids)
    {
        var list = new List<PreparedBatchRequest>();
        foreach (var id in ids)
            list.Add(await provider.PrepareAsync(new BatchRequest(id, [new(ChatRole.System, "label turns"), new(ChatRole.User, "turn of " + id)])));
        return list;
    }

    private static async Task<Dictionary<string, BatchItemResult>> Results(IBatchProvider provider, string batchId)
    {
        var results = new Dictionary<string, BatchItemResult>();
        await foreach (var r in provider.GetResultsAsync(batchId)) results.Add(r.CustomId, r);
        return results;
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_SubmitPollResults_AnswersEachCustomIdWithUsage(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript
        {
            Answer = i => BatchOutcome.Text("answer to " + i.CustomId, promptTokens: 40, completionTokens: 7, cachedPromptTokens: 32),
            InProgressPolls = 3,
        });
        using var batches = Provider(server, provider);
        var requests = await Prepare(batches, "p-1", "p-2", "p-3");
        var seen = new List<BatchStatus>();

        var id = await batches.SubmitAsync(requests);
        var final = await new BatchPoller(batches, FastPolls).WaitAsync(id, new SyncProgress<BatchStatus>(seen.Add));
        var reads = Assert.Single(server.Batches).StatusReads;
        var results = await Results(batches, id);

        Assert.Equal(BatchState.Completed, final.State);
        Assert.Equal(new BatchRequestCounts(3, 3, 0), final.Counts);
        Assert.Equal([BatchState.InProgress, BatchState.InProgress, BatchState.InProgress, BatchState.Completed], seen.Select(s => s.State));
        Assert.Equal(4, reads);
        Assert.Equal(["p-1", "p-2", "p-3"], results.Keys.Order());
        foreach (var (customId, result) in results)
        {
            Assert.True(result.IsSuccess);
            Assert.Equal("answer to " + customId, result.Response!.Text);
            Assert.Equal(provider == "openai" ? "gpt-test" : "claude-test", result.Response.ModelId);
            Assert.Equal(ChatFinishReason.Stop, result.Response.FinishReason);
            Assert.Equal(7, result.Response.Usage!.OutputTokenCount);
            Assert.Equal(32, result.Response.Usage.CachedInputTokenCount);
        }
        // The server got the requests in order, each under its custom id, with the model of the spec.
        Assert.Equal(["p-1", "p-2", "p-3"], server.Batches[0].Items.Select(i => i.CustomId));
        Assert.All(server.Batches[0].Items, i => Assert.Equal(provider == "openai" ? "gpt-test" : "claude-test", i.Model));
        if (provider == "openai")
        {
            var upload = Assert.Single(server.Uploads.Values);
            Assert.Equal("batch", upload.Purpose);
            Assert.EndsWith(".jsonl", upload.FileName, StringComparison.Ordinal);
            var line = JsonElement.Parse(upload.Text.Split('\n')[0]);
            Assert.Equal(("p-1", "POST", "/v1/chat/completions"), (line.GetProperty("custom_id").GetString(), line.GetProperty("method").GetString(), line.GetProperty("url").GetString()));
            Assert.Equal(upload.Text.Length, requests.Sum(r => (int)batches.Limits.SizeOf(r)));
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_PartialFailures_ReturnedPerItemWithProviderMessage(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript
        {
            Answer = i => i.CustomId switch
            {
                "bad" => BatchOutcome.Error(400, "max_tokens is too large", "invalid_request_error"),
                "busy" => BatchOutcome.Error(500, "the engine is overloaded", "overloaded_error"),
                _ => BatchOutcome.Text("fine"),
            },
        });
        using var batches = Provider(server, provider);
        var id = await batches.SubmitAsync(await Prepare(batches, "ok-1", "bad", "busy", "ok-2"));

        var final = await new BatchPoller(batches, FastPolls).WaitAsync(id);
        var results = await Results(batches, id);

        Assert.Equal(BatchState.Completed, final.State);
        Assert.Equal(new BatchRequestCounts(4, 2, 2), final.Counts);
        Assert.Equal("fine", results["ok-1"].Response!.Text);
        Assert.Equal("fine", results["ok-2"].Response!.Text);
        var bad = results["bad"].Failure!;
        Assert.Equal((BatchFailureKind.BadRequest, "max_tokens is too large", false), (bad.Kind, bad.Message, bad.Retryable));
        var busy = results["busy"].Failure!;
        Assert.Equal((BatchFailureKind.ServerError, "the engine is overloaded", true), (busy.Kind, busy.Message, busy.Retryable));
        Assert.Equal(ModelFailureKind.ServerError, busy.ToModelFailureKind());
        if (provider == "openai") Assert.Equal((400, 500), (bad.StatusCode, busy.StatusCode));
        else Assert.Equal(("invalid_request_error", "overloaded_error"), (bad.Code, busy.Code));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_ExpiredBatch_ReturnsFinishedItemsAndExpiredOnesAsTypedFailures(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript
        {
            Answer = i => i.CustomId is "late-1" or "late-2" ? BatchOutcome.Unfinished() : BatchOutcome.Text("done " + i.CustomId),
            InProgressPolls = 1,
        });
        using var batches = Provider(server, provider);
        var id = await batches.SubmitAsync(await Prepare(batches, "a", "late-1", "b", "late-2"));

        var final = await new BatchPoller(batches, FastPolls).WaitAsync(id);
        var results = await Results(batches, id);

        Assert.Equal(BatchState.Expired, final.State);
        Assert.Equal(new BatchRequestCounts(4, 2, 2), final.Counts);
        Assert.Equal(4, results.Count);
        Assert.Equal("done a", results["a"].Response!.Text);
        Assert.Equal("done b", results["b"].Response!.Text);
        foreach (var late in new[] { "late-1", "late-2" })
        {
            var f = results[late].Failure!;
            Assert.Equal(BatchFailureKind.Expired, f.Kind);
            Assert.True(f.Retryable);
            Assert.Equal(provider == "openai" ? "batch_expired" : "expired", f.Code);
            Assert.Equal(ModelFailureKind.Timeout, f.ToModelFailureKind());
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_Cancel_UnfinishedItemsComeBackCancelled(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript
        {
            Answer = i => i.CustomId == "slow" ? BatchOutcome.Unfinished() : BatchOutcome.Text("quick"),
            InProgressPolls = 100,
        });
        using var batches = Provider(server, provider);
        var id = await batches.SubmitAsync(await Prepare(batches, "quick", "slow"));

        var during = await batches.GetStatusAsync(id);
        var cancelling = await batches.CancelAsync(id);
        var final = await new BatchPoller(batches, FastPolls).WaitAsync(id);
        var results = await Results(batches, id);

        Assert.Equal(BatchState.InProgress, during.State);
        Assert.Equal(new BatchRequestCounts(2, 0, 0), during.Counts);
        Assert.Equal(BatchState.Cancelling, cancelling.State);
        Assert.Equal(BatchState.Cancelled, final.State);
        Assert.Equal("quick", results["quick"].Response!.Text);
        Assert.Equal(BatchFailureKind.Cancelled, results["slow"].Failure!.Kind);
        Assert.True(Assert.Single(server.Batches).CancelAsked);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_OverLimit_RefusedBeforeSendingAndSplitIntoBatchesThatFit(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { MaxRequests = 2 });
        using var batches = Provider(server, provider, limits: new BatchLimits(2, 1_000_000, 64));
        var requests = await Prepare(batches, "r1", "r2", "r3", "r4", "r5");

        var refused = await Assert.ThrowsAsync<DfidException>(() => batches.SubmitAsync(requests));
        Assert.Empty(server.Requests);
        Assert.Contains("5 requests, more than the 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains("BatchChunks.Split", refused.Message, StringComparison.Ordinal);

        var chunks = BatchChunks.Split(requests, batches.Limits);
        var ids = new List<string>();
        foreach (var chunk in chunks) ids.Add(await batches.SubmitAsync(chunk));
        var answered = new List<string>();
        foreach (var id in ids)
        {
            Assert.Equal(BatchState.Completed, (await new BatchPoller(batches, FastPolls).WaitAsync(id)).State);
            answered.AddRange((await Results(batches, id)).Values.Where(r => r.IsSuccess).Select(r => r.CustomId));
        }

        Assert.Equal([2, 2, 1], chunks.Select(c => c.Count));
        Assert.Equal(["r1", "r2", "r3", "r4", "r5"], answered.Order());
        Assert.Equal([2, 2, 1], server.Batches.Select(b => b.Items.Count));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_BadOrRepeatedCustomIds_RefusedWithoutSending(string provider)
    {
        await using var server = LoopbackBatchServer.Start();
        using var batches = Provider(server, provider);

        var bad = await Assert.ThrowsAsync<DfidException>(() => batches.PrepareAsync(new BatchRequest("conv 1/turn 2", [new(ChatRole.User, "x")])));
        var twice = await Prepare(batches, "same", "same");
        var repeated = await Assert.ThrowsAsync<DfidException>(() => batches.SubmitAsync(twice));

        Assert.Contains("'conv 1/turn 2' is not valid", bad.Message, StringComparison.Ordinal);
        Assert.Contains("'same' appears twice", repeated.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_ResultsBeforeEnd_RefusedWithHowToWait(string provider)
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { InProgressPolls = 10 });
        using var batches = Provider(server, provider);
        var id = await batches.SubmitAsync(await Prepare(batches, "x"));

        var ex = await Assert.ThrowsAsync<DfidException>(async () => await Results(batches, id));

        Assert.Contains("InProgress", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BatchPoller", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task BatchProvider_UnknownBatchId_ModelCallExceptionNotRetryable(string provider)
    {
        await using var server = LoopbackBatchServer.Start();
        using var batches = Provider(server, provider);

        var ex = await Assert.ThrowsAsync<ModelCallException>(() => batches.GetStatusAsync("batch_nope"));

        Assert.Equal((ModelFailureKind.BadRequest, 404), (ex.Kind, ex.StatusCode));
        Assert.Contains("batch_nope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenAiBatchProvider_ServerRejectsInput_FailedStateWithProviderErrors()
    {
        await using var server = LoopbackBatchServer.Start(new BatchScript { MaxRequests = 1 });
        using var batches = Provider(server, "openai");
        var id = await batches.SubmitAsync(await Prepare(batches, "a", "b"));

        var final = await new BatchPoller(batches, FastPolls).WaitAsync(id);
        var results = await Results(batches, id);

        Assert.Equal(BatchState.Failed, final.State);
        Assert.Equal("the input file has 2 requests; at most 1 are allowed", final.Error);
        Assert.Empty(results);
    }

    [Fact]
    public async Task OpenAiBatchProvider_Metadata_SentWithBatch()
    {
        await using var server = LoopbackBatchServer.Start();
        using var batches = BatchProviders.Create(Spec(server, "openai"), _ => null,
            new BatchProviderOptions { Metadata = new Dictionary<string, string> { ["dfid_run"] = "run-7" } });

        await batches.SubmitAsync(await Prepare(batches, "a"));

        var create = server.Requests.Single(r => r.Path == "/v1/batches");
        Assert.Equal("run-7", create.Json!.Value.GetProperty("metadata").GetProperty("dfid_run").GetString());
        Assert.Equal("24h", create.Json.Value.GetProperty("completion_window").GetString());
    }

    [Fact]
    public void BatchProviders_Gguf_RefusedWithReason()
    {
        var ex = Assert.Throws<DfidException>(() => BatchProviders.Create(ModelSpec.Parse("gguf:/models/tiny.gguf"), _ => null));

        Assert.Contains("gguf: models run locally", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BatchProviders_RemoteOpenAiWithoutKey_NamesTheVariable()
    {
        var ex = Assert.Throws<DfidException>(() => BatchProviders.Create(ModelSpec.Parse("openai:gpt-4o-mini"), _ => null));

        Assert.Contains("OPENAI_API_KEY", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Reports synchronously (<see cref="Progress{T}"/> posts to the thread pool, out of order).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
