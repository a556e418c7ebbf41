using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Dfid.Models;

/// <summary>What the model layers did so far: shown in the run's progress line and written to its manifest.</summary>
/// <param name="Calls">Answers returned (cache hits included).</param>
/// <param name="Requests">Requests sent to providers (retries included, cache hits excluded).</param>
/// <param name="CacheHits">Answers served from the response cache.</param>
/// <param name="CacheMisses">Cache lookups that went to the provider.</param>
/// <param name="PromptTokens">Prompt tokens of answered provider calls.</param>
/// <param name="CompletionTokens">Completion tokens of answered provider calls.</param>
/// <param name="LatencyP50Ms">Median latency of answered calls (cache hits included), ms; NaN before the first call.</param>
/// <param name="LatencyP95Ms">95th percentile latency, ms; NaN before the first call.</param>
/// <param name="FailuresByKind">Failed calls by <see cref="ModelFailureKind"/> (snake_case names).</param>
/// <param name="CostUsd">Cost of provider calls so far; null when some model's price is unknown.</param>
/// <param name="UnpricedModels">Models whose price is unknown (their calls make the cost unknown).</param>
/// <param name="LocalPromptTokensRequested">gguf: prompt tokens the requests contained.</param>
/// <param name="LocalPromptTokensEvaluated">gguf: prompt tokens actually evaluated (the rest reused from the KV cache).</param>
public sealed record UsageReport(
    long Calls,
    long Requests,
    long CacheHits,
    long CacheMisses,
    long PromptTokens,
    long CompletionTokens,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] double LatencyP50Ms,
    [property: JsonNumberHandling(JsonNumberHandling.AllowNamedFloatingPointLiterals)] double LatencyP95Ms,
    IReadOnlyDictionary<string, long> FailuresByKind,
    decimal? CostUsd,
    IReadOnlyList<string> UnpricedModels,
    long LocalPromptTokensRequested,
    long LocalPromptTokensEvaluated)
{
    /// <summary>Of <see cref="PromptTokens"/>, those the providers served from their prompt caches (when they report it:
    /// OpenAI <c>cached_tokens</c>, Anthropic <c>cache_read_input_tokens</c>, vLLM/SGLang prefix caching).</summary>
    public long CachedPromptTokens { get; init; }

    /// <summary>Failed calls, all kinds.</summary>
    public long Failures => FailuresByKind.Values.Sum();

    /// <summary>The cost as text: <c>$0.0123</c> or <c>cost unknown (no price for MODEL)</c>.</summary>
    public string CostText => CostUsd is { } c
        ? "$" + c.ToString("0.####", CultureInfo.InvariantCulture)
        : $"cost unknown (no price for {string.Join(", ", UnpricedModels)})";

    /// <summary>One line for a progress display.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"calls {Calls} (cache {CacheHits} hit / {CacheMisses} miss, {Requests} requests)");
        sb.Append(inv, $" · tokens {PromptTokens} in");
        if (CachedPromptTokens > 0) sb.Append(inv, $" ({CachedPromptTokens} cached)");
        sb.Append(inv, $" / {CompletionTokens} out");
        if (!double.IsNaN(LatencyP50Ms)) sb.Append(inv, $" · latency p50 {LatencyP50Ms:0} ms p95 {LatencyP95Ms:0} ms");
        if (Failures > 0)
            sb.Append(inv, $" · failures {Failures} ({string.Join(", ", FailuresByKind.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}"))})");
        if (LocalPromptTokensRequested > 0)
            sb.Append(inv, $" · local prompt tokens evaluated {LocalPromptTokensEvaluated} of {LocalPromptTokensRequested}");
        sb.Append(" · ").Append(CostText);
        return sb.ToString();
    }
}
