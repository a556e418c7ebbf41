using Dfid.Components;
using Dfid.Simulation;

namespace Dfid.Agents;

/// <summary>The agent kinds of rollouts: <c>llm</c>, <c>prompt-file</c>, <c>retrieval</c>, <c>replay</c>.</summary>
/// <remarks>A new kind is one class implementing <see cref="IComponentKind{TSpec, TComponent}"/> and one line in <see cref="CreateDefault"/>.</remarks>
public static class AgentKinds
{
    /// <summary>A registry with the built-in kinds.</summary>
    public static ComponentRegistry<AgentSpec, IAgent> CreateDefault() =>
        new ComponentRegistry<AgentSpec, IAgent>("agent")
            .Add(new PromptedAgentKind("llm", _ => AgentPrompt.Default()))
            .Add(new PromptedAgentKind("prompt-file", spec => AgentPrompt.FromFile(spec.Options["prompt"]!),
                new OptionRule("prompt", OptionType.File, "the template file (sent as the user message)", Required: true)))
            .Add(new RetrievalAgentKind())
            .Add(new ReplayAgentKind());
}

/// <summary>An LLM agent kind: the built-in prompt (from the domain's words) or a user's template, over the spec's model.</summary>
internal sealed class PromptedAgentKind(string kind, Func<AgentSpec, AgentPrompt> prompt, params OptionRule[] options) : IComponentKind<AgentSpec, IAgent>
{
    public string Kind { get; } = kind;
    public bool UsesModel => true;
    public IReadOnlyList<OptionRule> Options { get; } = options;

    public Task<IAgent> BuildAsync(AgentSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var model = spec.Model!;
        return Task.FromResult<IAgent>(new PromptedAgent(spec.Name, prompt(spec), context.Domain, context.Chat(model), model.Spec, model.ToChatOptions()));
    }

    public ComponentDescription Describe(AgentSpec spec, IAgent component)
    {
        var a = (PromptedAgent)component;
        var options = spec.Model!.ManifestOptions();
        options["domain.agent_role"] = a.Domain.AgentRole;
        options["domain.user_role"] = a.Domain.UserRole;
        options["domain.commitment"] = a.Domain.Commitment;
        return new ComponentDescription(Kind, spec.Model!.Spec, options, new Dictionary<string, string> { [a.Prompt.Name] = a.Prompt.FullText });
    }
}

/// <summary>The <c>retrieval</c> agent: the real agent turn after the most similar history in another conversation (offline).</summary>
internal sealed class RetrievalAgentKind : IComponentKind<AgentSpec, IAgent>
{
    public string Kind => "retrieval";
    public bool UsesModel => false;

    public IReadOnlyList<OptionRule> Options => HistoryIndex.OptionRules;

    public Task<IAgent> BuildAsync(AgentSpec spec, ComponentContext context, CancellationToken cancellationToken = default)
    {
        var (pool, contextTurns) = HistoryIndex.Settings(spec.Options, context);
        return Task.FromResult<IAgent>(new RetrievalAgent(spec.Name, pool, context.Embedder, contextTurns));
    }

    public ComponentDescription Describe(AgentSpec spec, IAgent component)
    {
        var options = HistoryIndex.Describe(((RetrievalAgent)component).ContextTurns);
        options["pool"] = spec.Options["pool"] ?? "corpus";
        return new(Kind, null, options, new Dictionary<string, string>());
    }
}

/// <summary>The <c>replay</c> agent: the real agent turns in order, ignoring the simulated user.</summary>
internal sealed class ReplayAgentKind : IComponentKind<AgentSpec, IAgent>
{
    public string Kind => "replay";
    public bool UsesModel => false;
    public IReadOnlyList<OptionRule> Options { get; } = [];

    public Task<IAgent> BuildAsync(AgentSpec spec, ComponentContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult<IAgent>(new ReplayAgent(spec.Name));

    public ComponentDescription Describe(AgentSpec spec, IAgent component) => ComponentDescription.Of(Kind);
}
