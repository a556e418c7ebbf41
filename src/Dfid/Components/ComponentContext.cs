using Dfid.Corpus;
using Dfid.Embeddings;
using Microsoft.Extensions.AI;

namespace Dfid.Components;

/// <summary>
/// What a component kind may use to build itself: the domain, the corpus and the run's sample, a chat client per model
/// setting (already layered: cache, limits, retries, budget, usage), the shared sentence embedder, the cache folder, a log,
/// and role-specific settings as features (<see cref="Feature{T}"/>).
/// </summary>
/// <remarks>
/// One context serves every kind of one run (or one CLI command), so the embedder and the chat clients are shared. The
/// context owns the embedder it creates; dispose it with the run. Thread-safe.
/// </remarks>
public sealed class ComponentContext : IDisposable
{
    private readonly Func<ModelSettings, IChatClient>? _chat;
    private readonly Dictionary<ModelSettings, IChatClient> _clients = [];
    private readonly Dictionary<Type, object> _features = [];
    private readonly Dictionary<string, object> _shared = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Func<ITextEmbedder>? _embedderFactory;
    private ITextEmbedder? _embedder;

    /// <summary>Creates a context.</summary>
    /// <param name="domain">The domain's words for every prompt.</param>
    /// <param name="corpus">Every conversation of the corpus file.</param>
    /// <param name="sample">The run's conversations (the corpus when not sampled).</param>
    /// <param name="chat">Builds the layered chat client of a model setting (called once per distinct setting); null when no model is available.</param>
    /// <param name="embedder">Creates the sentence embedder on first use; null when none is available.</param>
    /// <param name="cacheFolder">The cache root (trained models under <c>instruments/</c>).</param>
    /// <param name="source">Names the declaring file in error messages (e.g. <c>exp.yaml</c>), or null.</param>
    /// <param name="log">Receives notes for the user (training, loading).</param>
    public ComponentContext(Domain domain, IReadOnlyList<Conversation> corpus, IReadOnlyList<Conversation> sample,
        Func<ModelSettings, IChatClient>? chat, Func<ITextEmbedder>? embedder, string cacheFolder, string? source = null, IProgress<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheFolder);
        Domain = domain;
        Corpus = corpus;
        Sample = sample;
        _chat = chat;
        _embedderFactory = embedder;
        CacheFolder = cacheFolder;
        Source = source;
        Log = log;
    }

    /// <summary>The domain's words.</summary>
    public Domain Domain { get; }

    /// <summary>Every conversation of the corpus file.</summary>
    public IReadOnlyList<Conversation> Corpus { get; }

    /// <summary>The run's conversations.</summary>
    public IReadOnlyList<Conversation> Sample { get; }

    /// <summary>The cache root.</summary>
    public string CacheFolder { get; }

    /// <summary>Names the declaring file in error messages, or null.</summary>
    public string? Source { get; }

    /// <summary>Receives notes for the user, or null.</summary>
    public IProgress<string>? Log { get; }

    /// <summary>The chat client of <paramref name="model"/>, shared by every component with the same settings (so the model layer's limits are shared).</summary>
    /// <exception cref="DfidException">This context has no model layer.</exception>
    public IChatClient Chat(ModelSettings model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_chat is null) throw new DfidException($"no model layer is available here for {model.Spec}", 2);
        lock (_gate)
        {
            if (!_clients.TryGetValue(model, out var client)) _clients[model] = client = _chat(model);
            return client;
        }
    }

    /// <summary>The shared sentence embedder, created on first use.</summary>
    /// <exception cref="DfidException">This context has no embedder.</exception>
    public ITextEmbedder Embedder
    {
        get
        {
            lock (_gate)
                return _embedder ??= _embedderFactory?.Invoke() ?? throw new DfidException("no sentence embedder is available here", 2);
        }
    }

    /// <summary>Adds a role-specific setting (e.g. the instrument's act mapping); the last one of a type wins.</summary>
    public ComponentContext With<T>(T feature) where T : class
    {
        ArgumentNullException.ThrowIfNull(feature);
        lock (_gate) _features[typeof(T)] = feature;
        return this;
    }

    /// <summary>The setting of type <typeparamref name="T"/>, or null when none was added.</summary>
    public T? Feature<T>() where T : class
    {
        lock (_gate) return _features.GetValueOrDefault(typeof(T)) as T;
    }

    /// <summary>
    /// One object per <paramref name="key"/> for every kind of this context (e.g. a trained model that two instruments
    /// use): the first caller creates it, later callers await the same task.
    /// </summary>
    public Task<T> SharedAsync<T>(string key, Func<Task<T>> create)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            if (_shared.TryGetValue(key, out var existing)) return (Task<T>)existing;
            var task = create();
            _shared[key] = task;
            return task;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var c in _clients.Values) c.Dispose();
            _clients.Clear();
            (_embedder as IDisposable)?.Dispose();
            _embedder = null;
        }
    }
}
