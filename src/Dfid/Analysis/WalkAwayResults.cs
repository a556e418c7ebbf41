using System.Text.Json.Serialization;

namespace Dfid.Analysis;

// The walk-away part of the results tree (docs/results-format.md, "Walk-away"): `exits` on a condition whose exit
// channel was measured at teacher-forced probes, `walk_away` on a rollout condition. Rates are shares in [0, 1]
// (not percent), averaged within a conversation first and then over conversations, so every conversation weighs
// the same, as D̄ does; their intervals resample conversations within outcome strata.

/// <summary>A share in [0, 1] over conversations with its bootstrap percentile interval.</summary>
/// <param name="Rate">Mean over conversations of each conversation's share (null when no conversation is eligible).</param>
/// <param name="CiLow">Lower interval bound.</param>
/// <param name="CiHigh">Upper interval bound.</param>
/// <param name="N">Conversations behind the rate.</param>
public sealed record RateEstimate(double? Rate, double? CiLow, double? CiHigh, int N);

/// <summary>A rate per outcome stratum.</summary>
/// <param name="Converted">Conversations that converted (y = 1).</param>
/// <param name="NotConverted">Conversations that did not (y = 0).</param>
public sealed record StratumRates(RateEstimate Converted, RateEstimate NotConverted);

/// <summary>A rate per outcome stratum and over both strata.</summary>
/// <param name="Converted">Conversations that converted (y = 1).</param>
/// <param name="NotConverted">Conversations that did not (y = 0).</param>
/// <param name="All">Both strata together (the sample's mix of outcomes; resampled within strata).</param>
public sealed record StratumRatesWithAll(RateEstimate Converted, RateEstimate NotConverted, RateEstimate All);

/// <summary>A difference per outcome stratum.</summary>
/// <param name="Converted">Converted stratum.</param>
/// <param name="NotConverted">Not-converted stratum.</param>
public sealed record StratumEstimates(Estimate Converted, Estimate NotConverted);

// ---- exit probes ----------------------------------------------------------------------------------------

/// <summary>The exit channel measured at teacher-forced probes: does the simulator leave where the real user left,
/// and only there?</summary>
/// <param name="Converted">Converted stratum: continuation points only (cut at the decision, censored), so recall is undefined.</param>
/// <param name="NotConverted">Not-converted stratum: real exit points and continuation points.</param>
/// <param name="McNemarMethod">Which McNemar test fills <c>mcnemar_p</c>: "exact" (binomial on the discordant probes, R binom.test).</param>
/// <param name="Note">What the converted stratum can and cannot show.</param>
public sealed record ExitResult(
    ExitStratum Converted,
    ExitStratum NotConverted,
    [property: JsonPropertyName("mcnemar_method")] string McNemarMethod,
    string Note);

/// <summary>One stratum of the exit probes.</summary>
/// <param name="Conversations">Conversations with at least one exit-probe row.</param>
/// <param name="ConversationsWithExitPoint">Conversations with a real exit point (ends on an agent turn the user never answered).</param>
/// <param name="ExitPoints">Real exit points (all rows, failed simulations included).</param>
/// <param name="OrdinaryProbes">Ordinary probes, where the real user continued (all rows).</param>
/// <param name="SimulationFailed">Rows whose simulated answer failed (no exit decision): excluded from recall, false exits and McNemar.</param>
/// <param name="SimExitsAtExitPoints">Usable real exit points where the simulator also left.</param>
/// <param name="SimExitsAtOrdinaryProbes">Usable ordinary probes where the simulator left (false exits).</param>
/// <param name="Recall">Exit recall: share of a conversation's usable real exit points where the simulator left; null without exit points.</param>
/// <param name="FalseExits">False-exit rate: share of a conversation's usable ordinary probes where the simulator left.</param>
/// <param name="RealExitPointShare">Real base rate: exit points / all exit-probe rows of the stratum (probes).</param>
/// <param name="RealExitConversationShare">Real base rate: conversations with an exit point / conversations.</param>
/// <param name="RealOnly">Discordant probes: the real user left, the simulator did not (missed exits).</param>
/// <param name="SimOnly">Discordant probes: the simulator left, the real user did not (false exits).</param>
/// <param name="McNemarP">Exact two-sided McNemar p (R binom.test(real_only, real_only + sim_only)); null without usable probes.</param>
/// <param name="McNemarChiSquareP">McNemar χ² p with continuity correction (R mcnemar.test); null without discordant probes.</param>
/// <param name="Censored">True for the converted stratum: it has no exit points by construction (cut at the decision).</param>
public sealed record ExitStratum(
    int Conversations,
    int ConversationsWithExitPoint,
    int ExitPoints,
    int OrdinaryProbes,
    int SimulationFailed,
    int SimExitsAtExitPoints,
    int SimExitsAtOrdinaryProbes,
    RateEstimate Recall,
    RateEstimate FalseExits,
    double? RealExitPointShare,
    double? RealExitConversationShare,
    int RealOnly,
    int SimOnly,
    [property: JsonPropertyName("mcnemar_p")] double? McNemarP,
    [property: JsonPropertyName("mcnemar_chi_square_p")] double? McNemarChiSquareP,
    bool Censored);

// ---- rollouts -------------------------------------------------------------------------------------------

/// <summary>The walk-away measurement of a rollout condition: free-running rollouts from real prefixes against the real
/// continuation of the same conversations.</summary>
/// <param name="Cap">The user-turn cap (<c>max_user_turns</c>).</param>
/// <param name="Samples">Rollouts per conversation (the largest K seen).</param>
/// <param name="Censoring">How survival times and events are defined (the same rule on both sides).</param>
/// <param name="Counts">Rollouts per stratum by how they ended; nothing is dropped silently.</param>
/// <param name="Real">Walk-away rate of the real continuations: share ending in an exit before the cap.</param>
/// <param name="Sim">Walk-away rate of the rollouts (per conversation: the share of its K rollouts).</param>
/// <param name="SimMinusReal">Simulated − real walk-away rate per stratum (paired by conversation), with CI.</param>
/// <param name="LogrankP">Log-rank p, real vs simulated, per stratum and stratified over both.</param>
/// <param name="KmCurves">Kaplan–Meier curves of user turns until the exit, real and simulated, per stratum.</param>
/// <param name="Conversion">Conversion within the cap, real vs simulated.</param>
/// <param name="RolloutDelta">The depth contrast on rollouts: per rollout D̄ = mean over matched positions k of
/// δ(simulated user turn k) − δ(k-th real user turn after the start), averaged per conversation; Δ = E[D̄|y=0] − E[D̄|y=1].</param>
/// <param name="TeacherForced">The rollout Δ next to the teacher-forced Δ of the same conversations; null without a twin condition.</param>
/// <param name="Examples">A few rollouts beside their real continuation.</param>
public sealed record WalkAwayResult(
    int Cap,
    int Samples,
    string Censoring,
    RolloutCountsByStratum Counts,
    StratumRates Real,
    StratumRates Sim,
    StratumEstimates SimMinusReal,
    LogRankByStratum LogrankP,
    KaplanMeierByStratum KmCurves,
    ConversionRates Conversion,
    EndpointResult RolloutDelta,
    TeacherForcedComparison? TeacherForced,
    IReadOnlyList<RolloutExample> Examples)
{
    /// <summary>The log-rank χ² statistics (1 df) behind <see cref="LogrankP"/>: how far the simulated walk-away curves are
    /// from the real ones (smaller is closer); null where undefined.</summary>
    public LogRankByStratum? LogrankChiSquare { get; init; }
}

/// <summary>Rollout counts per stratum.</summary>
/// <param name="Converted">Converted stratum.</param>
/// <param name="NotConverted">Not-converted stratum.</param>
public sealed record RolloutCountsByStratum(RolloutCounts Converted, RolloutCounts NotConverted);

/// <summary>How the rollouts of one stratum ended.</summary>
/// <param name="Conversations">Conversations with at least one rollout.</param>
/// <param name="Rollouts">Rollouts.</param>
/// <param name="Exit">Ended by the simulated user's exit.</param>
/// <param name="Decision">Ended by a simulated decision (censored).</param>
/// <param name="Cap">Reached the cap (censored).</param>
/// <param name="AgentEnded">The agent had nothing more to say (censored).</param>
/// <param name="Failed">A final failure ended the rollout (censored).</param>
/// <param name="ExitsAtCap">Exits after the cap-th user turn: censored at the cap like the real side (counted in <paramref name="Exit"/> too).</param>
/// <param name="RealExits">Conversations whose real user walked away before the cap (real events).</param>
/// <param name="SimExits">Rollouts whose simulated user walked away before the cap (simulated events).</param>
/// <param name="MatchedPositions">Matched positions (both turns labelled) behind the rollout D̄.</param>
public sealed record RolloutCounts(
    int Conversations,
    int Rollouts,
    int Exit,
    int Decision,
    int Cap,
    int AgentEnded,
    int Failed,
    int ExitsAtCap,
    int RealExits,
    int SimExits,
    int MatchedPositions);

/// <summary>Log-rank p-values, real vs simulated (R survdiff, rho = 0).</summary>
/// <param name="Converted">Within the converted stratum (null when there is no event at all).</param>
/// <param name="NotConverted">Within the not-converted stratum.</param>
/// <param name="Stratified">Both strata, stratified (R <c>survdiff(... ~ side + strata(stratum))</c>).</param>
public sealed record LogRankByStratum(double? Converted, double? NotConverted, double? Stratified);

/// <summary>Kaplan–Meier curves per stratum.</summary>
/// <param name="Converted">Converted stratum.</param>
/// <param name="NotConverted">Not-converted stratum.</param>
public sealed record KaplanMeierByStratum(KaplanMeierPair Converted, KaplanMeierPair NotConverted);

/// <summary>The real and the simulated curve of one stratum.</summary>
/// <param name="Real">One subject per conversation (its real continuation).</param>
/// <param name="Sim">One subject per rollout.</param>
public sealed record KaplanMeierPair(SurvivalCurve Real, SurvivalCurve Sim);

/// <summary>A Kaplan–Meier curve of remaining in the conversation (R survfit, Greenwood variance, "log" intervals).</summary>
/// <param name="Subjects">Subjects.</param>
/// <param name="Events">Exits observed.</param>
/// <param name="Steps">One entry per distinct time with an event or a censoring, ascending; S = 1 before the first.</param>
public sealed record SurvivalCurve(int Subjects, int Events, IReadOnlyList<SurvivalStep> Steps);

/// <summary>One time of a Kaplan–Meier curve.</summary>
/// <param name="Time">User turns written after the start.</param>
/// <param name="NRisk">Subjects at risk (time ≥ this).</param>
/// <param name="NEvent">Exits at this time.</param>
/// <param name="NCensor">Censored at this time.</param>
/// <param name="Survival">S(t): share still in the conversation after this time.</param>
/// <param name="StdErr">Greenwood standard error of S(t) (null where S = 0).</param>
/// <param name="CiLow">Lower pointwise bound (log interval; null where undefined).</param>
/// <param name="CiHigh">Upper pointwise bound (null where undefined).</param>
public sealed record SurvivalStep(int Time, int NRisk, int NEvent, int NCensor, double Survival, double? StdErr, double? CiLow, double? CiHigh);

/// <summary>Conversion within the cap, real vs simulated.</summary>
/// <param name="Real">Real: converted and the decision within the cap (fewer than cap user turns before it).</param>
/// <param name="Sim">Simulated: the rollout ended in a detected decision.</param>
/// <param name="SimMinusReal">Simulated − real per stratum, with CI.</param>
public sealed record ConversionRates(StratumRatesWithAll Real, StratumRatesWithAll Sim, StratumEstimates SimMinusReal);

/// <summary>The reviewer's comparison: probe vs free generation on the same real contexts.</summary>
/// <param name="Condition">The teacher-forced twin (a probe condition with the same simulator and instrument).</param>
/// <param name="Rollout">Rollout Δ on the conversations that have both a rollout D̄ and a teacher-forced D̄.</param>
/// <param name="TeacherForced">Teacher-forced Δ (primary D̄ over the twin's usable probes) on the same conversations.</param>
/// <param name="Difference">Rollout Δ − teacher-forced Δ with a paired bootstrap CI (one resample serves both).</param>
public sealed record TeacherForcedComparison(string Condition, EndpointResult Rollout, EndpointResult TeacherForced, Estimate Difference);

/// <summary>One rollout beside the real continuation of its conversation.</summary>
/// <param name="ConversationId">Conversation id.</param>
/// <param name="Converted">The real outcome.</param>
/// <param name="Sample">Which rollout of the conversation.</param>
/// <param name="StartTurn">Index of the first replaced real user turn.</param>
/// <param name="End">How the rollout ended: exit, decision, cap, agent-ended, failed.</param>
/// <param name="UserTurns">Simulated user turns written.</param>
/// <param name="RealUserTurns">Real user turns from the start.</param>
/// <param name="RealExit">Whether the real user walked away.</param>
/// <param name="Context">The last real agent turn before the start (null when not supplied).</param>
/// <param name="Simulated">The rollout's turns (from the stored rollout turns).</param>
/// <param name="Real">The real turns over the same window (up to the cap), with an exit marker where the real user left.</param>
public sealed record RolloutExample(
    string ConversationId,
    bool Converted,
    int Sample,
    int StartTurn,
    string End,
    int UserTurns,
    int RealUserTurns,
    bool RealExit,
    string? Context,
    IReadOnlyList<ExampleTurn> Simulated,
    IReadOnlyList<ExampleTurn> Real);

/// <summary>One turn of an example.</summary>
/// <param name="Step">0-based step after the real prefix (the user writes first).</param>
/// <param name="Role">"user" or "agent".</param>
/// <param name="Text">What was said (null for an exit or a failure).</param>
/// <param name="Stage">The instrument's stage of a user turn.</param>
/// <param name="Status">ok, exit, decision or a failure status.</param>
/// <param name="Gate">A gated simulator's drawn state and its probability for a simulated user turn (<c>gate: state=… p=…</c>), else null.</param>
public sealed record ExampleTurn(int Step, string Role, string? Text, string? Stage, string Status, string? Gate = null);
