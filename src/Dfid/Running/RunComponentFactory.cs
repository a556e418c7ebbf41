using System.Globalization;
using Dfid.Corpus;
using Dfid.Embeddings;
using Dfid.Models;
using Dfid.Instrument;
using Dfid.Simulation;
using Dfid.Store;
using Microsoft.Extensions.AI;

namespace Dfid.Running;

/// <summary>The standard factory: LLM simulators over the model layer, retrieval over MiniLM, the instrument kinds.</summary>
/// <remarks>Chat clients are created once per distinct model settings and shared (so the model layer's limits are shared).</remarks>
public sealed class RunComponentFactory : IRunComponentFactory
{
    private readonly Func<ModelSettings, IChatClient> _chat;
    private readonly Dictionary<ModelSettings, IChatClient> _clients = [];
    private readonly Lock _gate = new();
    private ITextEmbedder? _embedder;
    private readonly List<IDisposable> _owned = [];

    /// <summary>Creates the factory.</summary>
    /// <param name="chat">Builds the (layered) chat client for a model; called once per distinct settings.</param>
    /// <param name="hooks">Budget and cost hooks of the model layer.</param>
    public RunComponentFactory(Func<ModelSettings, IChatClient> chat, RunHooks? hooks = null)
    {
        ArgumentNullException.ThrowIfNull(chat);
        _chat = chat;
        Hooks = hooks ?? new RunHooks();
    }

    /// <inheritdoc/>
    public RunHooks Hooks { get; }

    /// <summary>
    /// The standard wiring: every model through <paramref name="host"/> (cache, limits, retries, budget, usage), budget stops
    /// latched so the run ends cleanly even when a component turns the refusal into a failed answer.
    /// </summary>
    public static RunComponentFactory ForHost(ModelHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var latch = new RunStopLatch();
        return new RunComponentFactory(
            settings => new StopLatchChatClient(host.GetClient(SpecOf(settings)), latch),
            new RunHooks(
                StopReason: () => latch.Reason,
                IsStop: ex => ex is BudgetExhaustedException || ex.InnerException is BudgetExhaustedException,
                CostUsd: () => host.Usage.Snapshot() is { Calls: > 0 } u ? (double?)u.CostUsd : 0.0))
        {
            Host = host,
        };
    }

    /// <summary>The model host, when built with <see cref="ForHost"/>.</summary>
    public ModelHost? Host { get; private init; }

    /// <summary>The model layer's spec for experiment model settings.</summary>
    public static ModelSpec SpecOf(ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var options = new Dictionary<string, string>();
        if (settings.Temperature is { } t) options["temperature"] = t.ToString(CultureInfo.InvariantCulture);
        if (settings.TopP is { } p) options["top_p"] = p.ToString(CultureInfo.InvariantCulture);
        if (settings.MaxTokens is { } m) options["max_tokens"] = m.ToString(CultureInfo.InvariantCulture);
        if (settings.Seed is { } sd) options["seed"] = sd.ToString(CultureInfo.InvariantCulture);
        if (settings.ApiKeyEnv is { } k) options["api_key_env"] = k;
        return ModelSpec.Parse(settings.Spec, options);
    }

    /// <summary>Builds instruments (set by the instrument layer; null: only the kinds known here).</summary>
    public Func<InstrumentSpec, Experiment, IReadOnlyList<Conversation>, IInstrument>? InstrumentBuilder { get; set; }

    /// <summary>Builds action labellers (set by the instrument layer).</summary>
    public Func<ActionsSpec, Experiment, IReadOnlyList<Conversation>, IAgentActionLabeller>? ActionLabellerBuilder { get; set; }

    /// <summary>Folder for persistent caches of this run (embeddings, trained instruments); null: memory only / defaults.</summary>
    public string? CacheFolder { get; set; }

    /// <summary>Receives notes (training, loading) for the user.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The shared MiniLM embedder (created on first use), cached in <c>CACHE/embeddings.sqlite</c> when a cache folder is set.</summary>
    public ITextEmbedder Embedder
    {
        get
        {
            lock (_gate)
            {
                if (_embedder is null)
                {
                    var caching = new CachingTextEmbedder(new MiniLmEmbedder(), CacheFolder is null ? null : LearnedInstrumentOptions.EmbeddingsCachePathIn(CacheFolder), ownsInner: true);
                    _owned.Add(caching);
                    _embedder = caching;
                }
                return _embedder;
            }
        }
    }

    /// <summary>Disposes <paramref name="item"/> with the factory.</summary>
    public void Own(IDisposable item)
    {
        ArgumentNullException.ThrowIfNull(item);
        lock (_gate) _owned.Add(item);
    }

    /// <summary>The chat client for <paramref name="settings"/> (one per distinct settings).</summary>
    public IChatClient Chat(ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        lock (_gate)
        {
            if (!_clients.TryGetValue(settings, out var client)) _clients[settings] = client = _chat(settings);
            return client;
        }
    }

    /// <inheritdoc/>
    public IUserSimulator CreateSimulator(SimulatorSpec spec, Experiment experiment, IReadOnlyList<Conversation> corpus, IReadOnlyList<Conversation> sample)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(experiment);
        switch (spec.Kind)
        {
            case SimulatorKind.Replay:
                return new ReplaySimulator(spec.Name);
            case SimulatorKind.Retrieval:
                return new RetrievalSimulator(spec.Name, spec.Pool == "sample" ? sample : corpus, Embedder, spec.ContextTurns);
            default:
                var prompt = spec.Kind switch
                {
                    SimulatorKind.Persona => SimulatorPrompt.Persona(),
                    SimulatorKind.Instructed => SimulatorPrompt.Instructed(),
                    _ => SimulatorPrompt.FromFile(spec.PromptPath!),
                };
                var model = spec.Model!;
                return new PromptedSimulator(spec.Name, prompt, experiment.Domain, Chat(model), model.Spec, ChatOptionsOf(model));
        }
    }

    /// <inheritdoc/>
    public IInstrument CreateInstrument(InstrumentSpec spec, Experiment experiment, IReadOnlyList<Conversation> corpus)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (InstrumentBuilder is not null) return InstrumentBuilder(spec, experiment, corpus);
        throw new DfidException($"{Path.GetFileName(experiment.SourcePath)}:{spec.Line}: instruments.{spec.Name}: kind '{spec.Kind}' is not available in this build", 2);
    }

    /// <inheritdoc/>
    public IAgentActionLabeller CreateActionLabeller(ActionsSpec spec, Experiment experiment, IReadOnlyList<Conversation> corpus)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (ActionLabellerBuilder is not null) return ActionLabellerBuilder(spec, experiment, corpus);
        throw new DfidException($"{Path.GetFileName(experiment.SourcePath)}:{spec.Line}: actions: kind '{spec.Kind}' is not available in this build", 2);
    }

    /// <inheritdoc/>
    public ComponentManifest Describe(string role, string name, object component)
    {
        var options = new Dictionary<string, string>();
        var prompts = new Dictionary<string, string>();
        string kind = component.GetType().Name;
        string? model = null;
        switch (component)
        {
            case PromptedSimulator p:
                kind = p.Prompt.Name;
                prompts[p.Prompt.Name] = p.Prompt.FullText;
                options["domain.agent"] = p.Domain.Agent;
                options["domain.agent_label"] = p.Domain.AgentLabel;
                options["domain.decision"] = p.Domain.Decision;
                options["domain.setting"] = p.Domain.Setting;
                break;
            case RetrievalSimulator r:
                kind = "retrieval";
                options["context_turns"] = r.ContextTurns.ToString(CultureInfo.InvariantCulture);
                options["embedder"] = "all-MiniLM-L6-v2";
                break;
            case ReplaySimulator:
                kind = "replay";
                break;
        }
        if (component is IDescribedComponent d)
        {
            kind = d.Kind;
            model = d.Model;
            foreach (var (k, v) in d.Options) options[k] = v;
            foreach (var (k, v) in d.Prompts) prompts[k] = v;
        }
        return new ComponentManifest(role, name, kind, model, options, prompts, prompts.ToDictionary(p => p.Key, p => PromptText.Sha256(p.Value)));
    }

    /// <summary>The chat options of a model's sampling settings.</summary>
    public static ChatOptions ChatOptionsOf(ModelSettings model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ChatOptions
        {
            Temperature = model.Temperature is { } t ? (float)t : null,
            TopP = model.TopP is { } p ? (float)p : null,
            MaxOutputTokens = model.MaxTokens,
            Seed = model.Seed,
        };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var c in _clients.Values) c.Dispose();
            _clients.Clear();
            foreach (var o in _owned) o.Dispose();
            _owned.Clear();
            _embedder = null;
            Host?.Dispose();
        }
    }
}

/// <summary>A component that describes itself for the run manifest (kind, model, options, full prompt texts).</summary>
public interface IDescribedComponent
{
    /// <summary>Kind, e.g. <c>llm</c>.</summary>
    string Kind { get; }

    /// <summary>Model spec, if any.</summary>
    string? Model { get; }

    /// <summary>Options as text.</summary>
    IReadOnlyDictionary<string, string> Options { get; }

    /// <summary>Full prompt texts by name.</summary>
    IReadOnlyDictionary<string, string> Prompts { get; }
}
