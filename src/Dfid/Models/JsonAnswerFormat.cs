using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Dfid.Models;

/// <summary>
/// The answer schema of a strict-JSON request, prepared once and reused for every call: its validator, the response
/// format sent in schema mode and the instruction text of prompt mode.
/// </summary>
/// <remarks>
/// Built per call, these cost more CPU than the rest of the request (the validator compiles the schema; the OpenAI
/// adapter transforms a response format's schema once per format instance and caches it on that instance). Immutable
/// and thread-safe.
/// </remarks>
internal sealed class JsonAnswerFormat
{
    /// <summary>Prepares <paramref name="schema"/> (JSON Schema 2020-12) under <paramref name="name"/>.</summary>
    public JsonAnswerFormat(JsonElement schema, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Schema = schema;
        Name = name;
        // Compiling the schema JITs much of JsonSchema.Net (a tenth of a second or more in a fresh process): it runs on
        // another thread while the caller goes on (building a run, sending the first requests); answers wait for it only
        // when it is not done yet.
        Validator = Task.Run(() => new JsonSchemaValidator(schema));
        ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, name);
        Instruction = "Answer with a single JSON value that validates against this JSON Schema, and nothing else "
            + "(no explanation, no code fence):\n" + JsonSerializer.Serialize(schema);
    }

    /// <summary>The schema.</summary>
    public JsonElement Schema { get; }

    /// <summary>The schema's short name, sent in schema mode.</summary>
    public string Name { get; }

    /// <summary>Validates answers (being built in the background until the task completes).</summary>
    public Task<JsonSchemaValidator> Validator { get; }

    /// <summary>The <c>json_schema</c> response format (schema mode).</summary>
    public ChatResponseFormat ResponseFormat { get; }

    /// <summary>The system instruction quoting the schema (prompt mode).</summary>
    public string Instruction { get; }
}
