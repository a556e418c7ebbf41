using System.Globalization;
using Dfid.Components;
using Dfid.Corpus;

namespace Dfid.Instrument;

/// <summary>Settings the instrument and action-labeller kinds read from a <see cref="ComponentContext"/> (as a feature).</summary>
/// <param name="Mapping">Human acts → stages and actions (training and validation labels).</param>
/// <param name="Taxonomy">Definitions and examples for the LLM prompts.</param>
/// <param name="TrainingCorpus">Conversations with human labels to train the learned kinds on; null: the context's corpus.</param>
public sealed record LabellingSettings(ActMapping Mapping, StageTaxonomy Taxonomy, IReadOnlyList<Conversation>? TrainingCorpus = null)
{
    /// <summary>The built-in PersuasionForGood mapping and the default taxonomy, training on the corpus.</summary>
    public static LabellingSettings Default { get; } = new(ActMapping.PersuasionForGood, StageTaxonomy.Default);

    /// <summary>The settings of <paramref name="context"/>, or <see cref="Default"/>.</summary>
    public static LabellingSettings Of(ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Feature<LabellingSettings>() ?? Default;
    }

    internal LearnedInstrumentOptions LearnedOptions(ComponentContext context) => new()
    {
        CacheDirectory = LearnedInstrumentOptions.CacheDirectoryIn(context.CacheFolder),
        Mapping = Mapping,
        Progress = context.Log,
    };
}

/// <summary>The instrument kinds (<c>learned</c>, <c>llm</c>) and the action-labeller kinds (<c>learned</c>, <c>llm</c>).</summary>
/// <remarks>A new kind is one class implementing <see cref="IComponentKind{TSpec, TComponent}"/> and one line here.</remarks>
public static class InstrumentKinds
{
    /// <summary>A registry with the built-in instrument kinds.</summary>
    public static ComponentRegistry<InstrumentSpec, IInstrument> CreateDefault() =>
        new ComponentRegistry<InstrumentSpec, IInstrument>("instrument")
            .Add(new LearnedInstrumentKind())
            .Add(new LlmInstrumentKind());

    /// <summary>A registry with the built-in action-labeller kinds.</summary>
    public static ComponentRegistry<ActionsSpec, IAgentActionLabeller> CreateDefaultActions() =>
        new ComponentRegistry<ActionsSpec, IAgentActionLabeller>("actions")
            .Add(new LearnedActionsKind())
            .Add(new LlmActionsKind());

    /// <summary>The trained stage model of a context's training corpus, loaded or trained once per context.</summary>
    internal static Task<LearnedInstrument> LearnedStageModelAsync(ComponentContext context, CancellationToken ct)
    {
        var settings = LabellingSettings.Of(context);
        return context.SharedAsync("learned-stage", () =>
            LearnedInstrument.LoadOrTrainAsync(settings.LearnedOptions(context), settings.TrainingCorpus ?? context.Corpus, context.Embedder, ct));
    }

    internal static Dictionary<string, string> ModelOptions(ModelSettings model, int? contextTurns)
    {
        var o = model.ManifestOptions();
        o["context"] = contextTurns is { } k ? $"causal, last {k} turns" : "causal";
        return o;
    }

    internal static LlmPerceiverOptions LlmOptions(ComponentContext context, ModelSettings model, string name, int? lastTurns) => new()
    {
        Domain = context.Domain,
        Taxonomy = LabellingSettings.Of(context).Taxonomy,
        LastTurns = lastTurns,
        Name = name,
        ChatOptions = model.ToChatOptions(),
    };
}

/// <summary>The <c>learned</c> instrument: offline, trained on human-labelled turns.</summary>
internal sealed class LearnedInstrumentKind : IComponentKind<InstrumentSpec, IInstrument>
{
    public string Kind => "learned";
    public bool UsesModel => false;
    public IReadOnlyList<OptionRule> Options { get; } = [];

    public async Task<IInstrument> BuildAsync(InstrumentSpec spec, ComponentContext context, CancellationToken cancellationToken = default) =>
        (await InstrumentKinds.LearnedStageModelAsync(context, cancellationToken)).WithName(spec.Name);

    public ComponentDescription Describe(InstrumentSpec spec, IInstrument component)
    {
        var learned = (LearnedInstrument)component;
        return new(Kind, null, new Dictionary<string, string>
        {
            ["training_hash"] = learned.TrainingHash,
            ["training_examples"] = learned.TrainingExamples.ToString(CultureInfo.InvariantCulture),
            ["training_conversations"] = learned.TrainingConversations.ToString(CultureInfo.InvariantCulture),
            ["folds"] = learned.Folds.ToString(CultureInfo.InvariantCulture),
            ["embedder"] = "all-MiniLM-L6-v2",
        }, new Dictionary<string, string>());
    }
}

/// <summary>The <c>llm</c> instrument: the LLM perceiver on the spec's model.</summary>
internal sealed class LlmInstrumentKind : IComponentKind<InstrumentSpec, IInstrument>
{
    public string Kind => "llm";
    public bool UsesModel => true;

    public IReadOnlyList<OptionRule> Options { get; } =
    [
        new("context_turns", OptionType.Integer, "show only the last K turns before the labelled one", Min: 1),
        new("context", OptionType.Choice, "the labelling context", Default: "causal", Choices: ["causal"],
            Hint: "labels are always causal (turns up to the labelled one); write hindsight: true to also label real turns with the full conversation"),
    ];

    public Task<IInstrument> BuildAsync(InstrumentSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var model = spec.Model!;
        IInstrument perceiver = new LlmPerceiver(context.Chat(model), InstrumentKinds.LlmOptions(context, model, spec.Name, spec.Options.Int("context_turns")));
        return Task.FromResult(perceiver);
    }

    public ComponentDescription Describe(InstrumentSpec spec, IInstrument component)
    {
        var p = (LlmPerceiver)component;
        return new(Kind, spec.Model!.Spec, InstrumentKinds.ModelOptions(spec.Model!, p.LastTurns),
            new Dictionary<string, string> { ["perceiver"] = p.PromptTemplate + "\n--- schema ---\n" + p.Schema.GetRawText() });
    }
}

/// <summary>The <c>learned</c> action labeller: offline, trained on the agent's human acts.</summary>
internal sealed class LearnedActionsKind : IComponentKind<ActionsSpec, IAgentActionLabeller>
{
    public string Kind => "learned";
    public bool UsesModel => false;
    public IReadOnlyList<OptionRule> Options { get; } = [];

    public async Task<IAgentActionLabeller> BuildAsync(ActionsSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var settings = LabellingSettings.Of(context);
        return await context.SharedAsync("learned-actions", () =>
            LearnedActionLabeller.LoadOrTrainAsync(settings.LearnedOptions(context), settings.TrainingCorpus ?? context.Corpus, context.Embedder, cancellationToken));
    }

    public ComponentDescription Describe(ActionsSpec spec, IAgentActionLabeller component) =>
        new(Kind, null, new Dictionary<string, string> { ["training_hash"] = ((LearnedActionLabeller)component).TrainingHash }, new Dictionary<string, string>());
}

/// <summary>The <c>llm</c> action labeller on the spec's model.</summary>
internal sealed class LlmActionsKind : IComponentKind<ActionsSpec, IAgentActionLabeller>
{
    public string Kind => "llm";
    public bool UsesModel => true;
    public IReadOnlyList<OptionRule> Options { get; } = [];

    public Task<IAgentActionLabeller> BuildAsync(ActionsSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var model = spec.Model!;
        IAgentActionLabeller labeller = new LlmActionLabeller(context.Chat(model), InstrumentKinds.LlmOptions(context, model, "llm", null));
        return Task.FromResult(labeller);
    }

    public ComponentDescription Describe(ActionsSpec spec, IAgentActionLabeller component)
    {
        var l = (LlmActionLabeller)component;
        return new(Kind, spec.Model!.Spec, InstrumentKinds.ModelOptions(spec.Model!, null),
            new Dictionary<string, string> { ["actions"] = l.PromptTemplate + "\n--- schema ---\n" + l.Schema.GetRawText() });
    }
}
