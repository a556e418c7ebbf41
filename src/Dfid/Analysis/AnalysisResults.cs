using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dfid.Analysis;

// The results tree written to results.json (schema "dfid.results/1", documented in docs/results-format.md).
// Property names become snake_case in JSON. Every statistic that can be undefined (empty stratum, zero SD)
// is nullable and written as null, never NaN. Category names use the protocol's spelling
// ("resisting", "prior-failure", "handle-objection").

/// <summary>Everything the analysis computed for one run: one entry per condition plus the cross-condition summary.</summary>
/// <param name="Schema">Schema id, always <see cref="SchemaId"/>.</param>
/// <param name="Settings">The options the numbers were computed with (resamples, seed, confirmatory family).</param>
/// <param name="Conditions">One result per condition, in the order of first appearance in the probe table.</param>
/// <param name="Robustness">Δ, d, p for every condition with Holm-adjusted p over the confirmatory family.</param>
/// <param name="Manifest">Run metadata added by the caller (tool version, models, prompts, seeds); null when absent.</param>
/// <param name="InstrumentValidation">Each instrument's agreement with human stages on the probed real turns; empty without human labels.</param>
/// <param name="ProbeTableStamp">Digest of the run store's probe table these results were computed from (null when not from a store);
/// a report re-analyses when the store's digest differs.</param>
/// <param name="Dataset">The corpus's dataset id when the caller named it (<see cref="AnalysisInput.Dataset"/>); null otherwise.</param>
/// <param name="Selection">The protocol's selection check (corpus versus sample engagement), added by the run pipeline; null
/// when the results were not computed from a run.</param>
public sealed record AnalysisResults(
    string Schema,
    AnalysisSettings Settings,
    IReadOnlyList<ConditionResult> Conditions,
    RobustnessSummary Robustness,
    JsonElement? Manifest = null,
    IReadOnlyList<InstrumentAgreement>? InstrumentValidation = null,
    string? ProbeTableStamp = null,
    string? Dataset = null,
    SelectionCheck? Selection = null)
{
    /// <summary>The schema id of this record tree.</summary>
    public const string SchemaId = "dfid.results/1";
}

/// <summary>The options behind the numbers, echoed into the results.</summary>
/// <param name="Permutations">Permutation draws per test.</param>
/// <param name="BootstrapResamples">Bootstrap resamples per interval.</param>
/// <param name="Seed">Seed of all resampling.</param>
/// <param name="ConfidenceLevel">Two-sided level of every interval (0.95).</param>
/// <param name="ConfirmatoryFamily">Conditions whose p-values are Holm-adjusted together.</param>
/// <param name="DepthCoding">How stages map to depth: "resisting=0,exploring=1,engaging=2,considering=3,deciding=4".</param>
public sealed record AnalysisSettings(
    int Permutations,
    int BootstrapResamples,
    long Seed,
    double ConfidenceLevel,
    IReadOnlyList<string> ConfirmatoryFamily,
    string DepthCoding);

/// <summary>A point estimate with its bootstrap percentile interval.</summary>
/// <param name="Value">The estimate (null when undefined, e.g. an empty stratum or zero SD).</param>
/// <param name="CiLow">Lower interval bound (null when undefined).</param>
/// <param name="CiHigh">Upper interval bound (null when undefined).</param>
public sealed record Estimate(double? Value, double? CiLow, double? CiHigh)
{
    /// <summary>An estimate that is undefined.</summary>
    public static Estimate Undefined { get; } = new(null, null, null);
}

/// <summary>A mean over conversations with its bootstrap percentile interval.</summary>
/// <param name="Mean">Mean of the per-conversation values (null when there are none).</param>
/// <param name="CiLow">Lower interval bound.</param>
/// <param name="CiHigh">Upper interval bound.</param>
/// <param name="N">Number of conversations behind the mean.</param>
public sealed record MeanEstimate(double? Mean, double? CiLow, double? CiHigh, int N);

/// <summary>A mean per outcome stratum.</summary>
/// <param name="Converted">Conversations that converted (y = 1).</param>
/// <param name="NotConverted">Conversations that did not (y = 0).</param>
public sealed record StratumMeans(MeanEstimate Converted, MeanEstimate NotConverted);

/// <summary>Counts of one outcome stratum of one condition; nothing is dropped silently.</summary>
/// <param name="Conversations">Conversations with at least one usable probe (the analysed ones).</param>
/// <param name="ConversationsExcluded">Conversations whose probes all failed (excluded from every estimate).</param>
/// <param name="Probes">All probe rows of the stratum.</param>
/// <param name="ProbesUsable">Probes with both labels.</param>
/// <param name="ProbesFailed">Probes lost to failed model answers (sum of the three below).</param>
/// <param name="SimulationFailed">Probes whose simulator call failed.</param>
/// <param name="RealLabelFailed">Probes whose real turn the instrument failed to label.</param>
/// <param name="SimLabelFailed">Probes whose simulated turn the instrument failed to label.</param>
public sealed record StratumCounts(
    int Conversations,
    int ConversationsExcluded,
    int Probes,
    int ProbesUsable,
    int ProbesFailed,
    int SimulationFailed,
    int RealLabelFailed,
    int SimLabelFailed);

/// <summary>Counts per outcome stratum.</summary>
/// <param name="Converted">Converted stratum.</param>
/// <param name="NotConverted">Not-converted stratum.</param>
public sealed record ConditionCounts(StratumCounts Converted, StratumCounts NotConverted);

/// <summary>The results of one condition (a simulator × instrument pair).</summary>
/// <param name="Name">Condition name.</param>
/// <param name="Simulator">Simulator id (null when the caller did not name it).</param>
/// <param name="Instrument">Instrument id (null when the caller did not name it).</param>
/// <param name="NConverted">Analysed converted conversations.</param>
/// <param name="NNotConverted">Analysed not-converted conversations.</param>
/// <param name="NProbes">Usable probes (both labels) behind the estimates.</param>
/// <param name="Counts">Full counts per stratum, including failures and exclusions.</param>
/// <param name="MarginalBias">Mean D̄ over all analysed conversations, with CI.</param>
/// <param name="StratumBias">E[D̄ | converted] and E[D̄ | not converted] with CIs.</param>
/// <param name="Delta">Primary endpoint Δ = E[D̄|not] − E[D̄|converted] with CI.</param>
/// <param name="CohensD">Cohen's d of D̄ (not − converted, pooled SD) with CI; null when the pooled SD is 0.</param>
/// <param name="PValue">One-sided permutation p for Δ &gt; 0.</param>
/// <param name="Distributions">Stage, emotion and blocker distributions, real vs simulated, per stratum.</param>
/// <param name="ByPosition">Δ per probe position.</param>
/// <param name="Alternatives">Alternative endpoints (binary resistance, deep funnel, non-resisting only).</param>
/// <param name="Actions">Action-conditioned table.</param>
/// <param name="Hindsight">Causal vs full-context shift on real turns; null when no row carries a full-context label.</param>
/// <param name="PredictionPowered">Instrument-error-corrected estimates; null when no row carries a human label.</param>
/// <param name="Histogram">Histogram of D̄ per stratum (for plots).</param>
/// <param name="Examples">Non-converter probes with the largest depth gap (sim − real), with their texts.</param>
/// <param name="Mode"><see cref="ConditionModes.Probe"/> (teacher-forced probes) or <see cref="ConditionModes.Rollout"/>
/// (free-running rollouts; the depth fields above are then empty: a rollout condition has no teacher-forced probes).</param>
/// <param name="Agent">Agent id of a rollout condition (null for probe conditions or when the caller did not name it).</param>
/// <param name="Exits">The exit channel at teacher-forced probes; null when the condition has no exit probes.</param>
/// <param name="WalkAway">Walk-away statistics of a rollout condition; null for probe conditions.</param>
public sealed record ConditionResult(
    string Name,
    string? Simulator,
    string? Instrument,
    int NConverted,
    int NNotConverted,
    int NProbes,
    ConditionCounts Counts,
    Estimate MarginalBias,
    StratumMeans StratumBias,
    Estimate Delta,
    Estimate CohensD,
    double? PValue,
    Distributions Distributions,
    IReadOnlyList<PositionResult> ByPosition,
    AlternativeEndpoints Alternatives,
    ActionTable Actions,
    EndpointResult? Hindsight,
    PredictionPoweredResult? PredictionPowered,
    DbarHistogram Histogram,
    IReadOnlyList<ExampleProbe> Examples,
    string Mode = ConditionModes.Probe,
    string? Agent = null,
    ExitResult? Exits = null,
    WalkAwayResult? WalkAway = null);

/// <summary>Δ, d and p of one endpoint (a per-probe difference averaged per conversation, contrasted between strata).</summary>
/// <param name="Description">What D is for this endpoint.</param>
/// <param name="NConverted">Converted conversations with at least one eligible probe.</param>
/// <param name="NNotConverted">Not-converted conversations with at least one eligible probe.</param>
/// <param name="NProbes">Eligible probes.</param>
/// <param name="ConversationsExcluded">Analysed conversations without an eligible probe for this endpoint.</param>
/// <param name="StratumMeans">Stratum means of D̄ with CIs.</param>
/// <param name="Delta">Δ with CI.</param>
/// <param name="CohensD">Cohen's d with CI (null when the pooled SD is 0).</param>
/// <param name="PValue">One-sided permutation p for Δ &gt; 0 (null when a stratum is empty).</param>
public sealed record EndpointResult(
    string Description,
    int NConverted,
    int NNotConverted,
    int NProbes,
    int ConversationsExcluded,
    StratumMeans StratumMeans,
    Estimate Delta,
    Estimate CohensD,
    double? PValue);

/// <summary>The alternative endpoints of the protocol.</summary>
/// <param name="BinaryResistance">D on the coding 1 − I[stage = resisting] (positive = the simulator resists less).</param>
/// <param name="DeepFunnel">D on the coding I[stage ∈ {considering, deciding}].</param>
/// <param name="NonResisting">Depth D restricted to probes where neither turn is resisting.</param>
public sealed record AlternativeEndpoints(EndpointResult BinaryResistance, EndpointResult DeepFunnel, EndpointResult NonResisting);

/// <summary>Δ at one probe position.</summary>
/// <param name="Position">Nominal position (0.3, 0.6, 0.9), or the bin centre when positions are relative.</param>
/// <param name="Label">Display label ("30%", or "0–33%" for bins).</param>
/// <param name="NConverted">Converted conversations with a probe at this position.</param>
/// <param name="NNotConverted">Not-converted conversations with a probe at this position.</param>
/// <param name="StratumMeans">Stratum means of D at this position, with CIs.</param>
/// <param name="Delta">Δ at this position with CI.</param>
/// <param name="CohensD">Cohen's d at this position with CI.</param>
public sealed record PositionResult(
    double Position,
    string Label,
    int NConverted,
    int NNotConverted,
    StratumMeans StratumMeans,
    Estimate Delta,
    Estimate CohensD);

/// <summary>Real vs simulated distributions of the instrument's fields, per stratum.</summary>
/// <param name="Stage">Stage.</param>
/// <param name="Emotion">Emotion (probes where the instrument gave one).</param>
/// <param name="Blocker">Blocker (probes where the instrument gave one).</param>
public sealed record Distributions(FieldDistribution Stage, FieldDistribution Emotion, FieldDistribution Blocker);

/// <summary>One field's distribution per stratum.</summary>
/// <param name="Converted">Converted stratum.</param>
/// <param name="NotConverted">Not-converted stratum.</param>
public sealed record FieldDistribution(StratumDistribution Converted, StratumDistribution NotConverted);

/// <summary>Real vs simulated category shares over the usable probes of one stratum.</summary>
/// <param name="NReal">Probes with a real value for this field (the real denominator).</param>
/// <param name="NSim">Probes with a simulated value for this field (the simulated denominator).</param>
/// <param name="Categories">One row per category, in the enum's order (all categories, zeros included).</param>
public sealed record StratumDistribution(int NReal, int NSim, IReadOnlyList<CategoryShare> Categories);

/// <summary>One category's share, real → simulated.</summary>
/// <param name="Category">Protocol name of the category.</param>
/// <param name="RealCount">Real probes in the category.</param>
/// <param name="SimCount">Simulated probes in the category.</param>
/// <param name="RealPct">Real share in percent (null when the denominator is 0).</param>
/// <param name="SimPct">Simulated share in percent (null when the denominator is 0).</param>
/// <param name="ShiftPp">Simulated − real in percentage points (null when either is undefined).</param>
public sealed record CategoryShare(string Category, int RealCount, int SimCount, double? RealPct, double? SimPct, double? ShiftPp);

/// <summary>The action-conditioned table: per preceding agent action, resisting and considering real → sim.</summary>
/// <param name="Rows">One row per action with at least one usable probe, in the enum's order.</param>
/// <param name="ProbesWithoutAction">Usable probes whose preceding agent turn carries no action label (not in the table).</param>
/// <param name="McNemarMethod">Which McNemar test fills <c>mcnemar_p</c>: "exact" (binomial on the discordant pairs, R binom.test).</param>
public sealed record ActionTable(IReadOnlyList<ActionRow> Rows, int ProbesWithoutAction, [property: JsonPropertyName("mcnemar_method")] string McNemarMethod);

/// <summary>One action's row.</summary>
/// <param name="Action">Protocol name of the action.</param>
/// <param name="N">Usable probes after this action.</param>
/// <param name="Resisting">Stage = resisting, real → simulated.</param>
/// <param name="Considering">Stage = considering, real → simulated.</param>
public sealed record ActionRow(string Action, int N, ActionCell Resisting, ActionCell Considering);

/// <summary>One cell: a stage share real → simulated with its tests.</summary>
/// <param name="RealCount">Real probes in the stage.</param>
/// <param name="SimCount">Simulated probes in the stage.</param>
/// <param name="RealPct">Real share in percent.</param>
/// <param name="SimPct">Simulated share in percent.</param>
/// <param name="ShiftPp">Simulated − real, percentage points.</param>
/// <param name="FisherP">Two-sided Fisher exact p on the 2×2 table (branch × in-stage), as the study did (treats branches as independent).</param>
/// <param name="McNemarP">Exact two-sided McNemar p (paired: both branches come from the same probe).</param>
/// <param name="McNemarChiSquareP">McNemar χ² p with continuity correction (R mcnemar.test default); null when there are no discordant pairs.</param>
/// <param name="FisherPBh">Benjamini–Hochberg adjusted Fisher p over all cells of the table.</param>
/// <param name="McNemarPBh">Benjamini–Hochberg adjusted exact McNemar p over all cells of the table.</param>
/// <param name="RealOnly">Discordant probes: in the stage on the real branch only.</param>
/// <param name="SimOnly">Discordant probes: in the stage on the simulated branch only.</param>
public sealed record ActionCell(
    int RealCount,
    int SimCount,
    double? RealPct,
    double? SimPct,
    double? ShiftPp,
    double FisherP,
    [property: JsonPropertyName("mcnemar_p")] double McNemarP,
    [property: JsonPropertyName("mcnemar_chi_square_p")] double? McNemarChiSquareP,
    double FisherPBh,
    [property: JsonPropertyName("mcnemar_p_bh")] double McNemarPBh,
    int RealOnly,
    int SimOnly);

/// <summary>Δ, d and p for every condition, with Holm-adjusted p over the confirmatory family.</summary>
/// <param name="Rows">One row per condition.</param>
/// <param name="ConfirmatoryFamily">Names of the conditions in the Holm family.</param>
public sealed record RobustnessSummary(IReadOnlyList<RobustnessRow> Rows, IReadOnlyList<string> ConfirmatoryFamily);

/// <summary>One condition in the robustness summary.</summary>
/// <param name="Condition">Condition name.</param>
/// <param name="N">Analysed conversations.</param>
/// <param name="NotConvertedMean">E[D̄ | not converted].</param>
/// <param name="ConvertedMean">E[D̄ | converted].</param>
/// <param name="MarginalBias">Marginal bias.</param>
/// <param name="Delta">Δ with CI.</param>
/// <param name="CohensD">d with CI.</param>
/// <param name="PValue">Raw one-sided permutation p.</param>
/// <param name="Confirmatory">Whether the condition is in the confirmatory family.</param>
/// <param name="PHolm">Holm-adjusted p (null for exploratory conditions).</param>
public sealed record RobustnessRow(
    string Condition,
    int N,
    double? NotConvertedMean,
    double? ConvertedMean,
    double? MarginalBias,
    Estimate Delta,
    Estimate CohensD,
    double? PValue,
    bool Confirmatory,
    double? PHolm);

/// <summary>Prediction-powered correction of the real branch for instrument error, from the human-labelled probes.</summary>
/// <param name="NLabelledProbes">Usable probes whose real turn carries a human stage.</param>
/// <param name="NLabelledConversations">Analysed conversations with at least one human-labelled probe.</param>
/// <param name="InstrumentAccuracy">Share of labelled probes where the instrument's stage equals the human stage.</param>
/// <param name="RealDepthUncorrected">Mean real-branch depth per stratum from the instrument alone.</param>
/// <param name="RealDepthCorrected">PPI mean real-branch depth per stratum: mean(Φ on all) − mean(Φ − human on labelled).</param>
/// <param name="StratumBiasCorrected">E[D̄] per stratum with the corrected real branch.</param>
/// <param name="DeltaUncorrected">Δ from the instrument alone (equals the primary Δ).</param>
/// <param name="DeltaCorrected">PPI-corrected Δ with conversation-level bootstrap CI.</param>
public sealed record PredictionPoweredResult(
    int NLabelledProbes,
    int NLabelledConversations,
    double? InstrumentAccuracy,
    StratumMeans RealDepthUncorrected,
    StratumMeans RealDepthCorrected,
    StratumMeans StratumBiasCorrected,
    Estimate DeltaUncorrected,
    Estimate DeltaCorrected);

/// <summary>Histogram of D̄ per stratum.</summary>
/// <param name="Edges">Bin edges (one more than the counts); the last bin is closed.</param>
/// <param name="Converted">Converted conversations per bin.</param>
/// <param name="NotConverted">Not-converted conversations per bin.</param>
public sealed record DbarHistogram(IReadOnlyList<double> Edges, IReadOnlyList<int> Converted, IReadOnlyList<int> NotConverted);

/// <summary>A non-converter probe where the simulator went furthest past the real user, with its texts.</summary>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="ProbeTurn">Probed user turn index.</param>
/// <param name="Position">Probe position.</param>
/// <param name="RealStage">Real stage.</param>
/// <param name="SimStage">Simulated stage.</param>
/// <param name="Gap">Depth gap δ(sim) − δ(real).</param>
/// <param name="Action">Preceding agent action, when labelled.</param>
/// <param name="AgentTurn">The agent turn before the probe (null when the reader loaded no texts).</param>
/// <param name="RealReply">The real reply.</param>
/// <param name="SimReply">The simulated reply.</param>
/// <param name="RealKeySignal">The instrument's key signal on the real reply.</param>
/// <param name="SimKeySignal">The instrument's key signal on the simulated reply.</param>
/// <param name="SimGate">A gated simulator's drawn state and its probability for this reply (<c>gate: state=… p=…</c>), else null.</param>
public sealed record ExampleProbe(
    string ConversationId,
    int ProbeTurn,
    double Position,
    string RealStage,
    string SimStage,
    int Gap,
    string? Action,
    string? AgentTurn,
    string? RealReply,
    string? SimReply,
    string? RealKeySignal,
    string? SimKeySignal,
    string? SimGate = null);
