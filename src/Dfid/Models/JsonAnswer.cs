using System.Text.Json;

namespace Dfid.Models;

/// <summary>Why a JSON answer failed, after its repair attempt.</summary>
public enum JsonFailureKind
{
    /// <summary>The text was not JSON.</summary>
    InvalidJson,

    /// <summary>JSON that does not validate against the schema.</summary>
    SchemaViolation,

    /// <summary>The answer was cut at max_tokens (finish reason <c>length</c>) and is not valid.</summary>
    Truncated,

    /// <summary>The model call itself failed (see <see cref="ModelCallException"/>; the error says which kind).</summary>
    ModelError,
}

/// <summary>The result of <see cref="ChatClientJsonExtensions.GetJsonAsync"/>: a schema-valid JSON value, or a typed failure; never a coerced guess.</summary>
/// <param name="Value">The validated value; null on failure.</param>
/// <param name="Failure">Null on success.</param>
/// <param name="Error">What was wrong with the last answer (validation errors, parse error, provider error).</param>
/// <param name="RawText">The model's last answer as received.</param>
/// <param name="Attempts">Answers asked for: 1, or 2 with the repair attempt.</param>
/// <param name="Call">The combined cost record of all attempts; null when no call returned.</param>
public sealed record JsonAnswer(
    JsonElement? Value,
    JsonFailureKind? Failure,
    string? Error,
    string? RawText,
    int Attempts,
    ModelCall? Call)
{
    /// <summary>How the last answer was asked for: <see cref="JsonMode.Schema"/>, or <see cref="JsonMode.Prompt"/> (configured, or after the endpoint rejected schema mode).</summary>
    public JsonMode Mode { get; init; }

    /// <summary>Whether <see cref="Value"/> holds a schema-valid answer.</summary>
    public bool IsSuccess => Failure is null && Value is not null;

    /// <summary>The failure kind in snake_case (<c>invalid_json</c>, <c>schema_violation</c>, <c>truncated</c>, <c>model_error</c>), or null.</summary>
    public string? FailureName => Failure switch
    {
        null => null,
        JsonFailureKind.InvalidJson => "invalid_json",
        JsonFailureKind.SchemaViolation => "schema_violation",
        JsonFailureKind.Truncated => "truncated",
        _ => "model_error",
    };
}
