using Microsoft.Extensions.AI;

namespace Dfid.Core;

/// <summary>What one model answer cost and how it was obtained, stored next to every simulated turn and label.</summary>
/// <param name="Model">The model spec that answered, e.g. <c>openai:gpt-4o-mini</c>.</param>
/// <param name="PromptTokens">Prompt tokens reported by the provider, if any.</param>
/// <param name="CompletionTokens">Completion tokens reported by the provider, if any.</param>
/// <param name="LatencyMs">Wall time of the call including retries, in milliseconds.</param>
/// <param name="CacheHit">Whether the answer came from the persistent response cache.</param>
/// <param name="Attempts">Model requests made (retries and JSON repairs included).</param>
public sealed record ModelCall(
    string Model,
    long? PromptTokens,
    long? CompletionTokens,
    double LatencyMs,
    bool CacheHit,
    int Attempts)
{
    /// <summary>The key under which the model layers put a <see cref="ModelCall"/> into <see cref="ChatResponse.AdditionalProperties"/>.</summary>
    public const string ResponsePropertyKey = "dfid.model_call";

    /// <summary>Cost of this answer in US dollars: 0 for a cache hit or a local model, null when the model's price is unknown.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Prompt tokens the provider served from its prompt cache (OpenAI <c>prompt_tokens_details.cached_tokens</c>,
    /// Anthropic <c>cache_read_input_tokens</c>, vLLM with prefix caching), when it reports them; part of <see cref="PromptTokens"/>.</summary>
    public long? CachedPromptTokens { get; init; }

    /// <summary>The record the model layers attached to <paramref name="response"/>; null for a response that did not pass through a <c>ModelHost</c> client.</summary>
    public static ModelCall? FromResponse(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.AdditionalProperties?.TryGetValue(ResponsePropertyKey, out var v) == true ? v as ModelCall : null;
    }

    /// <summary>Two calls made for one answer (e.g. an answer and its JSON repair) as one record: tokens, latency, cost and attempts add up; a cache hit only if both were.</summary>
    public ModelCall Plus(ModelCall other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new ModelCall(
            Model,
            PromptTokens is null && other.PromptTokens is null ? null : (PromptTokens ?? 0) + (other.PromptTokens ?? 0),
            CompletionTokens is null && other.CompletionTokens is null ? null : (CompletionTokens ?? 0) + (other.CompletionTokens ?? 0),
            LatencyMs + other.LatencyMs,
            CacheHit && other.CacheHit,
            Attempts + other.Attempts)
        {
            CostUsd = CostUsd is { } a && other.CostUsd is { } b ? a + b : null,
            CachedPromptTokens = CachedPromptTokens is null && other.CachedPromptTokens is null ? null : (CachedPromptTokens ?? 0) + (other.CachedPromptTokens ?? 0),
        };
    }
}
