namespace Dfid.Models;

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
    int Attempts);
