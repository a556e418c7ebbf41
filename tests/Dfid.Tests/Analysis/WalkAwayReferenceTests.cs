using System.Globalization;
using Dfid.Analysis;

namespace Dfid.Tests.Analysis;

/// <summary>The walk-away statistics (exit probes, rollouts) against values computed independently in R
/// (Fixtures/analysis/walkaway_reference.R: base R, survfit, survdiff, binom.test, mcnemar.test).</summary>
/// <remarks>
/// Deterministic statistics (counts, rates, McNemar, Kaplan–Meier with Greenwood intervals, log-rank, Δ and d) must equal R
/// to 1e-9. Bootstrap bounds are Monte Carlo on both sides (B = 40,000 each) and the rates are discrete (shares of a few
/// conversations), so a bound is checked in probability space: our 2.5% bound must lie between R's 1.5% and 3.5% quantiles
/// of the same bootstrap distribution (and the 97.5% bound between 96.5% and 98.5%). The MC error of a quantile's level at
/// B = 40,000 is about 0.0008, so the band is wide against noise and narrow against a wrong resampling unit (probes instead
/// of conversations, or resampling across strata). Permutation p-values are checked within 4 combined Monte Carlo SEs.
/// </remarks>
public sealed class WalkAwayReferenceTests
{
    private const double Exact = 1e-9;
    private const string ExitCondition = "exit-probes", RolloutCondition = "rollouts", Twin = "twin";

    private static readonly Lazy<AnalysisResults> Results = new(() =>
        DecisionFidelityAnalysis.Analyze(Input(), new AnalysisOptions
        {
            BootstrapResamples = 40_000,
            Permutations = 200_000,
            Seed = 3,
            TeacherForcedTwins = new Dictionary<string, string> { [RolloutCondition] = Twin },
        }));

    private static readonly Dictionary<(string Part, string Stratum, string Statistic), string> Values =
        ReferenceFixtures.Read("walkaway_values.csv").ToDictionary(r => (r["part"], r["stratum"], r["statistic"]), r => r["value"]);

    private static double V(string part, string stratum, string statistic) =>
        Values[(part, stratum, statistic)] == "NA" ? double.NaN : double.Parse(Values[(part, stratum, statistic)], CultureInfo.InvariantCulture);

    private static int I(string part, string stratum, string statistic) => (int)V(part, stratum, statistic);

    internal static AnalysisInput Input()
    {
        var exits = ReferenceFixtures.Read("walkaway_exit_rows.csv").Select(r => new ExitProbeRow(
            ExitCondition, r["conversation"], r.Int("converted") == 1, r.Int("turn"), r.Num("position"), r.Int("real_exit") == 1,
            r["sim_exit"] == "NA" ? null : r.Int("sim_exit") == 1,
            r["status"] == "ok" ? ProbeStatus.Ok : ProbeStatus.SimulationFailed)).ToList();
        var rollouts = ReferenceFixtures.Read("walkaway_rollout_rows.csv").Select(r => new RolloutRow(
            RolloutCondition, r["conversation"], r.Int("converted") == 1, r.Int("sample"), r.Int("start_turn"), r.Int("cap"),
            r.Int("user_turns"), End(r["end"]), Stages(r["sim_stages"]), r.Int("real_user_turns"), r.Int("real_exit") == 1, Stages(r["real_stages"]))).ToList();
        var twin = ReferenceFixtures.Read("walkaway_twin_rows.csv").Select(r => new ProbeRow(
            Twin, r["conversation"], r.Int("converted") == 1, r.Int("turn"), r.Num("position"),
            new DecisionState((Stage)r.Int("real")),
            r["sim"] == "NA" ? null : new DecisionState((Stage)r.Int("sim")),
            null, r["status"] == "ok" ? ProbeStatus.Ok : ProbeStatus.SimulationFailed)).ToList();
        return new AnalysisInput(twin) { ExitRows = exits, RolloutRows = rollouts };
    }

    internal static RolloutEnd End(string s) => s switch
    {
        "exit" => RolloutEnd.Exit,
        "decision" => RolloutEnd.Decision,
        "cap" => RolloutEnd.Cap,
        "agent-ended" => RolloutEnd.AgentEnded,
        "failed" => RolloutEnd.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "unknown end"),
    };

    internal static IReadOnlyList<Stage?> Stages(string s) =>
        s.Length == 0 ? [] : s.Split(';').Select(x => x == "NA" ? (Stage?)null : (Stage)int.Parse(x, CultureInfo.InvariantCulture)).ToList();

    private static ConditionResult Condition(string name) => Results.Value.Conditions.Single(c => c.Name == name);

    [Fact]
    public void Conditions_HaveTheirModesAndOnlyTheirOwnWalkAwayParts()
    {
        var r = Results.Value;
        Assert.Equal([Twin, ExitCondition, RolloutCondition], r.Conditions.Select(c => c.Name));
        Assert.Equal(ConditionModes.Probe, Condition(Twin).Mode);
        Assert.Null(Condition(Twin).Exits);
        Assert.Null(Condition(Twin).WalkAway);
        Assert.Equal(ConditionModes.Probe, Condition(ExitCondition).Mode);
        Assert.NotNull(Condition(ExitCondition).Exits);
        Assert.Equal(ConditionModes.Rollout, Condition(RolloutCondition).Mode);
        Assert.NotNull(Condition(RolloutCondition).WalkAway);
        // Rollout conditions have no teacher-forced probes: they stay out of the robustness summary of Δ.
        Assert.DoesNotContain(r.Robustness.Rows, x => x.Condition == RolloutCondition);
    }

    [Theory]
    [InlineData("not_converted")]
    [InlineData("converted")]
    public void Exits_CountsRatesBaseRatesAndMcNemar_MatchR(string stratum)
    {
        var e = Condition(ExitCondition).Exits!;
        var s = stratum == "converted" ? e.Converted : e.NotConverted;
        Assert.Equal(I("exits", stratum, "conversations"), s.Conversations);
        Assert.Equal(I("exits", stratum, "conversations_with_exit_point"), s.ConversationsWithExitPoint);
        Assert.Equal(I("exits", stratum, "exit_points"), s.ExitPoints);
        Assert.Equal(I("exits", stratum, "ordinary_probes"), s.OrdinaryProbes);
        Assert.Equal(I("exits", stratum, "simulation_failed"), s.SimulationFailed);
        Assert.Equal(I("exits", stratum, "sim_exits_at_exit_points"), s.SimExitsAtExitPoints);
        Assert.Equal(I("exits", stratum, "sim_exits_at_ordinary_probes"), s.SimExitsAtOrdinaryProbes);
        Close(V("exits", stratum, "recall"), s.Recall.Rate, $"{stratum} recall");
        Assert.Equal(I("exits", stratum, "recall_n"), s.Recall.N);
        Close(V("exits", stratum, "false_exits"), s.FalseExits.Rate, $"{stratum} false exits");
        Assert.Equal(I("exits", stratum, "false_exits_n"), s.FalseExits.N);
        Close(V("exits", stratum, "real_exit_point_share"), s.RealExitPointShare, $"{stratum} exit point share");
        Close(V("exits", stratum, "real_exit_conversation_share"), s.RealExitConversationShare, $"{stratum} exit conversation share");
        Assert.Equal(I("exits", stratum, "real_only"), s.RealOnly);
        Assert.Equal(I("exits", stratum, "sim_only"), s.SimOnly);
        Close(V("exits", stratum, "mcnemar_p"), s.McNemarP, $"{stratum} McNemar exact");
        Close(V("exits", stratum, "mcnemar_chi_square_p"), s.McNemarChiSquareP, $"{stratum} McNemar chi-square");
        Assert.Equal(stratum == "converted", s.Censored);
        if (stratum == "converted")
        {
            // Converted conversations have no exit point: recall is undefined, not 0.
            Assert.Equal(0, s.ExitPoints);
            Assert.Null(s.Recall.Rate);
            Assert.Null(s.Recall.CiLow);
        }
    }

    [Fact]
    public void Exits_BootstrapBounds_FallInRsQuantileBands()
    {
        var e = Condition(ExitCondition).Exits!;
        Band("exits", "not_converted", "recall", e.NotConverted.Recall.CiLow, e.NotConverted.Recall.CiHigh);
        Band("exits", "not_converted", "false_exits", e.NotConverted.FalseExits.CiLow, e.NotConverted.FalseExits.CiHigh);
        Band("exits", "converted", "false_exits", e.Converted.FalseExits.CiLow, e.Converted.FalseExits.CiHigh);
    }

    [Theory]
    [InlineData("not_converted")]
    [InlineData("converted")]
    public void KaplanMeier_RealAndSimulated_MatchRSurvfit(string stratum)
    {
        var w = Condition(RolloutCondition).WalkAway!;
        var pair = stratum == "converted" ? w.KmCurves.Converted : w.KmCurves.NotConverted;
        var rows = ReferenceFixtures.Read("walkaway_km.csv").Where(r => r["stratum"] == stratum).ToList();
        foreach (var (side, curve) in new[] { ("real", pair.Real), ("sim", pair.Sim) })
        {
            var expected = rows.Where(r => r["side"] == side).ToList();
            Assert.Equal(I("km", stratum, side + "_subjects"), curve.Subjects);
            Assert.Equal(I("km", stratum, side + "_events"), curve.Events);
            Assert.Equal(expected.Count, curve.Steps.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                var (r, s) = (expected[i], curve.Steps[i]);
                var at = $"{stratum} {side} time {r["time"]}";
                Assert.Equal(r.Int("time"), s.Time);
                Assert.True(r.Int("n_risk") == s.NRisk, $"{at}: n.risk {s.NRisk} vs R {r["n_risk"]}");
                Assert.True(r.Int("n_event") == s.NEvent, $"{at}: n.event");
                Assert.True(r.Int("n_censor") == s.NCensor, $"{at}: n.censor");
                Close(r.Num("surv"), s.Survival, $"{at}: surv");
                Close(r.Num("std_err"), s.StdErr, $"{at}: std.err");
                Close(r.Num("lower"), s.CiLow, $"{at}: lower");
                Close(r.Num("upper"), s.CiHigh, $"{at}: upper");
            }
        }
    }

    [Fact]
    public void LogRank_PerStratumAndStratified_MatchRSurvdiff()
    {
        var w = Condition(RolloutCondition).WalkAway!;
        Close(V("logrank", "not_converted", "p"), w.LogrankP.NotConverted, "not converted");
        Close(V("logrank", "converted", "p"), w.LogrankP.Converted, "converted");
        Close(V("logrank", "all", "stratified_p"), w.LogrankP.Stratified, "stratified");
    }

    [Theory]
    [InlineData("not_converted")]
    [InlineData("converted")]
    public void Rollouts_CountsWalkAwayAndConversion_MatchR(string stratum)
    {
        var w = Condition(RolloutCondition).WalkAway!;
        var conv = stratum == "converted";
        var c = conv ? w.Counts.Converted : w.Counts.NotConverted;
        Assert.Equal(I("rollouts", stratum, "conversations"), c.Conversations);
        Assert.Equal(I("rollouts", stratum, "rollouts"), c.Rollouts);
        Assert.Equal(I("rollouts", stratum, "exits"), c.Exit);
        Assert.Equal(I("rollouts", stratum, "decisions"), c.Decision);
        Assert.Equal(I("rollouts", stratum, "caps"), c.Cap);
        Assert.Equal(I("rollouts", stratum, "agent_ended"), c.AgentEnded);
        Assert.Equal(I("rollouts", stratum, "failed"), c.Failed);
        Assert.Equal(I("rollouts", stratum, "exits_at_cap"), c.ExitsAtCap);
        Assert.Equal(I("rollouts", stratum, "real_exits"), c.RealExits);
        Assert.Equal(I("rollouts", stratum, "sim_exits"), c.SimExits);
        Assert.Equal(I("rollouts", stratum, "matched"), c.MatchedPositions);

        RateEstimate Pick(StratumRates x) => conv ? x.Converted : x.NotConverted;
        RateEstimate PickAll(StratumRatesWithAll x) => conv ? x.Converted : x.NotConverted;
        Estimate PickE(StratumEstimates x) => conv ? x.Converted : x.NotConverted;
        Close(V("rollouts", stratum, "real_walk"), Pick(w.Real).Rate, "real walk-away");
        Close(V("rollouts", stratum, "sim_walk"), Pick(w.Sim).Rate, "sim walk-away");
        Assert.Equal(c.Conversations, Pick(w.Real).N);
        Assert.Equal(c.Conversations, Pick(w.Sim).N);
        Close(V("rollouts", stratum, "walk_diff"), PickE(w.SimMinusReal).Value, "walk-away sim − real");
        Close(V("rollouts", stratum, "real_conv"), PickAll(w.Conversion.Real).Rate, "real conversion");
        Close(V("rollouts", stratum, "sim_conv"), PickAll(w.Conversion.Sim).Rate, "sim conversion");
        Close(V("rollouts", stratum, "conv_diff"), PickE(w.Conversion.SimMinusReal).Value, "conversion sim − real");
        Close(V("rollouts", "all", "real_conv"), w.Conversion.Real.All.Rate, "real conversion, all");
        Close(V("rollouts", "all", "sim_conv"), w.Conversion.Sim.All.Rate, "sim conversion, all");

        Band("rollouts", stratum, "real_walk", Pick(w.Real).CiLow, Pick(w.Real).CiHigh);
        Band("rollouts", stratum, "sim_walk", Pick(w.Sim).CiLow, Pick(w.Sim).CiHigh);
        Band("rollouts", stratum, "walk_diff", PickE(w.SimMinusReal).CiLow, PickE(w.SimMinusReal).CiHigh);
        Band("rollouts", stratum, "real_conv", PickAll(w.Conversion.Real).CiLow, PickAll(w.Conversion.Real).CiHigh);
        Band("rollouts", stratum, "sim_conv", PickAll(w.Conversion.Sim).CiLow, PickAll(w.Conversion.Sim).CiHigh);
        Band("rollouts", stratum, "conv_diff", PickE(w.Conversion.SimMinusReal).CiLow, PickE(w.Conversion.SimMinusReal).CiHigh);
        Band("rollouts", "all", "real_conv", w.Conversion.Real.All.CiLow, w.Conversion.Real.All.CiHigh);
        Band("rollouts", "all", "sim_conv", w.Conversion.Sim.All.CiLow, w.Conversion.Sim.All.CiHigh);
    }

    [Fact]
    public void RolloutDelta_AndTeacherForcedTwin_MatchR()
    {
        var w = Condition(RolloutCondition).WalkAway!;
        var tf = w.TeacherForced!;
        Assert.Equal(Twin, tf.Condition);
        Close(V("delta", "all", "rollout_delta"), w.RolloutDelta.Delta.Value, "rollout Δ");
        Close(V("delta", "all", "rollout_d"), w.RolloutDelta.CohensD.Value, "rollout d");
        Close(V("rollouts", "not_converted", "rollout"), w.RolloutDelta.StratumMeans.NotConverted.Mean, "rollout E[D̄|y=0]");
        Close(V("rollouts", "converted", "rollout"), w.RolloutDelta.StratumMeans.Converted.Mean, "rollout E[D̄|y=1]");
        Assert.Equal(I("rollouts", "not_converted", "rollout_n"), w.RolloutDelta.NNotConverted);
        Assert.Equal(I("rollouts", "converted", "rollout_n"), w.RolloutDelta.NConverted);
        Assert.Equal(I("delta", "all", "matched_all"), w.RolloutDelta.NProbes);
        Close(V("delta", "all", "rollout_common_delta"), tf.Rollout.Delta.Value, "rollout Δ, common conversations");
        Close(V("delta", "all", "rollout_common_d"), tf.Rollout.CohensD.Value, "rollout d, common");
        Close(V("delta", "all", "tf_common_delta"), tf.TeacherForced.Delta.Value, "teacher-forced Δ, common");
        Close(V("delta", "all", "tf_common_d"), tf.TeacherForced.CohensD.Value, "teacher-forced d, common");
        Close(V("delta", "all", "diff_common_delta"), tf.Difference.Value, "rollout Δ − teacher-forced Δ");
        Assert.Equal(I("rollouts", "not_converted", "common_n") + I("rollouts", "converted", "common_n"), tf.Rollout.NNotConverted + tf.Rollout.NConverted);
        Assert.Equal(tf.Rollout.NNotConverted, tf.TeacherForced.NNotConverted);
        Assert.Equal(I("delta", "all", "matched_common"), tf.Rollout.NProbes);
        Assert.Equal(I("delta", "all", "tf_probes_common"), tf.TeacherForced.NProbes);

        Band("delta", "all", "rollout_delta", w.RolloutDelta.Delta.CiLow, w.RolloutDelta.Delta.CiHigh);
        Band("delta", "all", "rollout_common_delta", tf.Rollout.Delta.CiLow, tf.Rollout.Delta.CiHigh);
        Band("delta", "all", "tf_common_delta", tf.TeacherForced.Delta.CiLow, tf.TeacherForced.Delta.CiHigh);
        Band("delta", "all", "diff_common_delta", tf.Difference.CiLow, tf.Difference.CiHigh);

        var perm = ReferenceFixtures.Read("walkaway_permutation.csv").ToDictionary(r => r["statistic"]);
        void P(string statistic, double? ours)
        {
            var r = perm[statistic];
            var p = r.Num("p");
            var draws = r.Int("draws");
            var se = Math.Sqrt(2 * p * (1 - p) / draws); // both sides Monte Carlo with the same number of draws
            Assert.NotNull(ours);
            Assert.True(Math.Abs(ours.Value - p) <= 4 * se + 2.0 / draws, $"{statistic}: p {ours} vs R {p} (4 SE = {4 * se})");
        }
        P("rollout_delta", w.RolloutDelta.PValue);
        P("rollout_common_delta", tf.Rollout.PValue);
        P("tf_common_delta", tf.TeacherForced.PValue);
    }

    private static readonly Dictionary<(string, string, string), Dictionary<string, string>> Bands =
        ReferenceFixtures.Read("walkaway_bootstrap.csv").ToDictionary(r => (r["part"], r["stratum"], r["statistic"]));

    private static void Band(string part, string stratum, string statistic, double? low, double? high)
    {
        var r = Bands[(part, stratum, statistic)];
        Assert.NotNull(low);
        Assert.NotNull(high);
        Assert.True(low >= r.Num("q015") - Exact && low <= r.Num("q035") + Exact,
            $"{part} {stratum} {statistic}: lower bound {low} outside R's 1.5–3.5% quantiles [{r["q015"]}, {r["q035"]}] (R 2.5%: {r["q025"]})");
        Assert.True(high >= r.Num("q965") - Exact && high <= r.Num("q985") + Exact,
            $"{part} {stratum} {statistic}: upper bound {high} outside R's 96.5–98.5% quantiles [{r["q965"]}, {r["q985"]}] (R 97.5%: {r["q975"]})");
    }

    private static void Close(double expected, double? actual, string what)
    {
        if (double.IsNaN(expected))
        {
            Assert.True(actual is null, $"{what}: {actual} vs R NA");
            return;
        }
        Assert.True(actual is not null, $"{what}: null vs R {expected}");
        Assert.True(Math.Abs(actual.Value - expected) <= Exact * Math.Max(1, Math.Abs(expected)), $"{what}: {actual} vs R {expected}");
    }
}
