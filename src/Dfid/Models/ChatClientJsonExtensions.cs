using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Dfid.Models;

/// <summary>Strict JSON answers from any <see cref="IChatClient"/>.</summary>
public static class ChatClientJsonExtensions
{
    /// <summary>
    /// Asks for an answer matching <paramref name="schema"/> and validates it. Schema mode (OpenAI-compatible
    /// <c>response_format: json_schema</c>; a GBNF grammar for <c>gguf:</c>) or plain instructions quoting the schema
    /// (Anthropic, or <c>json_mode=prompt</c>); a schema-mode request the endpoint rejects with HTTP 400 is retried once in
    /// prompt mode. An answer that is not valid gets one repair attempt that shows the model its error.
    /// </summary>
    /// <param name="client">A client, normally from <see cref="ModelHost.GetClient(ModelSpec)"/>.</param>
    /// <param name="messages">The conversation to answer.</param>
    /// <param name="schema">A JSON Schema (draft 2020-12) for the answer.</param>
    /// <param name="schemaName">A short name for the schema (letters, digits, _ and -), sent in schema mode.</param>
    /// <param name="options">Chat options (sample index in <c>AdditionalProperties["dfid.sample"]</c>); the response format is set here.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The validated value, or a typed failure; never throws for bad model output or a failed model call.</returns>
    /// <exception cref="BudgetExhaustedException">The budget cap was reached: the run must stop scheduling.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static async Task<JsonAnswer> GetJsonAsync(this IChatClient client, IEnumerable<ChatMessage> messages, JsonElement schema,
        string schemaName, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentException.ThrowIfNullOrWhiteSpace(schemaName);
        var format = new JsonAnswerFormat(schema, schemaName);
        // A schema that does not compile fails here, before any request is sent.
        await format.Validator;
        return await client.GetJsonAnswerAsync(messages, format, options, cancellationToken);
    }

    /// <summary>As <see cref="GetJsonAsync(IChatClient, IEnumerable{ChatMessage}, JsonElement, string, ChatOptions?, CancellationToken)"/>,
    /// with the schema prepared once by a caller that asks many times.</summary>
    internal static async Task<JsonAnswer> GetJsonAnswerAsync(this IChatClient client, IEnumerable<ChatMessage> messages, JsonAnswerFormat format,
        ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(format);
        var mode = client.GetService<ModelSpec>()?.EffectiveJsonMode
            ?? (client.GetService<ChatClientMetadata>()?.ProviderName is "openai" ? JsonMode.Schema : JsonMode.Prompt);
        var conversation = messages.ToList();
        ModelCall? call = null;
        string? raw = null, error = null;
        JsonFailureKind failure = JsonFailureKind.ModelError;
        var schemaFallbackUsed = false;
        for (var attempt = 1; attempt <= 2; attempt++)
        {
            ChatResponse response;
            try
            {
                response = await client.GetResponseAsync(Prompt(conversation, format, mode), Options(options, format, mode), cancellationToken);
            }
            catch (ModelCallException ex) when (mode == JsonMode.Schema && ex.StatusCode == 400 && !schemaFallbackUsed)
            {
                // The endpoint does not take json_schema (e.g. DeepSeek): ask with instructions instead, once.
                schemaFallbackUsed = true;
                mode = JsonMode.Prompt;
                attempt--;
                continue;
            }
            catch (ModelCallException ex)
            {
                return new JsonAnswer(null, JsonFailureKind.ModelError, ex.Message, raw, attempt, call) { Mode = mode };
            }
            var thisCall = ModelCall.FromResponse(response);
            call = call is null ? thisCall : thisCall is null ? call : call.Plus(thisCall);
            raw = response.Text;
            var truncated = response.FinishReason == ChatFinishReason.Length;
            (var value, error, failure) = Check(raw, await format.Validator);
            if (value is { } ok) return new JsonAnswer(ok, null, null, raw, attempt, call) { Mode = mode };
            if (truncated)
            {
                failure = JsonFailureKind.Truncated;
                error = "the answer was cut at max_tokens: " + error;
            }
            if (attempt == 2) break;
            conversation.Add(new ChatMessage(ChatRole.Assistant, raw));
            conversation.Add(new ChatMessage(ChatRole.User,
                $"Your answer is not valid: {error}\nReply again with only the corrected JSON value, matching the schema, and nothing else."));
        }
        return new JsonAnswer(null, failure, error, raw, 2, call) { Mode = mode };
    }

    /// <summary>Parses and validates one answer: JSON text, optionally inside a Markdown code fence or after a short preamble.</summary>
    internal static (JsonElement? Value, string? Error, JsonFailureKind Failure) Check(string text, JsonSchemaValidator validator)
    {
        JsonElement parsed;
        try
        {
            parsed = Parse(text);
        }
        catch (JsonException ex)
        {
            return (null, $"not valid JSON ({ex.Message})", JsonFailureKind.InvalidJson);
        }
        return validator.Validate(parsed) is { } err ? (null, err, JsonFailureKind.SchemaViolation) : (parsed, null, JsonFailureKind.SchemaViolation);
    }

    private static JsonElement Parse(string text)
    {
        var t = text.Trim();
        if (t.StartsWith("```", StringComparison.Ordinal))
        {
            var firstNewline = t.IndexOf('\n');
            var end = t.LastIndexOf("```", StringComparison.Ordinal);
            if (firstNewline > 0 && end > firstNewline) t = t[(firstNewline + 1)..end].Trim();
        }
        try
        {
            using var doc = JsonDocument.Parse(t);
            return doc.RootElement.Clone();
        }
        catch (JsonException) when (t.IndexOf('{') is var open and >= 0 && t.LastIndexOf('}') is var close && close > open && (open > 0 || close < t.Length - 1))
        {
            // Only the object the model wrote, without a preamble such as "Here is the JSON:"; nothing is invented.
            using var doc = JsonDocument.Parse(t[open..(close + 1)]);
            return doc.RootElement.Clone();
        }
    }

    private static List<ChatMessage> Prompt(List<ChatMessage> conversation, JsonAnswerFormat format, JsonMode mode)
    {
        if (mode == JsonMode.Schema) return conversation;
        var instruction = format.Instruction;
        // Leading system text: providers such as Anthropic accept system instructions only there.
        if (conversation.Count > 0 && conversation[0].Role == ChatRole.System)
            return [new ChatMessage(ChatRole.System, conversation[0].Text + "\n\n" + instruction), .. conversation.Skip(1)];
        return [new ChatMessage(ChatRole.System, instruction), .. conversation];
    }

    private static ChatOptions Options(ChatOptions? options, JsonAnswerFormat format, JsonMode mode)
    {
        var o = options?.Clone() ?? new ChatOptions();
        o.ResponseFormat = mode == JsonMode.Schema ? format.ResponseFormat : null;
        return o;
    }
}
