using Dfid.Probing;
using Dfid.Simulation;

namespace Dfid.Running;

/// <summary>A parsed experiment file: what to probe, which simulators and instruments, which conditions.</summary>
/// <param name="SourcePath">Full path of the YAML file (relative paths inside resolve against its folder).</param>
/// <param name="Text">The YAML text as written, stored in the run.</param>
/// <param name="CorpusPath">Full path of the corpus (<c>dfid.corpus/1</c> JSON Lines).</param>
/// <param name="Sample">Outcome-balanced sample, or <c>null</c> for every conversation with a known outcome.</param>
/// <param name="Probes">Probe positions.</param>
/// <param name="Simulators">Simulators by name.</param>
/// <param name="Instruments">Instruments by name.</param>
/// <param name="Actions">Agent-action labeller, or <c>null</c> for none.</param>
/// <param name="Conditions">The (simulator, instrument) pairs, in file order.</param>
/// <param name="Budget">Cost and call caps.</param>
/// <param name="Concurrency">Probes in flight at once (and the model layer's concurrency limit).</param>
/// <param name="Cache">Response and embedding cache settings.</param>
/// <param name="Domain">Domain words for the prompts.</param>
public sealed record Experiment(
    string SourcePath,
    string Text,
    string CorpusPath,
    SampleSpec? Sample,
    ProbeOptions Probes,
    IReadOnlyDictionary<string, SimulatorSpec> Simulators,
    IReadOnlyDictionary<string, InstrumentSpec> Instruments,
    ActionsSpec? Actions,
    IReadOnlyList<ConditionSpec> Conditions,
    BudgetSpec Budget,
    int Concurrency,
    CacheSpec Cache,
    DomainWords Domain);

/// <summary>Outcome-balanced sampling.</summary>
/// <param name="PerStratum">Conversations per outcome stratum (converted / not converted).</param>
/// <param name="Seed">Random seed.</param>
public sealed record SampleSpec(int PerStratum, int Seed);

/// <summary>A model and its sampling options, as written in the experiment.</summary>
/// <param name="Spec">Model spec, e.g. <c>openai:gpt-4o-mini</c>, <c>anthropic:...</c>, <c>gguf:PATH</c>.</param>
/// <param name="Temperature">Sampling temperature.</param>
/// <param name="TopP">Nucleus sampling.</param>
/// <param name="MaxTokens">Maximum output tokens.</param>
/// <param name="Seed">Provider seed.</param>
/// <param name="ApiKeyEnv">Environment variable holding the key (for <c>openai:MODEL@URL</c>).</param>
public sealed record ModelSettings(string Spec, double? Temperature = null, double? TopP = null, int? MaxTokens = null, long? Seed = null, string? ApiKeyEnv = null);

/// <summary>The simulator kinds.</summary>
public enum SimulatorKind
{
    /// <summary>LLM as the real user (profile as natural language).</summary>
    Persona,
    /// <summary>Persona plus the license to be unwilling.</summary>
    Instructed,
    /// <summary>Returns the real turn.</summary>
    Replay,
    /// <summary>Nearest-history real turn from another conversation (offline).</summary>
    Retrieval,
    /// <summary>A user's own prompt template.</summary>
    PromptFile,
}

/// <summary>A simulator as declared in the experiment.</summary>
/// <param name="Name">Its key in <c>simulators</c>.</param>
/// <param name="Kind">Kind.</param>
/// <param name="Model">Model, for LLM kinds.</param>
/// <param name="PromptPath">Template file, for <c>prompt-file</c>.</param>
/// <param name="ContextTurns">History turns used by <c>retrieval</c>.</param>
/// <param name="Pool">Retrieval pool: <c>corpus</c> (every conversation of the corpus file) or <c>sample</c>.</param>
/// <param name="Line">Line of the declaration in the file.</param>
public sealed record SimulatorSpec(string Name, SimulatorKind Kind, ModelSettings? Model, string? PromptPath, int ContextTurns, string Pool, int Line);

/// <summary>An instrument as declared in the experiment.</summary>
/// <param name="Name">Its key in <c>instruments</c>.</param>
/// <param name="Kind"><c>learned</c> or <c>llm</c>.</param>
/// <param name="Model">Model, for <c>llm</c>.</param>
/// <param name="ContextTurns">Limit the causal context to the last K turns (null: all).</param>
/// <param name="Hindsight">Also label the real turn with the full conversation (the hindsight check).</param>
/// <param name="Line">Line of the declaration.</param>
public sealed record InstrumentSpec(string Name, string Kind, ModelSettings? Model, int? ContextTurns, bool Hindsight, int Line);

/// <summary>The agent-action labeller.</summary>
/// <param name="Kind"><c>learned</c> (offline, from persuader acts) or <c>llm</c>.</param>
/// <param name="Model">Model, for <c>llm</c>.</param>
/// <param name="Line">Line of the declaration.</param>
public sealed record ActionsSpec(string Kind, ModelSettings? Model, int Line);

/// <summary>One condition: a simulator scored by an instrument.</summary>
/// <param name="Name">Condition name (default: the simulator's name, or <c>simulator/instrument</c> when the simulator appears twice).</param>
/// <param name="Simulator">Simulator name.</param>
/// <param name="Instrument">Instrument name.</param>
/// <param name="Line">Line of the declaration.</param>
public sealed record ConditionSpec(string Name, string Simulator, string Instrument, int Line);

/// <summary>Budget caps; the run stops cleanly before exceeding them.</summary>
/// <param name="MaxCostUsd">Cost cap in US dollars.</param>
/// <param name="MaxCalls">Cap on model calls (cache hits excluded).</param>
public sealed record BudgetSpec(double? MaxCostUsd, long? MaxCalls);

/// <summary>Cache settings.</summary>
/// <param name="Enabled">Whether model responses are cached.</param>
/// <param name="Path">Cache folder (null: the user cache folder).</param>
public sealed record CacheSpec(bool Enabled, string? Path);
