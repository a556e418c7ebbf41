using System.Text.Json;
using Json.Schema;

namespace Dfid.Models;

/// <summary>Validates JSON answers against one schema (JsonSchema.Net) and words the errors for a repair prompt.</summary>
/// <remarks>Thread-safe: a built schema is immutable and every evaluation has its own context.</remarks>
internal sealed class JsonSchemaValidator
{
    private readonly JsonSchema _schema;

    public JsonSchemaValidator(JsonElement schema)
    {
        // A private registry per schema: schemas with the same $id in one process must not collide.
        _schema = JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry() },
            new Uri($"https://dfid.invalid/schema/{Guid.NewGuid():N}"));
    }

    /// <summary>Null when valid; otherwise up to 6 errors as <c>/path: message</c>.</summary>
    public string? Validate(JsonElement instance)
    {
        // Most answers are valid: the flag format stops at the first failure and collects no details; only an invalid
        // answer is evaluated again for the error list.
        if (_schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid) return null;
        var result = _schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (result.IsValid) return null;
        var errors = new List<string>();
        void Collect(EvaluationResults r)
        {
            if (r.Errors is { Count: > 0 })
                foreach (var (keyword, message) in r.Errors)
                    errors.Add($"{(r.InstanceLocation.ToString() is { Length: > 0 } p ? p : "/")}: {message} ({keyword})");
            if (r.Details is { } details)
                foreach (var d in details) Collect(d);
        }
        Collect(result);
        if (errors.Count == 0) errors.Add("the value does not match the schema");
        return string.Join("; ", errors.Distinct().Take(6));
    }
}
