using System.Text.Json;
using Dfid.Models;
using Microsoft.Extensions.AI;

namespace Dfid.Instrument;

/// <summary>
/// One LLM labelling prompt (the perceiver's or the action labeller's): the system text, the user-message template with
/// the domain words already in, the answer schema, and what derives from them once: the full template and its hash for
/// the run manifest, and the prepared strict-JSON answer format.
/// </summary>
internal sealed class LabellingPrompt
{
    private readonly string _userTemplate;

    /// <summary>Builds the prompt; <paramref name="userTemplate"/> keeps its per-turn placeholders (<c>{context}</c> …).</summary>
    public LabellingPrompt(string system, string userTemplate, JsonElement schema, string schemaName)
    {
        System = system;
        _userTemplate = userTemplate;
        Schema = schema;
        Template = system + "\n\n--- user message ---\n" + userTemplate;
        Hash = LlmPrompts.Hash(Template, schema);
        Format = new JsonAnswerFormat(schema, schemaName);
    }

    /// <summary>The system message.</summary>
    public string System { get; }

    /// <summary>The full prompt: system text, then the user message with its placeholders.</summary>
    public string Template { get; }

    /// <summary>SHA-256 of <see cref="Template"/> and the answer schema.</summary>
    public string Hash { get; }

    /// <summary>The JSON Schema of an answer.</summary>
    public JsonElement Schema { get; }

    /// <summary>The strict-JSON answer format (schema compiled once).</summary>
    public JsonAnswerFormat Format { get; }

    /// <summary>The system message, then the user message with <paramref name="values"/> in its placeholders.</summary>
    public IReadOnlyList<ChatMessage> Messages(IReadOnlyDictionary<string, string> values) =>
        [new ChatMessage(ChatRole.System, System), new ChatMessage(ChatRole.User, LlmPrompts.Render(_userTemplate, values))];
}
