namespace Dfid.Store;

/// <summary>What a run was: a result without its manifest is not a result.</summary>
/// <param name="Tool">Tool name and version.</param>
/// <param name="ExperimentPath">The experiment file the run was started from.</param>
/// <param name="ExperimentSha256">SHA-256 of the experiment text.</param>
/// <param name="CorpusPath">Corpus file.</param>
/// <param name="CorpusSha256">SHA-256 of the corpus file.</param>
/// <param name="Sample">Sampling: per stratum and seed, or null for all.</param>
/// <param name="Probes">Probe positions (null: all) and greeting rule.</param>
/// <param name="Conversations">Conversations in the run, per stratum.</param>
/// <param name="ProbeCount">Probes in the run.</param>
/// <param name="Components">Every simulator, instrument and labeller with kind, model, options and prompts.</param>
/// <param name="Conditions">Condition name → simulator / instrument.</param>
/// <param name="Options">Concurrency, cache, budget.</param>
/// <param name="StartedAt">First start (UTC, ISO 8601).</param>
/// <param name="Sessions">Each invocation that worked on this run: start, end, how it ended.</param>
/// <param name="Usage">Totals over stored answers.</param>
/// <param name="CostUsd">Cost reported by the model layer over all sessions (null: unknown).</param>
public sealed record RunManifest(
    string Tool,
    string ExperimentPath,
    string ExperimentSha256,
    string CorpusPath,
    string CorpusSha256,
    object? Sample,
    object Probes,
    IReadOnlyDictionary<string, int> Conversations,
    int ProbeCount,
    IReadOnlyList<ComponentManifest> Components,
    IReadOnlyDictionary<string, string> Conditions,
    IReadOnlyDictionary<string, string> Options,
    string StartedAt,
    IReadOnlyList<RunSession> Sessions,
    UsageTotals? Usage,
    double? CostUsd)
{
    /// <summary>The shard this folder ran (<c>K/N</c>), or null for the whole run.</summary>
    public string? Shard { get; init; }

    /// <summary>For a run merged from shard folders (<c>dfid merge</c>): each shard (<c>K/N</c>) and its folder.</summary>
    public IReadOnlyList<string>? MergedFrom { get; init; }

    /// <summary>How the latest session made its model calls: <c>online</c> or <c>batch</c>; null for runs written before batch execution.</summary>
    public string? Execution { get; init; }

    /// <summary>The run's provider batches over all sessions, when there are any.</summary>
    public BatchTotals? Batches { get; init; }

    /// <summary>The labels file of the experiment's <c>human_labels:</c> as the latest session read it; null without one.</summary>
    public RunHumanLabels? HumanLabels { get; init; }

    /// <summary>Engagement statistics of the whole corpus for the selection check; null for runs recorded before the check existed.</summary>
    public EngagementStatistics? CorpusEngagement { get; init; }

    /// <summary>The offline instruments' resisting shares at the probe positions of every corpus conversation for the
    /// selection check; null until a session completes.</summary>
    public IReadOnlyList<CorpusResistingShare>? CorpusInstrumentShares { get; init; }
}

/// <summary>The human labels file a run is analysed with (<c>human_labels:</c>).</summary>
/// <param name="Path">The labels file (full path); the analysis reads it from here.</param>
/// <param name="Sha256">SHA-256 of the file when the session read it.</param>
/// <param name="Labels">Labels in the file.</param>
/// <param name="Turns">Labelled turns.</param>
/// <param name="Annotators">Its annotators, in order of first appearance.</param>
/// <param name="Rule">How one stage per turn is chosen when several annotators labelled it.</param>
public sealed record RunHumanLabels(string Path, string Sha256, int Labels, int Turns, IReadOnlyList<string> Annotators, string Rule);

/// <summary>The provider batches of a run (batch execution), over all its sessions.</summary>
/// <param name="Batches">Provider batches submitted.</param>
/// <param name="Requests">Requests in them.</param>
/// <param name="Answered">Requests answered.</param>
/// <param name="Failed">Requests failed (expired and cancelled included; those retried are counted once per submission).</param>
/// <param name="Pending">Requests whose outcome is not read yet.</param>
/// <param name="PromptTokens">Prompt tokens of the answers.</param>
/// <param name="CompletionTokens">Completion tokens of the answers.</param>
/// <param name="CachedPromptTokens">Prompt tokens of the answers the providers served from their prompt caches.</param>
/// <param name="CostUsd">Cost of the answers at the batch price (the price table's batch prices, else half the list price); null when a price is unknown.</param>
public sealed record BatchTotals(int Batches, long Requests, long Answered, long Failed, long Pending, long PromptTokens, long CompletionTokens,
    long CachedPromptTokens, double? CostUsd);

/// <summary>A simulator, instrument or labeller as run.</summary>
/// <param name="Role"><c>simulator</c>, <c>instrument</c> or <c>actions</c>.</param>
/// <param name="Name">Name in the experiment.</param>
/// <param name="Kind">Kind.</param>
/// <param name="Model">Model spec, if any.</param>
/// <param name="Options">Sampling and other options.</param>
/// <param name="Prompts">Full prompt texts by name.</param>
/// <param name="PromptSha256">SHA-256 of each prompt text by name.</param>
public sealed record ComponentManifest(
    string Role,
    string Name,
    string Kind,
    string? Model,
    IReadOnlyDictionary<string, string> Options,
    IReadOnlyDictionary<string, string> Prompts,
    IReadOnlyDictionary<string, string> PromptSha256);

/// <summary>One invocation of <c>dfid run</c> on a run folder.</summary>
/// <param name="StartedAt">Start (UTC).</param>
/// <param name="EndedAt">End (UTC), null while running or after a kill.</param>
/// <param name="Outcome"><c>completed</c>, <c>interrupted</c>, <c>budget</c>, or null after a kill.</param>
/// <param name="CostUsd">Cost of this session's model calls, when known.</param>
public sealed record RunSession(string StartedAt, string? EndedAt, string? Outcome, double? CostUsd);
