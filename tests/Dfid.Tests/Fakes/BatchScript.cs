using System.Text.Json;

namespace Dfid.Tests.Fakes;

/// <summary>One request of a batch as <see cref="LoopbackBatchServer"/> received it.</summary>
/// <param name="Provider"><c>openai</c> or <c>anthropic</c>.</param>
/// <param name="BatchId">The batch it came in.</param>
/// <param name="CustomId">Its custom id.</param>
/// <param name="Body">The request body (OpenAI line <c>body</c>, Anthropic <c>params</c>).</param>
public sealed record BatchItem(string Provider, string BatchId, string CustomId, JsonElement Body)
{
    /// <summary>The body's <c>model</c>.</summary>
    public string Model => Body.TryGetProperty("model", out var m) ? m.GetString() ?? "" : "";
}

/// <summary>What <see cref="LoopbackBatchServer"/> does with one request of a batch: answer it, fail it, or never get to it.</summary>
public sealed record BatchOutcome
{
    /// <summary>The answer's text; null for a failure or a request that never runs.</summary>
    public string? Content { get; init; }

    /// <summary>The answer's id (chat completion <c>id</c>, Anthropic message <c>id</c>); null for one derived from the custom id.</summary>
    public string? Id { get; init; }

    /// <summary>Prompt tokens in <c>usage</c>. <value>The default value is 10.</value></summary>
    public int PromptTokens { get; init; } = 10;

    /// <summary>Completion tokens in <c>usage</c>. <value>The default value is 5.</value></summary>
    public int CompletionTokens { get; init; } = 5;

    /// <summary>Cached prompt tokens (OpenAI <c>prompt_tokens_details.cached_tokens</c>, Anthropic <c>cache_read_input_tokens</c>); null leaves them out.</summary>
    public int? CachedPromptTokens { get; init; }

    /// <summary>OpenAI <c>finish_reason</c> (Anthropic: <c>length</c> → <c>max_tokens</c>, else <c>end_turn</c>). <value>The default value is <c>stop</c>.</value></summary>
    public string FinishReason { get; init; } = "stop";

    /// <summary>For a failed request: the HTTP status it gets inside the batch (OpenAI error file), or any value for Anthropic.</summary>
    public int? ErrorStatus { get; init; }

    /// <summary>For a failed request: the error type (OpenAI <c>error.type</c>, Anthropic <c>error.error.type</c>).</summary>
    public string ErrorType { get; init; } = "invalid_request_error";

    /// <summary>For a failed request: the provider's message.</summary>
    public string ErrorMessage { get; init; } = "scripted error";

    /// <summary>The request never runs: it expires with the batch (or is cancelled when the batch is).</summary>
    public bool NeverRuns { get; init; }

    /// <summary>An answer.</summary>
    public static BatchOutcome Text(string content, int promptTokens = 10, int completionTokens = 5, int? cachedPromptTokens = null) =>
        new() { Content = content, PromptTokens = promptTokens, CompletionTokens = completionTokens, CachedPromptTokens = cachedPromptTokens };

    /// <summary>A request that fails inside the batch.</summary>
    public static BatchOutcome Error(int status, string message, string type = "invalid_request_error") =>
        new() { ErrorStatus = status, ErrorMessage = message, ErrorType = type };

    /// <summary>A request the batch never gets to: the batch ends expired (or cancelled, when a cancel was asked).</summary>
    public static BatchOutcome Unfinished() => new() { NeverRuns = true };
}

/// <summary>How <see cref="LoopbackBatchServer"/> runs the batches it is given.</summary>
public sealed record BatchScript
{
    /// <summary>The outcome of each request, from its custom id and body; decided when the batch is created (online calls get an empty custom id). <value>The default value answers <c>ok CUSTOM_ID</c>.</value></summary>
    public Func<BatchItem, BatchOutcome> Answer { get; init; } = item => BatchOutcome.Text("ok " + item.CustomId);

    /// <summary>How many status reads of a batch answer "in progress" before it ends. <value>The default value is 0: the first read finds it ended.</value></summary>
    public int InProgressPolls { get; init; }

    /// <summary>A server-side request limit: a batch with more requests fails validation (OpenAI) or is refused with HTTP 400 (Anthropic); null for none.</summary>
    public int? MaxRequests { get; init; }
}
