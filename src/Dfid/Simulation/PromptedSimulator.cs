using System.Diagnostics;
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
    private readonly IChatClient _client;
    private readonly ChatOptions _options;
    private readonly string _modelName;

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
        ArgumentNullException.ThrowIfNull(client);
        Name = name;
        Prompt = prompt;
        Domain = domain;
        _client = client;
        _modelName = modelName;
        _options = options ?? new ChatOptions();
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
        };
        var messages = new List<ChatMessage>(2);
        if (Prompt.SystemTemplate is not null)
            messages.Add(new ChatMessage(ChatRole.System, Normalise(PromptText.Fill(Prompt.SystemTemplate, values))));
        messages.Add(new ChatMessage(ChatRole.User, Normalise(PromptText.Fill(Prompt.UserTemplate, values))));
        return messages;
    }

    /// <inheritdoc/>
    /// <remarks>A failed model call throws (the run records it); cleaning decides Ok, Empty or Refusal.</remarks>
    public async Task<Answer<string>> ReplyAsync(SimulationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ProbeTurnIndex < 0 || request.ProbeTurnIndex >= request.Conversation.Turns.Length || request.Conversation.Turns[request.ProbeTurnIndex].Role != Role.User)
            throw new ArgumentOutOfRangeException(nameof(request), $"turn {request.ProbeTurnIndex} of {request.Conversation.Id} is not a user turn");
        var messages = BuildMessages(request);
        var options = _options.Clone();
        // The sample index keeps repeated samples distinct in the response cache but reproducible.
        options.AdditionalProperties ??= [];
        options.AdditionalProperties["dfid.sample"] = request.SampleIndex;
        var sw = Stopwatch.StartNew();
        var response = await _client.GetResponseAsync(messages, options, cancellationToken);
        // A client not built by ModelHost attaches no record: keep what the response itself reports.
        var call = ModelCall.FromResponse(response)
            ?? new ModelCall(response.ModelId ?? _modelName, response.Usage?.InputTokenCount, response.Usage?.OutputTokenCount, sw.Elapsed.TotalMilliseconds, CacheHit: false, Attempts: 1);
        var raw = response.Text;
        var (text, status) = ReplyCleaner.Clean(raw, Domain.AgentLabel);
        var error = status switch
        {
            AnswerStatus.Empty => "empty answer",
            AnswerStatus.Refusal => "the model refused to role-play",
            _ => null,
        };
        return new Answer<string>(text, status, error, call, raw);
    }

    private static string Normalise(string text) => text.Replace("\n\n\n", "\n\n", StringComparison.Ordinal).Trim();
}
