using System.Globalization;
using Dfid.Corpus;
using Dfid.Instrument;

namespace Dfid.Running;

/// <summary>Connects the instrument kinds (learned, llm) and action labellers to a factory.</summary>
public static class InstrumentComponents
{
    /// <summary>Returns <paramref name="factory"/> with instrument and action-labeller builders attached.</summary>
    public static RunComponentFactory Attach(RunComponentFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        LearnedInstrument? learned = null;
        LearnedActionLabeller? learnedActions = null;
        var gate = new Lock();
        LearnedInstrumentOptions Options() => new()
        {
            CacheDirectory = factory.CacheFolder is { } c ? LearnedInstrumentOptions.CacheDirectoryIn(c) : LearnedInstrumentOptions.DefaultCacheDirectory(),
            Progress = factory.Log is { } log ? new Progress<string>(log) : null,
        };
        factory.InstrumentBuilder = (spec, experiment, corpus) =>
        {
            switch (spec.Kind)
            {
                case "learned":
                    lock (gate) learned ??= LearnedInstrument.LoadOrTrainAsync(Options(), corpus, factory.Embedder).GetAwaiter().GetResult();
                    return new NamedInstrument(spec.Name, learned, "learned", null, new Dictionary<string, string>
                    {
                        ["training_hash"] = learned.TrainingHash,
                        ["training_examples"] = learned.TrainingExamples.ToString(CultureInfo.InvariantCulture),
                        ["training_conversations"] = learned.TrainingConversations.ToString(CultureInfo.InvariantCulture),
                        ["folds"] = learned.Folds.ToString(CultureInfo.InvariantCulture),
                        ["embedder"] = "all-MiniLM-L6-v2",
                    });
                case "llm":
                    {
                        var model = spec.Model!;
                        var perceiver = new LlmPerceiver(factory.Chat(model), new LlmPerceiverOptions
                        {
                            Domain = InstrumentDomain(experiment, corpus),
                            LastTurns = spec.ContextTurns,
                            Name = spec.Name,
                            ChatOptions = RunComponentFactory.ChatOptionsOf(model),
                        });
                        return new NamedInstrument(spec.Name, perceiver, "llm", model.Spec, ModelOptions(model, spec.ContextTurns),
                            new Dictionary<string, string> { ["perceiver"] = perceiver.PromptTemplate + "\n--- schema ---\n" + perceiver.Schema.GetRawText() });
                    }
                default:
                    throw new DfidException(
                        $"{Path.GetFileName(experiment.SourcePath)}:{spec.Line}: instruments.{spec.Name}.kind: unknown kind '{spec.Kind}' (expected learned, llm)", 2);
            }
        };
        factory.ActionLabellerBuilder = (spec, experiment, corpus) =>
        {
            switch (spec.Kind)
            {
                case "learned":
                    lock (gate) learnedActions ??= LearnedActionLabeller.LoadOrTrainAsync(Options(), corpus, factory.Embedder).GetAwaiter().GetResult();
                    return new NamedActionLabeller("learned", learnedActions, "learned", null,
                        new Dictionary<string, string> { ["training_hash"] = learnedActions.TrainingHash });
                case "llm":
                    {
                        var model = spec.Model!;
                        var labeller = new LlmActionLabeller(factory.Chat(model), new LlmPerceiverOptions
                        {
                            Domain = InstrumentDomain(experiment, corpus),
                            Name = "llm",
                            ChatOptions = RunComponentFactory.ChatOptionsOf(model),
                        });
                        return new NamedActionLabeller("llm", labeller, "llm", model.Spec, ModelOptions(model, null),
                            new Dictionary<string, string> { ["actions"] = labeller.PromptTemplate + "\n--- schema ---\n" + labeller.Schema.GetRawText() });
                    }
                default:
                    throw new DfidException(
                        $"{Path.GetFileName(experiment.SourcePath)}:{spec.Line}: actions.kind: unknown kind '{spec.Kind}' (expected learned, llm)", 2);
            }
        };
        return factory;
    }

    private static Instrument.DecisionWords InstrumentDomain(Experiment experiment, IReadOnlyList<Conversation> corpus) =>
        experiment.Domain == Simulation.DomainWords.PersuasionForGood
            ? Instrument.DecisionWords.Donation
            : Instrument.DecisionWords.ForDataset(corpus.Count > 0 ? corpus[0].Source.Dataset : null);

    private static Dictionary<string, string> ModelOptions(ModelSettings model, int? contextTurns)
    {
        var o = new Dictionary<string, string>();
        if (model.Temperature is { } t) o["temperature"] = t.ToString(CultureInfo.InvariantCulture);
        if (model.TopP is { } p) o["top_p"] = p.ToString(CultureInfo.InvariantCulture);
        if (model.MaxTokens is { } m) o["max_tokens"] = m.ToString(CultureInfo.InvariantCulture);
        if (model.Seed is { } s) o["seed"] = s.ToString(CultureInfo.InvariantCulture);
        o["context"] = contextTurns is { } k ? $"causal, last {k} turns" : "causal";
        return o;
    }
}

/// <summary>An instrument under the name the experiment gives it (store keys use that name), described for the manifest.</summary>
internal sealed class NamedInstrument(string name, IInstrument inner, string kind, string? model, IReadOnlyDictionary<string, string> options,
    IReadOnlyDictionary<string, string>? prompts = null) : IInstrument, IDescribedComponent
{
    public string Name { get; } = name;
    public IInstrument Inner { get; } = inner;
    public string Kind { get; } = kind;
    public string? Model { get; } = model;
    public IReadOnlyDictionary<string, string> Options { get; } = options;
    public IReadOnlyDictionary<string, string> Prompts { get; } = prompts ?? new Dictionary<string, string>();

    public Task<LabelResult> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default) => Inner.LabelAsync(request, cancellationToken);
}

/// <summary>An action labeller under a given name, described for the manifest.</summary>
internal sealed class NamedActionLabeller(string name, IAgentActionLabeller inner, string kind, string? model, IReadOnlyDictionary<string, string> options,
    IReadOnlyDictionary<string, string>? prompts = null) : IAgentActionLabeller, IDescribedComponent
{
    public string Name { get; } = name;
    public string Kind { get; } = kind;
    public string? Model { get; } = model;
    public IReadOnlyDictionary<string, string> Options { get; } = options;
    public IReadOnlyDictionary<string, string> Prompts { get; } = prompts ?? new Dictionary<string, string>();

    public Task<ActionLabelResult> LabelAsync(Conversation conversation, int agentTurnIndex, CancellationToken cancellationToken = default) =>
        inner.LabelAsync(conversation, agentTurnIndex, cancellationToken);
}
