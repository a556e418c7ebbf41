using Microsoft.Extensions.AI;

namespace Dfid.Models;

/// <summary>
/// The outermost layer: times each call, attaches a <see cref="ModelCall"/> to the response
/// (<see cref="ModelCall.FromResponse"/>), and feeds the host's <see cref="UsageMeter"/> (answers, cache hits, tokens,
/// latency, failures by kind, cost). Also answers <c>GetService(typeof(ModelSpec))</c>.
/// </summary>
internal sealed class UsageChatClient(IChatClient inner, ModelSpec spec, ModelPrice? price, UsageMeter meter, TimeProvider clock) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var start = clock.GetTimestamp();
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (ModelCallException ex)
        {
            meter.RecordFailure(ex.Kind);
            throw;
        }
        var latency = clock.GetElapsedTime(start).TotalMilliseconds;
        var props = response.AdditionalProperties ??= [];
        var hit = props.TryGetValue(ResponseCacheChatClient.HitKey, out var h) && h is true;
        var attempts = props.TryGetValue(ResilientChatClient.AttemptsKey, out var a) && a is int n ? n : hit ? 0 : 1;
        if (props.TryGetValue(LlamaChatClient.PromptRequestedKey, out var req) && req is long requested
            && props.TryGetValue(LlamaChatClient.PromptEvaluatedKey, out var ev) && ev is long evaluated)
            meter.RecordLocalPrompt(requested, evaluated);
        props.Remove(LlamaChatClient.PromptRequestedKey);
        props.Remove(LlamaChatClient.PromptEvaluatedKey);
        props.Remove(ResponseCacheChatClient.HitKey);
        props.Remove(ResilientChatClient.AttemptsKey);
        long? prompt = response.Usage?.InputTokenCount, completion = response.Usage?.OutputTokenCount;
        decimal? cost = hit ? 0 : price?.Cost(prompt ?? 0, completion ?? 0);
        var call = new ModelCall(spec.Id, prompt, completion, latency, hit, attempts) { CostUsd = cost, CachedPromptTokens = response.Usage?.CachedInputTokenCount };
        props[ModelCall.ResponsePropertyKey] = call;
        meter.RecordAnswer(call, cost);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var start = clock.GetTimestamp();
        long? prompt = null, completion = null;
        await using var e = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync()) break;
            }
            catch (ModelCallException ex)
            {
                meter.RecordFailure(ex.Kind);
                throw;
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not DfidException)
            {
                meter.RecordFailure(FailureClassifier.Classify(ex, clock.GetUtcNow()).Kind);
                throw;
            }
            foreach (var u in e.Current.Contents.OfType<UsageContent>())
            {
                prompt = (prompt ?? 0) + u.Details.InputTokenCount;
                completion = (completion ?? 0) + u.Details.OutputTokenCount;
            }
            yield return e.Current;
        }
        var call = new ModelCall(spec.Id, prompt, completion, clock.GetElapsedTime(start).TotalMilliseconds, false, 1)
        {
            CostUsd = price?.Cost(prompt ?? 0, completion ?? 0),
        };
        meter.RecordAnswer(call, call.CostUsd);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ModelSpec) ? spec : base.GetService(serviceType, serviceKey);
}
