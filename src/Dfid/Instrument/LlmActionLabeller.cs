using System.Text.Json;
using Dfid.Corpus;
using Dfid.Models;
using Microsoft.Extensions.AI;

namespace Dfid.Instrument;

/// <summary>
/// The LLM agent-action labeller (kind <c>llm</c>): the agent turn before a probe → rapport, probe, pitch,
/// handle-objection, push-close or reassure, as strict JSON. Same quoting and causal context as <see cref="LlmPerceiver"/>.
/// </summary>
/// <remarks>Failures are returned as data; only budget exhaustion and cancellation propagate. Thread-safe.</remarks>
public sealed class LlmActionLabeller : IAgentActionLabeller
{
    private const string UserTemplate =
        "{context}Labelled turn (turn {turn_number}, said by the {agent}):\n<labelled_turn>{labelled_turn}</labelled_turn>\n\n" +
        "Label what the {agent} does in the labelled turn. Answer with the JSON object only.";

    // Internal: the labelling page shows people the same definitions (Annotation/AnnotationGuide).
    internal static readonly (string Name, string Definition, string[] Examples)[] Actions =
    [
        ("rapport", "Small talk and relationship building: greetings, thanks, compliments, personal chat, answering the {user}'s personal questions.", ["Hi, how are you today?", "That's very kind of you!"]),
        ("probe", "A neutral question about the {user}: needs, situation, experience, opinion.", ["Have you heard of {offer} before?", "Do you have kids?"]),
        ("pitch", "Presenting {offer}: its benefits, facts, arguments, stories, what others do.", ["Your help would feed a child for a week.", "It has the best battery on the market."]),
        ("handle-objection", "Answering a doubt or objection the {user} raised, or asking about it.", ["I understand, but most of the money goes straight to the kids.", "May I ask why not?"]),
        ("push-close", "Asking for the {commitment}: proposing it, asking for an amount or a yes, confirming it.", ["Would you like to {commit_verb} today?", "How much would you like to give?"]),
        ("reassure", "Lowering perceived risk or effort: how the process works, guarantees, no pressure.", ["It's all handled for you, nothing else to do.", "You can cancel any time."]),
    ];

    private readonly IChatClient _client;
    private readonly LlmPerceiverOptions _options;
    private readonly LabellingPrompt _prompt;

    /// <summary>Creates the labeller over a (normally layered) chat client.</summary>
    public LlmActionLabeller(IChatClient client, LlmPerceiverOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _client = client;
        _options = options;
        var w = options.Domain;
        var defs = Actions.Select(a => new TermDefinition(a.Name, a.Definition, [.. a.Examples]));
        var system = string.Join("\n",
            w.Apply("You annotate what a {agent} does in a conversation with a {user} about a possible {commitment}."),
            w.Apply("You receive the conversation before one {agent} turn and that turn (the labelled turn). Choose the one action that best describes the labelled turn; when it does several things, choose the one that matters most for the {user}'s decision (asking for the {commitment} first)."),
            "",
            LlmPrompts.QuotingRules,
            "",
            LlmPrompts.Definitions("action (choose one):", defs, w),
            "Answer with one JSON object and nothing else: {\"action\": ...}");
        _prompt = new LabellingPrompt(system, w.Apply(UserTemplate), LlmPrompts.EnumSchema(("action", "string", StateNames.All<AgentAction>(), null)), "agent_action");
        Name = options.Name ?? "llm:" + (client.GetService<ModelSpec>()?.Id ?? "model");
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The full prompt (system text, then the user message template), for the run manifest.</summary>
    public string PromptTemplate => _prompt.Template;

    /// <summary>SHA-256 of <see cref="PromptTemplate"/> and the answer schema.</summary>
    public string PromptHash => _prompt.Hash;

    /// <summary>The JSON Schema of an answer.</summary>
    public JsonElement Schema => _prompt.Schema;

    /// <inheritdoc/>
    public async Task<Answer<AgentAction>> LabelAsync(Conversation conversation, int agentTurnIndex, CancellationToken cancellationToken = default)
    {
        var messages = BuildMessages(conversation, agentTurnIndex);
        var answer = await _client.GetJsonAnswerAsync(messages, _prompt.Format, _options.ChatOptions, cancellationToken);
        if (!answer.IsSuccess)
            return Answer<AgentAction>.Failed(LlmPrompts.FailureStatus(answer), LlmPrompts.FailureText(answer), answer.Call, answer.RawText);
        StateNames.TryParse(answer.Value!.Value.GetProperty("action").GetString(), out AgentAction action);
        return Answer<AgentAction>.Ok(action, answer.Call, answer.RawText);
    }

    /// <summary>The messages sent for the agent turn at <paramref name="agentTurnIndex"/>.</summary>
    public IReadOnlyList<ChatMessage> BuildMessages(Conversation conversation, int agentTurnIndex)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        ArgumentOutOfRangeException.ThrowIfNegative(agentTurnIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(agentTurnIndex, conversation.Turns.Length);
        return _prompt.Messages(new Dictionary<string, string>
        {
            ["context"] = LlmPrompts.Context(conversation, agentTurnIndex, _options.LastTurns, _options.Domain),
            ["turn_number"] = (agentTurnIndex + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["labelled_turn"] = LlmPrompts.Quote(conversation.Turns[agentTurnIndex].Text),
        });
    }
}
