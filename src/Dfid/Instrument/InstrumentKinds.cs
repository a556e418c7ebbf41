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

/// <summary>The <c>learned</c> instrument: offline, trained on human-labelled turns: the run's corpus's own acts, or the
/// sources its <c>train:</c> option lists (other corpora with mapped acts, labels files), applied out of domain when none of
/// the run's conversations is among them.</summary>
internal sealed class LearnedInstrumentKind : IComponentKind<InstrumentSpec, IInstrument>
{
    public string Kind => "learned";
    public bool UsesModel => false;

    public IReadOnlyList<OptionRule> Options { get; } =
    [
        new("train", OptionType.FileList, "corpora with mapped acts and labels files to train on (a labels file as { labels: FILE, corpus: CORPUS }, its corpus by default the run's)",
            Choices: [.. TrainingSource.EntryKeys]),
    ];

    public async Task<IInstrument> BuildAsync(InstrumentSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var train = spec.Options.FileList("train");
        if (train.Count == 0) return (await InstrumentKinds.LearnedStageModelAsync(context, cancellationToken)).WithName(spec.Name);
        var (instrument, set, outOfFold) = await context.SharedAsync("learned-stage|" + spec.Options["train"], async () =>
        {
            var settings = LabellingSettings.Of(context);
            var set = TrainingSet.Read(TrainingSource.FromOption(train), settings.Mapping, context.Corpus);
            context.Log?.Report($"learned instrument: training sources {set}");
            var trained = await LearnedInstrument.LoadOrTrainAsync(settings.LearnedOptions(context), set, context.Embedder, cancellationToken);
            // How it validated where it was trained: every training turn labelled by the fold model that did not see it.
            var report = await InstrumentValidation.RunAsync(set, trained, new InstrumentValidationOptions(), cancellationToken);
            context.Log?.Report(string.Create(CultureInfo.InvariantCulture,
                $"learned instrument: out-of-fold agreement on its training labels κ = {report.KappaQuadratic:0.000} ({report.N} turns, {report.Conversations} conversations)"));
            return (trained, set, report);
        });
        var inTraining = context.Sample.Count(instrument.IsTrainingConversation);
        var dataset = context.Sample.Select(c => c.Source.Dataset).FirstOrDefault();
        return instrument.WithName(spec.Name).WithTraining(new LearnedTraining(set.Sources, outOfFold, context.Sample.Count, inTraining, dataset));
    }

    public ComponentDescription Describe(InstrumentSpec spec, IInstrument component)
    {
        var learned = (LearnedInstrument)component;
        var options = new Dictionary<string, string>
        {
            ["training_hash"] = learned.TrainingHash,
            ["training_examples"] = learned.TrainingExamples.ToString(CultureInfo.InvariantCulture),
            ["training_conversations"] = learned.TrainingConversations.ToString(CultureInfo.InvariantCulture),
            ["folds"] = learned.Folds.ToString(CultureInfo.InvariantCulture),
            ["embedder"] = "all-MiniLM-L6-v2",
        };
        if (learned.Training is { } t)
        {
            static string F(double v) => double.IsFinite(v) ? v.ToString("0.000", CultureInfo.InvariantCulture) : "undefined";
            var oof = t.OutOfFold;
            options["training_sources"] = string.Join("; ", t.Sources);
            options["training_datasets"] = string.Join(", ", t.Sources.SelectMany(s => s.Datasets).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            options["applied_out_of_domain"] = t.AppliedOutOfDomain ? "yes" : "no";
            options["run_dataset"] = t.RunDataset ?? "unknown";
            options["run_conversations_in_training"] = string.Create(CultureInfo.InvariantCulture, $"{t.RunConversationsInTraining} of {t.RunConversations}");
            options["training_validation"] = string.Create(CultureInfo.InvariantCulture,
                $"out-of-fold on the training labels: n = {oof.N} turns in {oof.Conversations} conversations, κ (quadratic) = {F(oof.KappaQuadratic)} [{F(oof.Ci.KappaQuadratic[0])}, {F(oof.Ci.KappaQuadratic[1])}], " +
                $"α (ordinal) = {F(oof.KrippendorffAlphaOrdinal)}, accuracy = {F(oof.Accuracy)}");
            options["training_kappa_out_of_fold"] = F(oof.KappaQuadratic);
        }
        return new(Kind, null, options, new Dictionary<string, string>());
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
