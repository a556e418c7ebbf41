using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Anthropic;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Dfid.Models;

/// <summary>
/// Builds the one <see cref="IChatClient"/> callers use for a <see cref="ModelSpec"/>: the provider client wrapped in the
/// dfid layers, composed here and nowhere else. Outermost first: usage accounting (<see cref="ModelCall"/> per answer),
/// spec options (temperature, top_p, max_tokens, seed fill unset chat options), response cache, budget, then
/// per-attempt concurrency + rate limits + timeout inside retries, then the provider.
/// </summary>
/// <remarks>
/// Thread-safe; one host per run so the budget, concurrency limit and <see cref="Usage"/> are shared by every client it
/// hands out. Dispose it to free local models.
/// </remarks>
public sealed class ModelHost : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<IChatClient>> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RequestLimiter> _limiters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<LlamaChatClient>> _locals = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _concurrency;
    private readonly ResponseCache? _cache;
    private readonly BudgetGuard _budget;
    private readonly TimeProvider _clock;
    private readonly Func<double> _randomizer;
    private readonly Func<string, string?> _environment;
    private readonly Func<ModelSpec, IChatClient>? _providerOverride;

    /// <summary>Creates a host.</summary>
    /// <param name="options">Layer settings; validated here.</param>
    /// <param name="clock">Clock for latency, timeouts, backoff and rate limits; the system clock by default.</param>
    /// <param name="randomizer">Uniform [0,1) source for retry jitter; a seeded one by default.</param>
    /// <param name="environment">Reads environment variables (keys, base URLs); <see cref="Environment.GetEnvironmentVariable(string)"/> by default.</param>
    /// <exception cref="DfidException">Invalid settings (all listed), or the cache file cannot be opened.</exception>
    public ModelHost(ModelLayerOptions options, TimeProvider? clock = null, Func<double>? randomizer = null, Func<string, string?>? environment = null)
        : this(options, clock, randomizer, environment, null)
    {
    }

    /// <summary>For tests of our own layers: <paramref name="providerOverride"/> replaces the provider SDK client.</summary>
    internal ModelHost(ModelLayerOptions options, TimeProvider? clock, Func<double>? randomizer, Func<string, string?>? environment,
        Func<ModelSpec, IChatClient>? providerOverride)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _clock = clock ?? TimeProvider.System;
        var random = new Random(20240607);
        _randomizer = randomizer ?? (() => { lock (random) return random.NextDouble(); });
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _providerOverride = providerOverride;
        _concurrency = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _cache = options.CachePath is { } path ? new ResponseCache(path, _clock) : null;
        Usage = new UsageMeter();
        _budget = new BudgetGuard(options, Usage);
        Prices = options.Prices ?? PriceTable.Default;
    }

    /// <summary>Receives retry and failure warnings (never prompts or answers). <value>The default value discards them.</value></summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    /// <summary>The settings this host was built with.</summary>
    public ModelLayerOptions Options { get; }

    /// <summary>Usage of every client of this host.</summary>
    public UsageMeter Usage { get; }

    /// <summary>The prices in effect.</summary>
    public PriceTable Prices { get; }

    /// <summary>The cache file in use, or null when caching is off.</summary>
    public string? CachePath => _cache?.Path;

    /// <summary>
    /// Batch execution: requests of <c>openai:</c> and <c>anthropic:</c> specs are answered here instead of by the provider
    /// (the run's provider batches or the response cache; see <see cref="Batch.BatchAnsweringChatClient"/>); gguf specs
    /// stay online. Null (the default): every spec is online.
    /// </summary>
    internal Batch.IBatchAnswers? BatchAnswers { get; init; }

    /// <summary>The layered client for <paramref name="spec"/> (one per distinct spec, reused).</summary>
    /// <exception cref="DfidException">A key variable is unset, or a gguf file is missing; the message names the fix.</exception>
    public IChatClient GetClient(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var lazy = _clients.GetOrAdd(spec.ToString(), _ => new Lazy<IChatClient>(() => Build(spec)));
        try
        {
            return lazy.Value;
        }
        catch (DfidException)
        {
            _clients.TryRemove(spec.ToString(), out _);
            throw;
        }
    }

    /// <summary>Parses <paramref name="spec"/> and returns its layered client.</summary>
    public IChatClient GetClient(string spec) => GetClient(ModelSpec.Parse(spec));

    /// <summary>Frees local models and provider clients.</summary>
    public void Dispose()
    {
        foreach (var c in _clients.Values.Where(l => l.IsValueCreated)) c.Value.Dispose();
        foreach (var l in _locals.Values.Where(l => l.IsValueCreated)) l.Value.Dispose();
        _concurrency.Dispose();
    }

    // The one place where the layer order is decided.
    private IChatClient Build(ModelSpec spec)
    {
        if (BatchAnswers is { } batch && spec.Provider != ModelProvider.Gguf) return BuildBatched(spec, batch);
        var (provider, endpoint) = _providerOverride is { } replace ? (replace(spec), spec.Id) : CreateProvider(spec);
        var price = Prices.Find(spec);
        var limiter = _limiters.GetOrAdd(spec.Id, _ => new RequestLimiter(Options.RequestsPerMinute, Options.TokensPerMinute, _clock));
        var builder = provider.AsBuilder()
            .Use(inner => new UsageChatClient(inner, spec, price, Usage, _clock))
            .ConfigureOptions(o => ApplySpec(spec, o));
        if (_cache is not null) builder.Use(inner => new ResponseCacheChatClient(inner, _cache, spec, endpoint, Usage));
        if (_budget.Active) builder.Use(inner => new BudgetChatClient(inner, _budget, spec, price));
        builder.Use(inner => new ResilientChatClient(inner, spec.Id, Options, _concurrency, limiter, _clock, _randomizer, Usage, Logger));
        return builder.Build();
    }

    // Batch execution: the same usage and spec-option layers (answers are priced at the batch price), then where the
    // cache sits online the batch answers, which look the online cache key up themselves; no budget, retry or network
    // layer (the batch executor submits, budgets and polls).
    private IChatClient BuildBatched(ModelSpec spec, Batch.IBatchAnswers batch)
    {
        var (_, endpoint) = ModelCredentials.Resolve(spec, _environment);
        return new Batch.BatchAnsweringChatClient(spec, EndpointIdentity(spec.Provider, endpoint), batch).AsBuilder()
            .Use(inner => new UsageChatClient(inner, spec, Prices.FindBatch(spec), Usage, _clock))
            .ConfigureOptions(o => ApplySpec(spec, o))
            .Build();
    }

    /// <summary>The key of the sample index in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
    public const string SampleKey = "dfid.sample";

    /// <summary>
    /// Fills unset options from the spec. With a sample index, the seed becomes seed + index (gguf: 42 + index when no
    /// seed is given), so repeated samples differ from each other yet each is reproducible.
    /// </summary>
    internal static void ApplySpec(ModelSpec spec, ChatOptions o)
    {
        o.Temperature ??= (float?)spec.Temperature;
        o.TopP ??= (float?)spec.TopP;
        o.MaxOutputTokens ??= spec.MaxTokens;
        o.Seed ??= spec.Seed;
        if (o.AdditionalProperties?.TryGetValue(SampleKey, out var v) == true && v is int or long && Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture) is var sample and not 0)
        {
            var baseSeed = o.Seed ?? (spec.Provider == ModelProvider.Gguf ? 42L : null);
            if (baseSeed is { } b) o.Seed = unchecked(b + sample);
        }
    }

    /// <summary>A shared local model behind the layers: disposing the layered client must not unload it.</summary>
    private sealed class NonOwningChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
        }
    }

    // The SDK clients are configured here and nowhere else; the batch providers (Models/Batch) build theirs from these too,
    // so a batch request means what the online call means.

    /// <summary>OpenAI SDK options: the SDK's own retries are off (ours, with Retry-After, jitter and counting, are the only ones).</summary>
    internal static OpenAIClientOptions OpenAiOptions(Uri? endpoint, TimeSpan networkTimeout)
    {
        var options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = networkTimeout };
        if (endpoint is not null) options.Endpoint = endpoint;
        return options;
    }

    /// <summary>The OpenAI chat-completions client of <paramref name="spec"/> as an <see cref="IChatClient"/>.</summary>
    internal static IChatClient OpenAiChatClient(ModelSpec spec, string key, OpenAIClientOptions options) =>
        new OpenAI.Chat.ChatClient(spec.Model, new ApiKeyCredential(key), options).AsIChatClient();

    /// <summary>An Anthropic SDK client without its own retries, sending through <paramref name="http"/>.</summary>
    internal static AnthropicClient CreateAnthropicClient(string key, Uri? endpoint, TimeSpan networkTimeout, HttpClient http) => endpoint is null
        ? new AnthropicClient { ApiKey = key, MaxRetries = 0, Timeout = networkTimeout, HttpClient = http }
        : new AnthropicClient { ApiKey = key, MaxRetries = 0, Timeout = networkTimeout, HttpClient = http, BaseUrl = endpoint.ToString().TrimEnd('/') };

    /// <summary>The Anthropic messages client of <paramref name="spec"/> as an <see cref="IChatClient"/> (1,024 max tokens unless the spec says).</summary>
    internal static IChatClient AnthropicChatClient(ModelSpec spec, AnthropicClient client) => client.AsIChatClient(spec.Model, spec.MaxTokens ?? 1024);

    /// <summary>The identity of what answers a remote spec, part of the response-cache key (so <c>OPENAI_BASE_URL</c> pointing elsewhere misses).</summary>
    internal static string EndpointIdentity(ModelProvider provider, Uri? endpoint) =>
        (provider == ModelProvider.Anthropic ? "anthropic " : "openai ") + (endpoint?.ToString() ?? "default");

    /// <summary>The provider client and the identity of what answers (resolved endpoint or model file) for the cache key.</summary>
    private (IChatClient Client, string Endpoint) CreateProvider(ModelSpec spec)
    {
        var (key, endpoint) = ModelCredentials.Resolve(spec, _environment);
        var networkTimeout = Options.RequestTimeout + TimeSpan.FromSeconds(30);
        switch (spec.Provider)
        {
            case ModelProvider.OpenAI:
                return (OpenAiChatClient(spec, key, OpenAiOptions(endpoint, networkTimeout)), EndpointIdentity(spec.Provider, endpoint));
            case ModelProvider.Anthropic:
                // Its exceptions carry no headers: a handler reads Retry-After for the retry layer.
                var http = new HttpClient(new RetryAfterCapture(_clock)) { Timeout = networkTimeout };
                return (AnthropicChatClient(spec, CreateAnthropicClient(key, endpoint, networkTimeout, http)), EndpointIdentity(spec.Provider, endpoint));
            default:
                var path = GgufModels.ResolvePath(spec.Model, _environment);
                // One loaded model per file and context size, shared by specs that differ only in sampling options.
                var localKey = $"{path}|{spec.ContextSize}|{spec.Threads}";
                try
                {
                    var local = _locals.GetOrAdd(localKey, _ => new Lazy<LlamaChatClient>(() => new LlamaChatClient(path, spec.ContextSize, spec.Threads))).Value;
                    return (new NonOwningChatClient(local), $"gguf {path} {new FileInfo(path).Length}");
                }
                catch (DfidException)
                {
                    _locals.TryRemove(localKey, out _);
                    throw;
                }
        }
    }
}
