using Microsoft.Extensions.AI;

namespace Dfid.Models.Batch;

/// <summary>One model request as it reaches the place of the response cache in the online layers: the request the
/// provider would get (spec options filled in) and its online response-cache key.</summary>
/// <param name="Spec">The model spec.</param>
/// <param name="Endpoint">The endpoint identity of the cache key (<see cref="ModelHost.EndpointIdentity"/>).</param>
/// <param name="CacheKey">The online response-cache key (<see cref="ResponseCacheChatClient.Key"/>).</param>
/// <param name="Messages">The messages (after the strict-JSON layer shaped them).</param>
/// <param name="Options">The options (spec options filled in; the sample index still in <c>dfid.sample</c>).</param>
internal sealed record BatchCall(ModelSpec Spec, string Endpoint, string CacheKey, IReadOnlyList<ChatMessage> Messages, ChatOptions? Options);

/// <summary>
/// Answers the model requests of a batch-executed run: from the run's provider batches, from the response cache, or not
/// yet (<see cref="AnswerDeferredException"/>: the request is registered for the next batch, or already in one).
/// </summary>
internal interface IBatchAnswers
{
    /// <summary>The answer to <paramref name="call"/> as the provider SDK's client returns it.</summary>
    /// <exception cref="AnswerDeferredException">The answer is not there yet.</exception>
    /// <exception cref="ModelCallException">The request failed inside a batch (recorded like an online failure).</exception>
    Task<ChatResponse> AnswerAsync(BatchCall call, CancellationToken cancellationToken);
}

/// <summary>
/// The answer of a model request is not there yet: it waits for a provider batch. The step that asked is not a failure
/// and writes nothing; it runs again once the batch has ended.
/// </summary>
/// <remarks>Passes through <see cref="AnswerGuard"/> and the strict-JSON layer (neither treats it as a failed call).</remarks>
internal sealed class AnswerDeferredException : Exception
{
    /// <summary>Creates the signal.</summary>
    public AnswerDeferredException()
        : base("the answer waits for a provider batch")
    {
    }

    /// <summary>Creates the signal with a message.</summary>
    public AnswerDeferredException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the signal with a message and a cause.</summary>
    public AnswerDeferredException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// The bottom of a batch-executed spec's layers, where the response cache sits online: computes the online cache key of
/// the request and asks <see cref="IBatchAnswers"/>. Nothing below it: a batch-executed request never goes to the network
/// from here (the batch executor submits it with the provider's batch API).
/// </summary>
internal sealed class BatchAnsweringChatClient(ModelSpec spec, string endpoint, IBatchAnswers answers) : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        return answers.AnswerAsync(new BatchCall(spec, endpoint, ResponseCacheChatClient.Key(spec, endpoint, list, options), list, options), cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"model {spec.Id}: streaming is not available in batch execution.");

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
