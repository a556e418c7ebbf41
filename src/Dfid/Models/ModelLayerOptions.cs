namespace Dfid.Models;

/// <summary>Settings of the layers every model client gets (cache, limits, retries, timeout, prices, budget).</summary>
/// <remarks>Validated once by <see cref="Validate"/> when a <see cref="ModelHost"/> is built; all errors are reported together.</remarks>
public sealed class ModelLayerOptions
{
    /// <summary>SQLite response cache file; null disables the cache (<c>--no-cache</c>). <value>The default value is null.</value></summary>
    public string? CachePath { get; set; }

    /// <summary>Requests in flight at once, per host. <value>The default value is 8.</value></summary>
    public int MaxConcurrency { get; set; } = 8;

    /// <summary>Requests sent per rolling minute, per model endpoint; null for no limit. <value>The default value is null.</value></summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Tokens (prompt estimate + max_tokens) per rolling minute, per model endpoint; null for no limit. <value>The default value is null.</value></summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>Retries after the first attempt for 429, 5xx, timeouts and dropped connections. <value>The default value is 4.</value></summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>First backoff delay (doubles each retry, with jitter) when the provider gives no Retry-After. <value>The default value is 1 s.</value></summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts, Retry-After included. <value>The default value is 60 s.</value></summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Timeout of one attempt (waiting for a rate-limit slot not included). <value>The default value is 120 s.</value></summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Prices per model; null uses <see cref="PriceTable.Default"/>. <value>The default value is null.</value></summary>
    public PriceTable? Prices { get; set; }

    /// <summary>Stop before the spent cost would exceed this many US dollars; null for no cap. <value>The default value is null.</value></summary>
    public decimal? MaxCostUsd { get; set; }

    /// <summary>Stop before more than this many model calls reach the provider (retries of one call count once; cache hits are free); null for no cap. <value>The default value is null.</value></summary>
    public int? MaxCalls { get; set; }

    /// <summary>Completion tokens assumed for the budget check when a request sets no max_tokens. <value>The default value is 1024.</value></summary>
    public int AssumedCompletionTokens { get; set; } = 1024;

    /// <summary>Checks every setting; throws one <see cref="DfidException"/> (exit 2) listing all problems.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        if (MaxConcurrency < 1) errors.Add($"concurrency must be at least 1 (got {MaxConcurrency})");
        if (RequestsPerMinute is < 1) errors.Add($"requests_per_minute must be at least 1 (got {RequestsPerMinute})");
        if (TokensPerMinute is < 1) errors.Add($"tokens_per_minute must be at least 1 (got {TokensPerMinute})");
        if (MaxRetries is < 0 or > 20) errors.Add($"max_retries must be in [0, 20] (got {MaxRetries})");
        if (RetryBaseDelay < TimeSpan.Zero) errors.Add("retry base delay must not be negative");
        if (RetryMaxDelay < RetryBaseDelay) errors.Add("retry max delay must be at least the base delay");
        if (RequestTimeout <= TimeSpan.Zero) errors.Add("request_timeout must be positive");
        if (MaxCostUsd is < 0) errors.Add($"budget.max_cost_usd must not be negative (got {MaxCostUsd})");
        if (MaxCalls is < 0) errors.Add($"budget.max_calls must not be negative (got {MaxCalls})");
        if (AssumedCompletionTokens < 1) errors.Add("assumed completion tokens must be at least 1");
        if (errors.Count > 0) throw new DfidException("model settings: " + string.Join("; ", errors) + ".", 2);
    }
}
