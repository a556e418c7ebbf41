using System.Globalization;
using Dfid.Components;

namespace Dfid.Simulation;

/// <summary>The simulator kinds: <c>persona</c>, <c>instructed</c>, <c>replay</c>, <c>retrieval</c>, <c>prompt-file</c>.</summary>
/// <remarks>A new kind is one class implementing <see cref="IComponentKind{TSpec, TComponent}"/> and one line in <see cref="CreateDefault"/>.</remarks>
public static class SimulatorKinds
{
    /// <summary>A registry with the built-in kinds.</summary>
    public static ComponentRegistry<SimulatorSpec, IUserSimulator> CreateDefault() =>
        new ComponentRegistry<SimulatorSpec, IUserSimulator>("simulator")
            .Add(new PromptedSimulatorKind("persona", _ => SimulatorPrompt.Persona()))
            .Add(new PromptedSimulatorKind("instructed", _ => SimulatorPrompt.Instructed()))
            .Add(new ReplaySimulatorKind())
            .Add(new RetrievalSimulatorKind())
            .Add(new PromptedSimulatorKind("prompt-file", spec => SimulatorPrompt.FromFile(spec.Options["prompt"]!),
                new OptionRule("prompt", OptionType.File, "the template file (sent as the user message)", Required: true)));
}

/// <summary>An LLM simulator kind: a prompt (persona, instructed, or a user's template file) over the spec's model.</summary>
internal sealed class PromptedSimulatorKind(string kind, Func<SimulatorSpec, SimulatorPrompt> prompt, params OptionRule[] options)
    : IComponentKind<SimulatorSpec, IUserSimulator>
{
    public string Kind { get; } = kind;
    public bool UsesModel => true;
    public IReadOnlyList<OptionRule> Options { get; } = options;

    public Task<IUserSimulator> BuildAsync(SimulatorSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var model = spec.Model!;
        IUserSimulator sim = new PromptedSimulator(spec.Name, prompt(spec), context.Domain, context.Chat(model), model.Spec, model.ToChatOptions());
        return Task.FromResult(sim);
    }

    public ComponentDescription Describe(SimulatorSpec spec, IUserSimulator component)
    {
        var p = (PromptedSimulator)component;
        var options = spec.Model!.ManifestOptions();
        options["domain.agent"] = p.Domain.Agent;
        options["domain.agent_label"] = p.Domain.AgentLabel;
        options["domain.decision"] = p.Domain.Decision;
        options["domain.setting"] = p.Domain.Setting;
        // The one exit form, documented in the prompt added when the exit channel is offered.
        options["exit_form"] = ReplyCleaner.ExitToken;
        return new ComponentDescription(p.Prompt.Name, spec.Model!.Spec, options,
            new Dictionary<string, string> { [p.Prompt.Name] = p.Prompt.FullText, ["exit"] = SimulatorPrompt.ExitRule() });
    }
}

/// <summary>The <c>replay</c> kind: the real turn (the sanity condition).</summary>
internal sealed class ReplaySimulatorKind : IComponentKind<SimulatorSpec, IUserSimulator>
{
    public string Kind => "replay";
    public bool UsesModel => false;
    public IReadOnlyList<OptionRule> Options { get; } = [];

    public Task<IUserSimulator> BuildAsync(SimulatorSpec spec, ComponentContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult<IUserSimulator>(new ReplaySimulator(spec.Name));

    public ComponentDescription Describe(SimulatorSpec spec, IUserSimulator component) => ComponentDescription.Of(Kind);
}

/// <summary>The <c>retrieval</c> kind: the real user turn after the most similar history in another conversation (offline).</summary>
internal sealed class RetrievalSimulatorKind : IComponentKind<SimulatorSpec, IUserSimulator>
{
    public string Kind => "retrieval";
    public bool UsesModel => false;

    public IReadOnlyList<OptionRule> Options => HistoryIndex.OptionRules;

    public Task<IUserSimulator> BuildAsync(SimulatorSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var (pool, contextTurns) = HistoryIndex.Settings(spec.Options, context);
        return Task.FromResult<IUserSimulator>(new RetrievalSimulator(spec.Name, pool, context.Embedder, contextTurns));
    }

    public ComponentDescription Describe(SimulatorSpec spec, IUserSimulator component) =>
        new(Kind, null, HistoryIndex.Describe(((RetrievalSimulator)component).ContextTurns), new Dictionary<string, string>());
}
