
namespace Dfid.Core;

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
/// <param name="Domain">The domain's words for every prompt; null: inferred from the corpus (<see cref="Core.Domain.ForDataset"/>).</param>
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
    Domain? Domain)
{
    /// <summary>Agents by name (the other side of a rollout).</summary>
    public IReadOnlyDictionary<string, AgentSpec> Agents { get; init; } = new Dictionary<string, AgentSpec>();

    /// <summary>How rollouts start, how long they may run and how many per conversation.</summary>
    /// <value>The default is <see cref="RolloutOptions.Default"/>.</value>
    public RolloutOptions Rollouts { get; init; } = RolloutOptions.Default;

    /// <summary>Where simulators are offered the exit channel (the documented way to leave instead of replying).</summary>
    /// <value>The default is <see cref="ExitChannel.Auto"/>: at exit probes and in rollouts, not at depth probes (the study's prompts).</value>
    public ExitChannel ExitChannel { get; init; } = ExitChannel.Auto;

    /// <summary>The human labels of the run's turns (<c>human_labels:</c>, a <c>dfid.labels/1</c> file), used whenever the
    /// run is analysed: the labelled probed turns are the prediction-powered estimate's labelled subset and the instrument's
    /// validation, exactly like PersuasionForGood's acts (which they replace). Not part of what the run measures: it may
    /// be added or changed between sessions. Null: the built-in labels (PersuasionForGood's acts when the corpus has them).</summary>
    public string? HumanLabels { get; init; }

    /// <summary>How the model calls are made (online, or through the providers' batch APIs); not part of what the run
    /// measures, so it may change between sessions of one run.</summary>
    /// <value>The default value is online.</value>
    public ExecutionSpec Execution { get; init; } = ExecutionSpec.Online;
}

/// <summary>Where the exit channel is offered to the simulators.</summary>
public enum ExitChannel
{
    /// <summary>At exit probes and in rollouts; depth probes keep the study's prompts, so their numbers stay reproducible.</summary>
    Auto,
    /// <summary>Everywhere, depth probes included (a simulated exit at a depth probe counts as resisting).</summary>
    On,
    /// <summary>Nowhere (then only the offline simulators can leave).</summary>
    Off,
}

/// <summary>Free-running rollouts: where they start, how long they may run, how many per conversation.</summary>
/// <param name="Start">The probe position whose real prefix a rollout continues (0.3: the history before the 30% probe's user turn).</param>
/// <param name="MaxUserTurns">The cap on simulated user turns (a rollout reaching it is censored).</param>
/// <param name="Samples">Rollouts per conversation (sample index 0..K-1, each reproducible).</param>
public sealed record RolloutOptions(double Start, int MaxUserTurns, int Samples)
{
    /// <summary>Start at 30%, at most 20 user turns, one rollout per conversation.</summary>
    public static RolloutOptions Default { get; } = new(0.3, 20, 1);
}

/// <summary>An agent as declared in the experiment: the salesperson, persuader or negotiator of a rollout.</summary>
/// <param name="Name">Its key in <c>agents</c>.</param>
/// <param name="Kind">Its kind, a name in the agent registry (<c>llm</c>, <c>prompt-file</c>, <c>retrieval</c>, <c>replay</c>).</param>
/// <param name="Model">Model, for LLM kinds.</param>
/// <param name="Options">The kind's own settings as written.</param>
/// <param name="Line">Line of the declaration.</param>
public sealed record AgentSpec(string Name, string Kind, ModelSettings? Model, ComponentOptions Options, int Line);

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

/// <summary>A simulator as declared in the experiment.</summary>
/// <param name="Name">Its key in <c>simulators</c>.</param>
/// <param name="Kind">Its kind, a name in the simulator registry (<c>persona</c>, <c>instructed</c>, <c>replay</c>, <c>retrieval</c>, <c>prompt-file</c>).</param>
/// <param name="Model">Model, for LLM kinds.</param>
/// <param name="Options">The kind's own settings as written (e.g. <c>context_turns</c>, <c>pool</c>, <c>prompt</c>), checked by the kind when the file is read.</param>
/// <param name="Line">Line of the declaration in the file.</param>
public sealed record SimulatorSpec(string Name, string Kind, ModelSettings? Model, ComponentOptions Options, int Line);

/// <summary>An instrument as declared in the experiment.</summary>
/// <param name="Name">Its key in <c>instruments</c>.</param>
/// <param name="Kind">Its kind, a name in the instrument registry (<c>learned</c>, <c>llm</c>).</param>
/// <param name="Model">Model, for <c>llm</c>.</param>
/// <param name="Options">The kind's own settings as written (e.g. <c>context_turns</c>).</param>
/// <param name="Hindsight">Also label the real turn with the full conversation (the hindsight check).</param>
/// <param name="Line">Line of the declaration.</param>
public sealed record InstrumentSpec(string Name, string Kind, ModelSettings? Model, ComponentOptions Options, bool Hindsight, int Line);

/// <summary>The agent-action labeller.</summary>
/// <param name="Kind">Its kind, a name in the action-labeller registry (<c>learned</c>, offline from persuader acts, or <c>llm</c>).</param>
/// <param name="Model">Model, for <c>llm</c>.</param>
/// <param name="Line">Line of the declaration.</param>
public sealed record ActionsSpec(string Kind, ModelSettings? Model, int Line);

/// <summary>One condition: a simulator scored by an instrument, at teacher-forced probes or in rollouts with an agent.</summary>
/// <param name="Name">Condition name (default: the simulator's name, or <c>simulator/instrument</c> when the simulator appears twice).</param>
/// <param name="Simulator">Simulator name.</param>
/// <param name="Instrument">Instrument name.</param>
/// <param name="Line">Line of the declaration.</param>
public sealed record ConditionSpec(string Name, string Simulator, string Instrument, int Line)
{
    /// <summary><see cref="ConditionMode.Probe"/> (teacher-forced) or <see cref="ConditionMode.Rollout"/> (free-running with <see cref="Agent"/>).</summary>
    public ConditionMode Mode { get; init; } = ConditionMode.Probe;

    /// <summary>The agent of a rollout condition; null for probes.</summary>
    public string? Agent { get; init; }
}

/// <summary>How a condition is run.</summary>
public enum ConditionMode
{
    /// <summary>Teacher-forced probes: the simulator writes one user turn after the real history.</summary>
    Probe,
    /// <summary>Free-running: from a real prefix, the simulator and an agent alternate until an exit, a decision or the cap.</summary>
    Rollout,
}

/// <summary>Budget caps; the run stops cleanly before exceeding them.</summary>
/// <param name="MaxCostUsd">Cost cap in US dollars.</param>
/// <param name="MaxCalls">Cap on model calls (cache hits excluded).</param>
public sealed record BudgetSpec(double? MaxCostUsd, long? MaxCalls);

/// <summary>Cache settings.</summary>
/// <param name="Enabled">Whether model responses are cached.</param>
/// <param name="Path">Cache folder (null: the user cache folder).</param>
public sealed record CacheSpec(bool Enabled, string? Path);

/// <summary>A component's own settings as written in the experiment (key → scalar text), in key order.</summary>
/// <remarks>Kept as text so the experiment model does not depend on any kind; each kind reads and checks its keys when
/// the file is parsed (errors name the file and line) and again when it builds.</remarks>
public sealed class ComponentOptions : IEquatable<ComponentOptions>
{
    private readonly SortedDictionary<string, string> _values;

    /// <summary>Creates options from key → value pairs.</summary>
    public ComponentOptions(IEnumerable<KeyValuePair<string, string>>? values = null) =>
        _values = new SortedDictionary<string, string>(values?.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal) ?? [], StringComparer.Ordinal);

    /// <summary>No options.</summary>
    public static ComponentOptions None { get; } = new();

    /// <summary>The options in key order.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>The text of <paramref name="key"/>, or null.</summary>
    public string? this[string key] => _values.GetValueOrDefault(key);

    /// <summary>The integer value of <paramref name="key"/>, or <paramref name="fallback"/> when absent (the parser has checked it).</summary>
    public int Int(string key, int fallback) =>
        _values.TryGetValue(key, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    /// <summary>The integer value of <paramref name="key"/>, or null when absent.</summary>
    public int? Int(string key) =>
        _values.TryGetValue(key, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : null;

    /// <summary>The entries of a file-list option (<c>train: [a.jsonl, { labels: b.jsonl, corpus: c.jsonl }]</c>), each as
    /// key → absolute path (a plain path under <c>path</c>); empty when absent. The parser stores the list as a JSON array.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> FileList(string key) =>
        _values.TryGetValue(key, out var v)
            ? System.Text.Json.JsonSerializer.Deserialize<List<Dictionary<string, string>>>(v)?.Select(d => (IReadOnlyDictionary<string, string>)d).ToList() ?? []
            : [];

    /// <inheritdoc/>
    public bool Equals(ComponentOptions? other) => other is not null && _values.SequenceEqual(other._values);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ComponentOptions);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var (k, v) in _values) { h.Add(k); h.Add(v); }
        return h.ToHashCode();
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", _values.Select(kv => kv.Key + "=" + kv.Value));
}
