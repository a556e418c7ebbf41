using System.Text.Json;
using Dfid.Corpus;
using Dfid.Models;
using Microsoft.Extensions.AI;

namespace Dfid.Instrument;

/// <summary>
/// The LLM perceiver (kind <c>llm</c>): asks a chat model for the decision state of one user turn in its causal context,
/// as strict JSON (stage, emotion, blocker, convergence_delta, key_signal) through
/// <see cref="ChatClientJsonExtensions.GetJsonAsync"/>.
/// </summary>
/// <remarks>
/// The prompt is our own: it defines every stage, emotion and blocker with short examples (from the taxonomy, with the
/// domain words substituted). Context is causal (the turns before the labelled one, optionally only the last K), plus the
/// later turns only when <see cref="LabelRequest.FullContext"/> is set. Every turn is quoted as a JSON string literal with
/// angle brackets escaped, inside tags the text cannot close, so it cannot pass for instructions or for the answer. A
/// <c>key_signal</c> that is not a span of the labelled turn (after whitespace/case normalisation) is kept and flagged.
/// Model failures and answers still invalid after one repair are returned as failed answers; only a
/// <see cref="BudgetExhaustedException"/> or cancellation propagates. Thread-safe.
/// </remarks>
public sealed class LlmPerceiver : IInstrument
{
    private const string UserTemplate =
        "{context}Labelled turn (turn {turn_number}, said by the {user}):\n<labelled_turn>{labelled_turn}</labelled_turn>\n\n{later}" +
        "Label the {user}'s decision state in the labelled turn. Answer with the JSON object only.";

    private readonly IChatClient _client;
    private readonly LlmPerceiverOptions _options;
    private readonly LabellingPrompt _prompt;

    /// <summary>Creates the perceiver over a (normally layered) chat client.</summary>
    /// <param name="client">The model, e.g. from <see cref="ModelHost.GetClient(ModelSpec)"/>.</param>
    /// <param name="options">Domain words, taxonomy, context limit.</param>
    public LlmPerceiver(IChatClient client, LlmPerceiverOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _client = client;
        _options = options;
        var w = options.Domain;
        var t = options.Taxonomy;
        var system = string.Join("\n",
            w.Apply("You annotate decision states in conversations between a {agent} and a {user}, who may or may not end up making a {commitment}."),
            w.Apply("You receive the conversation before one {user} turn and that turn (the labelled turn). Judge the {user}'s decision state as expressed in the labelled turn, read in its context. Use only what the input shows."),
            "",
            LlmPrompts.QuotingRules,
            "",
            LlmPrompts.Definitions("stage (choose one; the turn's place on the way from walking away to committing):", t.Stages, w),
            LlmPrompts.Definitions(w.Apply("emotion (the {user}'s tone in the labelled turn):"), t.Emotions, w),
            LlmPrompts.Definitions(w.Apply("blocker (the main obstacle the {user} names or implies in the labelled turn):"), t.Blockers, w),
            w.Apply("convergence_delta: a number from -1 to 1: how far the labelled turn moved the {user} toward (+) or away from (-) the {commitment} compared with before it; 0 when it did not move."),
            "key_signal: a short span (at most 120 characters) copied word for word from the labelled turn that best justifies the stage.",
            "",
            "Answer with one JSON object and nothing else: {\"stage\": ..., \"emotion\": ..., \"blocker\": ..., \"convergence_delta\": ..., \"key_signal\": ...}");
        var schema = LlmPrompts.EnumSchema(
            ("stage", "string", StateNames.All<Stage>(), null),
            ("emotion", "string", StateNames.All<Emotion>(), null),
            ("blocker", "string", StateNames.All<Blocker>(), null),
            ("convergence_delta", "number", null, "\"minimum\":-1,\"maximum\":1"),
            ("key_signal", "string", null, "\"maxLength\":120"));
        _prompt = new LabellingPrompt(system, w.Apply(UserTemplate), schema, "decision_state");
        Name = options.Name ?? "llm:" + (client.GetService<ModelSpec>()?.Id ?? "model");
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The full prompt: system text, then the user message with its placeholders (for the run manifest).</summary>
    public string PromptTemplate => _prompt.Template;

    /// <summary>SHA-256 of <see cref="PromptTemplate"/> and the answer schema.</summary>
    public string PromptHash => _prompt.Hash;

    /// <summary>The JSON Schema of an answer.</summary>
    public JsonElement Schema => _prompt.Schema;

    /// <summary>The causal context limit in effect (null = all earlier turns).</summary>
    public int? LastTurns => _options.LastTurns;

    /// <inheritdoc/>
    public async Task<Answer<DecisionState>> LabelAsync(LabelRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = BuildMessages(request);
        var answer = await _client.GetJsonAnswerAsync(messages, _prompt.Format, _options.ChatOptions, cancellationToken);
        if (!answer.IsSuccess)
            return Answer<DecisionState>.Failed(LlmPrompts.FailureStatus(answer), LlmPrompts.FailureText(answer), answer.Call, answer.RawText);
        return Answer<DecisionState>.Ok(Parse(answer.Value!.Value, request.LabelledText), answer.Call, answer.RawText);
    }

    /// <summary>The messages sent for <paramref name="request"/> (system prompt, then the quoted conversation).</summary>
    public IReadOnlyList<ChatMessage> BuildMessages(LabelRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var c = request.Conversation;
        ArgumentOutOfRangeException.ThrowIfNegative(request.TurnIndex, nameof(request));
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(request.TurnIndex, c.Turns.Length, nameof(request));
        var w = _options.Domain;
        return _prompt.Messages(new Dictionary<string, string>
        {
            ["context"] = LlmPrompts.Context(c, request.TurnIndex, _options.LastTurns, w),
            ["later"] = request.FullContext ? LlmPrompts.Later(c, request.TurnIndex, w) : "",
            ["turn_number"] = (request.TurnIndex + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["labelled_turn"] = LlmPrompts.Quote(request.LabelledText),
        });
    }

    internal static DecisionState Parse(JsonElement v, string labelledText)
    {
        // The schema has been validated by the JSON layer: names are known and the delta is in range.
        StateNames.TryParse(v.GetProperty("stage").GetString(), out Stage stage);
        StateNames.TryParse(v.GetProperty("emotion").GetString(), out Emotion emotion);
        StateNames.TryParse(v.GetProperty("blocker").GetString(), out Blocker blocker);
        var delta = Math.Clamp(v.GetProperty("convergence_delta").GetDouble(), -1, 1);
        var signal = v.GetProperty("key_signal").GetString();
        return new DecisionState(stage, emotion, blocker, delta, signal, LlmPrompts.IsSpan(signal, labelledText));
    }
}
