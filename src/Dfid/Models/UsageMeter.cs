namespace Dfid.Models;

/// <summary>Counts calls, tokens, cache hits, latency, failures and cost across every client of one <see cref="ModelHost"/>.</summary>
/// <remarks>Thread-safe. <see cref="Snapshot"/> is cheap enough for a progress line refreshed a few times a second.</remarks>
public sealed class UsageMeter
{
    private readonly Lock _gate = new();
    private readonly List<double> _latencies = [];
    private readonly Dictionary<ModelFailureKind, long> _failures = [];
    private readonly SortedSet<string> _unpriced = new(StringComparer.Ordinal);
    private long _providerCalls, _calls, _requests, _hits, _misses, _prompt, _completion, _cachedPrompt, _localRequested, _localEvaluated;
    private decimal _cost;

    /// <summary>Provider calls that returned an answer (the budget counts these plus reservations).</summary>
    internal long ProviderCalls { get { lock (_gate) return _providerCalls; } }

    /// <summary>Cost of provider calls so far (priced models only).</summary>
    internal decimal SpentUsd { get { lock (_gate) return _cost; } }

    internal void RecordAnswer(ModelCall call, decimal? cost)
    {
        lock (_gate)
        {
            _calls++;
            _latencies.Add(call.LatencyMs);
            if (call.CacheHit)
            {
                _hits++;
                return;
            }
            _providerCalls++;
            _prompt += call.PromptTokens ?? 0;
            _completion += call.CompletionTokens ?? 0;
            _cachedPrompt += call.CachedPromptTokens ?? 0;
            if (cost is { } c) _cost += c;
            else _unpriced.Add(call.Model);
        }
    }

    internal void RecordMiss()
    {
        lock (_gate) _misses++;
    }

    internal void RecordRequest()
    {
        lock (_gate) _requests++;
    }

    internal void RecordFailure(ModelFailureKind kind)
    {
        lock (_gate) _failures[kind] = _failures.GetValueOrDefault(kind) + 1;
    }

    internal void RecordLocalPrompt(long requested, long evaluated)
    {
        lock (_gate)
        {
            _localRequested += requested;
            _localEvaluated += evaluated;
        }
    }

    /// <summary>The counters now.</summary>
    public UsageReport Snapshot()
    {
        lock (_gate)
        {
            var sorted = _latencies.ToArray();
            Array.Sort(sorted);
            return new UsageReport(
                _calls, _requests, _hits, _misses, _prompt, _completion,
                Quantile(sorted, 0.50), Quantile(sorted, 0.95),
                _failures.OrderBy(kv => kv.Key).ToDictionary(kv => SnakeCase(kv.Key), kv => kv.Value),
                _unpriced.Count == 0 ? _cost : null,
                [.. _unpriced],
                _localRequested, _localEvaluated)
            {
                CachedPromptTokens = _cachedPrompt,
            };
        }
    }

    /// <summary>Nearest-rank quantile of sorted values; NaN when empty.</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return double.NaN;
        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    internal static string SnakeCase(ModelFailureKind kind) => kind switch
    {
        ModelFailureKind.RateLimited => "rate_limited",
        ModelFailureKind.ServerError => "server_error",
        ModelFailureKind.BadRequest => "bad_request",
        ModelFailureKind.InvalidResponse => "invalid_response",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
