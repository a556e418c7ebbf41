using Dfid.Corpus;
using Microsoft.Extensions.AI;

namespace Dfid.Simulation;

/// <summary>An LLM user simulator driven by a <see cref="SimulatorPrompt"/> (persona, instructed, prompt-file).</summary>
/// <remarks>
/// Talks plain text to an <see cref="IChatClient"/> only: which provider and which layers (cache, retries, budget) sit
/// behind it is not its concern. Sees only the turns before the probe. Thread-safe.
/// </remarks>
public sealed class PromptedSimulator : IUserSimulator
{
    private readonly PromptedModel _model;

    /// <summary>Creates the simulator.</summary>
    /// <param name="name">Name used in run stores.</param>
    /// <param name="prompt">The prompt templates.</param>
    /// <param name="domain">Domain words substituted into the prompt.</param>
    /// <param name="client">The model.</param>
    /// <param name="modelName">The model spec, recorded with each answer.</param>
    /// <param name="options">Sampling options (temperature, max tokens); cloned per call.</param>
    public PromptedSimulator(string name, SimulatorPrompt prompt, Domain domain, IChatClient client, string modelName, ChatOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(domain);
        Name = name;
        Prompt = prompt;
        Domain = domain;
        _model = new PromptedModel(client, modelName, options);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The prompt templates.</summary>
    public SimulatorPrompt Prompt { get; }

    /// <summary>The domain words.</summary>
    public Domain Domain { get; }

    /// <summary>The messages sent for <paramref name="request"/>: only the real turns before the probe appear.</summary>
    public IReadOnlyList<ChatMessage> BuildMessages(SimulationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var c = request.Conversation;
        var values = new Dictionary<string, string>
        {
            ["profile"] = PromptText.RenderProfile(c.Profile),
            ["history"] = PromptText.RenderHistory(c, request.ProbeTurnIndex, Domain.AgentLabel),
            ["agent"] = Domain.Agent,
            ["agent_label"] = Domain.AgentLabel,
            ["decision"] = Domain.Decision,
            ["domain"] = Domain.Decision,
            ["setting"] = Domain.Setting,
            ["exit"] = request.OfferExit ? SimulatorPrompt.ExitRule() : "",
        };
        // The exit rule goes after the system text (or, without one, where the template writes {exit}, else at its end), so the
        // rest of the prompt, and with it the study's prompts, stays byte-identical when the channel is not offered.
        var exitRule = request.OfferExit ? SimulatorPrompt.ExitRule() : null;
        var messages = new List<ChatMessage>(2);
        if (Prompt.SystemTemplate is not null)
            messages.Add(new ChatMessage(ChatRole.System, Normalise(PromptText.Fill(Prompt.SystemTemplate, values) + (exitRule is null ? "" : "\n\n" + exitRule))));
        var user = PromptText.Fill(Prompt.UserTemplate, values);
        if (exitRule is not null && Prompt.SystemTemplate is null && !Prompt.UserTemplate.Contains("{exit}", StringComparison.Ordinal)) user += "\n\n" + exitRule;
        messages.Add(new ChatMessage(ChatRole.User, Normalise(user)));
        return messages;
    }

    /// <inheritdoc/>
    /// <remarks>A failed model call throws (the run records it); cleaning decides Ok, Empty or Refusal.</remarks>
    public async Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var messages = BuildMessages(request);
        var (response, call) = await _model.AskAsync(messages, request.SampleIndex, cancellationToken);
        return ReplyCleaner.ToAnswer(response.Text, Domain.AgentLabel, request.OfferExit, call);
    }

    private static string Normalise(string text) => text.Replace("\n\n\n", "\n\n", StringComparison.Ordinal).Trim();
}
