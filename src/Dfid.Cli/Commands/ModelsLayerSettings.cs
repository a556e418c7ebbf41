using System.ComponentModel;
using System.Globalization;
using Dfid.Models;
using Spectre.Console.Cli;

namespace Dfid.Cli.Commands;

/// <summary>
/// The model-layer options every command that calls models shares (<c>--no-cache</c>, <c>--cache</c>, <c>--concurrency</c>,
/// <c>--rpm</c>, <c>--tpm</c>, <c>--max-retries</c>, <c>--timeout</c>, <c>--prices</c>, <c>--max-cost</c>, <c>--max-calls</c>).
/// Derive a command's settings from it and call <see cref="ToLayerOptions"/>.
/// </summary>
internal class ModelsLayerSettings : CommandSettings
{
    [CommandOption("--no-cache")]
    [Description("Do not read or write the response cache.")]
    public bool NoCache { get; init; }

    [CommandOption("--cache <FILE>")]
    [Description("Response cache file (default: ~/.cache/dfid/responses.sqlite, or under $DFID_CACHE_DIR).")]
    public string? CachePath { get; init; }

    [CommandOption("--concurrency <N>")]
    [Description("Model requests in flight at once (default 8).")]
    public int? Concurrency { get; init; }

    [CommandOption("--rpm <N>")]
    [Description("Requests per minute per model endpoint (default: no limit).")]
    public int? RequestsPerMinute { get; init; }

    [CommandOption("--tpm <N>")]
    [Description("Tokens per minute per model endpoint (default: no limit).")]
    public int? TokensPerMinute { get; init; }

    [CommandOption("--max-retries <N>")]
    [Description("Retries for 429, 5xx, timeouts and dropped connections (default 4).")]
    public int? MaxRetries { get; init; }

    [CommandOption("--timeout <SECONDS>")]
    [Description("Timeout of one model request (default 120).")]
    public double? TimeoutSeconds { get; init; }

    [CommandOption("--prices <FILE>")]
    [Description("Price table JSON overriding the built-in prices.")]
    public string? PricesPath { get; init; }

    [CommandOption("--max-cost <USD>")]
    [Description("Stop before the model cost would exceed this many US dollars.")]
    public string? MaxCostUsd { get; init; }

    [CommandOption("--max-calls <N>")]
    [Description("Stop before more than this many model calls reach the provider (cache hits are free).")]
    public int? MaxCalls { get; init; }

    /// <summary>The layer options these flags describe; values from an experiment file fill what the flags leave unset.</summary>
    /// <exception cref="DfidException">Invalid values (all listed), a missing price file.</exception>
    public ModelLayerOptions ToLayerOptions(ModelLayerOptions? fromFile = null)
    {
        var o = fromFile ?? new ModelLayerOptions();
        if (NoCache) o.CachePath = null;
        else o.CachePath = CachePath ?? o.CachePath ?? GgufModels.DefaultResponseCachePath(Environment.GetEnvironmentVariable);
        if (Concurrency is { } c) o.MaxConcurrency = c;
        if (RequestsPerMinute is { } rpm) o.RequestsPerMinute = rpm;
        if (TokensPerMinute is { } tpm) o.TokensPerMinute = tpm;
        if (MaxRetries is { } r) o.MaxRetries = r;
        if (TimeoutSeconds is { } t) o.RequestTimeout = TimeSpan.FromSeconds(t);
        if (PricesPath is { } p) o.Prices = PriceTable.Load(p);
        if (MaxCostUsd is { } m)
            o.MaxCostUsd = decimal.TryParse(m, NumberStyles.Number, CultureInfo.InvariantCulture, out var usd)
                ? usd
                : throw new DfidException($"--max-cost '{m}' is not a number of US dollars (e.g. 2.50).", 2);
        if (MaxCalls is { } mc) o.MaxCalls = mc;
        o.Validate();
        return o;
    }
}
