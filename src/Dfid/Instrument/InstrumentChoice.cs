using Dfid.Models;

namespace Dfid.Instrument;

/// <summary>
/// An instrument spec as written on the command line or in an experiment: <c>learned</c> (the offline learned instrument)
/// or <c>llm:MODELSPEC</c> (the LLM perceiver on any model spec, e.g. <c>llm:openai:gpt-4o-mini</c>,
/// <c>llm:anthropic:claude-3-5-haiku-latest</c>, <c>llm:gguf:../shared/models/stories260K.gguf;context_size=4096</c>).
/// </summary>
/// <param name="Kind"><c>learned</c> or <c>llm</c>.</param>
/// <param name="Model">The model spec of an <c>llm</c> instrument.</param>
public sealed record InstrumentChoice(string Kind, ModelSpec? Model)
{
    /// <summary>Kind of the offline learned instrument.</summary>
    public const string Learned = "learned";

    /// <summary>Kind of the LLM perceiver.</summary>
    public const string Llm = "llm";

    /// <summary>Parses a spec.</summary>
    /// <exception cref="DfidException">Not <c>learned</c> or <c>llm:MODELSPEC</c> (exit code 2), or a bad model spec.</exception>
    public static InstrumentChoice Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var s = spec.Trim();
        if (string.Equals(s, Learned, StringComparison.OrdinalIgnoreCase)) return new InstrumentChoice(Learned, null);
        if (s.StartsWith(Llm + ":", StringComparison.OrdinalIgnoreCase) && s.Length > 4)
            return new InstrumentChoice(Llm, ModelSpec.Parse(s[4..]));
        throw new DfidException(
            $"instrument spec \"{spec}\" is not understood; use \"learned\" or \"llm:MODELSPEC\" (e.g. llm:openai:gpt-4o-mini).", 2);
    }

    /// <inheritdoc/>
    public override string ToString() => Model is null ? Kind : $"{Kind}:{Model}";
}
