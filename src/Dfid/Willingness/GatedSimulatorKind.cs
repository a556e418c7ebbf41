using System.Globalization;
using Dfid.Components;
using Dfid.Corpus;
using Dfid.Simulation;

namespace Dfid.Willingness;

/// <summary>
/// The <c>gated</c> simulator kind: a base simulator gated by the willingness model (<see cref="GatedSimulator"/>).
/// <c>base: retrieval</c> (offline) answers from other conversations that converted (willing) or did not (unwilling);
/// <c>base: persona</c> or <c>base: prompt-file</c> (with <c>model:</c>) uses that prompt when willing and the instructed
/// prompt, the unwilling license, when unwilling. <c>pool</c> names the conversations the retrieval answers from and the
/// willingness model is trained on (cross-fitted); <c>seed</c> seeds the draws.
/// </summary>
internal sealed class GatedSimulatorKind : IComponentKind<SimulatorSpec, IUserSimulator>
{
    /// <summary>The base kinds a gate wraps.</summary>
    public static IReadOnlyList<string> Bases { get; } = ["retrieval", "persona", "prompt-file"];

    public string Kind => "gated";

    /// <summary>A gate over an LLM base takes a model; <see cref="NeedsModel"/> says when it must.</summary>
    public bool UsesModel => true;

    public bool NeedsModel(IReadOnlyDictionary<string, string> options) => options.GetValueOrDefault("base", "retrieval") != "retrieval";

    public IReadOnlyList<OptionRule> Options { get; } =
    [
        new("base", OptionType.Choice, "the simulator the willingness model gates", Default: "retrieval", Choices: Bases),
        new("seed", OptionType.Integer, "seed of the per-turn draws of the latent state", Default: "1", Min: 0),
        .. HistoryIndex.OptionRules,
        new("prompt", OptionType.File, "the willing user's template file, for base: prompt-file"),
    ];

    public async Task<IUserSimulator> BuildAsync(SimulatorSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var baseKind = spec.Options["base"] ?? "retrieval";
        var (pool, contextTurns) = HistoryIndex.Settings(spec.Options, context);
        var model = await WillingnessModel.SharedAsync(context, sample: spec.Options["pool"] == "sample", cancellationToken);
        IUserSimulator willing, unwilling;
        if (baseKind == "retrieval")
        {
            if (spec.Model is not null) throw new DfidException($"simulator {spec.Name}: base: retrieval takes no model (remove model: or choose base: persona).", 2);
            willing = new RetrievalSimulator(spec.Name, pool.Where(c => c.Outcome.Converted == true), context.Embedder, contextTurns);
            unwilling = new RetrievalSimulator(spec.Name, pool.Where(c => c.Outcome.Converted == false), context.Embedder, contextTurns);
        }
        else
        {
            var m = spec.Model ?? throw new DfidException($"simulator {spec.Name}: base: {baseKind} needs model: (a model spec such as openai:gpt-4o-mini).", 2);
            var prompt = baseKind == "prompt-file"
                ? SimulatorPrompt.FromFile(spec.Options["prompt"] ?? throw new DfidException($"simulator {spec.Name}: base: prompt-file needs prompt: FILE.", 2))
                : SimulatorPrompt.Persona();
            var chat = context.Chat(m);
            willing = new PromptedSimulator(spec.Name, prompt, context.Domain, chat, m.Spec, m.ToChatOptions());
            unwilling = new PromptedSimulator(spec.Name, SimulatorPrompt.Instructed(), context.Domain, chat, m.Spec, m.ToChatOptions());
        }
        return new GatedSimulator(spec.Name, model, willing, unwilling, spec.Options.Int("seed", 1)) { Base = baseKind, ContextTurns = contextTurns };
    }

    public ComponentDescription Describe(SimulatorSpec spec, IUserSimulator component)
    {
        var g = (GatedSimulator)component;
        var w = g.Model;
        var options = spec.Model?.ManifestOptions() ?? [];
        options["base"] = g.Base;
        options["seed"] = g.Seed.ToString(CultureInfo.InvariantCulture);
        options["pool"] = spec.Options["pool"] ?? "corpus";
        if (g.Base == "retrieval")
            foreach (var (k, v) in HistoryIndex.Describe(g.ContextTurns)) options[k] = v;
        options["willingness.training_hash"] = w.TrainingHash;
        options["willingness.stage_model_hash"] = w.StageModelHash;
        options["willingness.features"] = WillingnessFeatures.Version;
        options["willingness.folds"] = w.Folds.ToString(CultureInfo.InvariantCulture);
        options["willingness.training_conversations"] = w.TrainingConversations.All.ToString(CultureInfo.InvariantCulture);
        options["willingness.training_converted"] = w.TrainingConversations.Converted.ToString(CultureInfo.InvariantCulture);
        options["exit_form"] = ReplyCleaner.ExitToken;
        var prompts = new Dictionary<string, string>();
        if (g.Base != "retrieval")
        {
            prompts["unwilling"] = SimulatorPrompt.Instructed().FullText;
            prompts["willing"] = (g.Base == "prompt-file" ? SimulatorPrompt.FromFile(spec.Options["prompt"]!) : SimulatorPrompt.Persona()).FullText;
        }
        return new ComponentDescription(Kind, spec.Model?.Spec, options, prompts);
    }
}
