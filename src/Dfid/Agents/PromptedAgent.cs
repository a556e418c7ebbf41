using Dfid.Simulation;
using Microsoft.Extensions.AI;

namespace Dfid.Agents;

/// <summary>The templates of an LLM agent: an optional system message and the user message, with <c>{placeholders}</c>.</summary>
/// <remarks>
/// Placeholders (the domain's words as a judge would name the parties): <c>{agent}</c> (e.g. <c>salesperson</c>), <c>{user}</c>
/// (<c>customer</c>), <c>{user_label}</c> (how user turns are labelled in the history, e.g. <c>Customer</c>), <c>{commitment}</c>,
/// <c>{commit_verb}</c>, <c>{offer}</c>, <c>{setting}</c> and <c>{history}</c> (the turns so far: the agent's as "You").
/// </remarks>
/// <param name="Name">Prompt name recorded in the manifest (e.g. <c>agent</c>).</param>
/// <param name="SystemTemplate">System message template, or <c>null</c> for none.</param>
/// <param name="UserTemplate">User message template.</param>
public sealed record AgentPrompt(string Name, string? SystemTemplate, string UserTemplate)
{
    /// <summary>The built-in agent: the domain's agent trying to reach the decision, briefly and without pressure.</summary>
    public static AgentPrompt Default() =>
        new("agent", PromptText.Resource("agents/agent.system.txt"), PromptText.Resource("agents/history.user.txt"));

    /// <summary>A user's own template from a file: the whole file is the user message (no system message).</summary>
    public static AgentPrompt FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return new("agent-prompt-file:" + Path.GetFileName(path), null, File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    /// <summary>All template text, for the manifest and its hash.</summary>
    public string FullText => (SystemTemplate is null ? "" : "[system]\n" + SystemTemplate + "\n") + "[user]\n" + UserTemplate;
}

/// <summary>An LLM agent driven by an <see cref="AgentPrompt"/>, over any <see cref="IChatClient"/> (layers and provider are not its concern).</summary>
/// <remarks>Sees only the turns before its own; a failed model call throws (the run records it). Thread-safe.</remarks>
public sealed class PromptedAgent : IAgent
{
    private readonly PromptedModel _model;

    /// <summary>Creates the agent.</summary>
    /// <param name="name">Name used in run stores.</param>
    /// <param name="prompt">The prompt templates.</param>
    /// <param name="domain">Domain words substituted into the prompt.</param>
    /// <param name="client">The model.</param>
    /// <param name="modelName">The model spec, recorded with each answer.</param>
    /// <param name="options">Sampling options; cloned per call.</param>
    public PromptedAgent(string name, AgentPrompt prompt, Domain domain, IChatClient client, string modelName, ChatOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(domain);
        (Name, Prompt, Domain) = (name, prompt, domain);
        _model = new PromptedModel(client, modelName, options);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The prompt templates.</summary>
    public AgentPrompt Prompt { get; }

    /// <summary>The domain's words.</summary>
    public Domain Domain { get; }

    private string UserLabel => char.ToUpperInvariant(Domain.UserRole[0]) + Domain.UserRole[1..];

    /// <summary>The messages sent for <paramref name="request"/>.</summary>
    public IReadOnlyList<ChatMessage> BuildMessages(AgentRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var values = new Dictionary<string, string>
        {
            ["agent"] = Domain.AgentRole,
            ["user"] = Domain.UserRole,
            ["user_label"] = UserLabel,
            ["commitment"] = Domain.Commitment,
            ["commit_verb"] = Domain.CommitVerb,
            ["offer"] = Domain.Offer,
            ["setting"] = Domain.Setting,
            ["history"] = PromptText.RenderHistory(request.Conversation, request.TurnIndex, "You", UserLabel),
        };
        var messages = new List<ChatMessage>(2);
        if (Prompt.SystemTemplate is not null) messages.Add(new ChatMessage(ChatRole.System, PromptText.Fill(Prompt.SystemTemplate, values).Trim()));
        messages.Add(new ChatMessage(ChatRole.User, PromptText.Fill(Prompt.UserTemplate, values).Trim()));
        return messages;
    }

    /// <inheritdoc/>
    public async Task<Answer<string>> ReplyAsync(AgentRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (response, call) = await _model.AskAsync(BuildMessages(request), request.SampleIndex, cancellationToken);
        return ReplyCleaner.ToAnswer(response.Text, UserLabel, exitOffered: false, call);
    }
}
