using Dfid.Analysis;

namespace Dfid.Tests.Analysis;

/// <summary>Behaviour of the walk-away analysis: replay gives no difference, a simulator that never leaves has recall 0,
/// the cap censors both sides alike, depth-only inputs are unchanged, inconsistent rows are clear errors.</summary>
public sealed class WalkAwayAnalysisTests
{
    private static readonly AnalysisOptions Fast = new() { Permutations = 2_000, BootstrapResamples = 1_000, Seed = 5 };

    /// <summary>Rollouts that replay the real continuation: the simulated user writes the real turns and leaves where the
    /// real user left (or runs into the cap, the decision, or the end of the real agent turns exactly as the real side).</summary>
    private static List<RolloutRow> Replay(string condition = "replay", int conversations = 40, int cap = 6, int samples = 1)
    {
        var rng = new Random(3);
        var rows = new List<RolloutRow>();
        for (var c = 0; c < conversations; c++)
        {
            var converted = c % 2 == 0;
            var realTurns = 1 + rng.Next(0, 9);
            var realExit = !converted && rng.NextDouble() < 0.7;
            var stages = Enumerable.Range(0, Math.Min(realTurns, cap)).Select(_ => rng.NextDouble() < 0.1 ? (Stage?)null : (Stage)rng.Next(0, 5)).ToList();
            var turns = Math.Min(realTurns, cap);
            var end = realTurns >= cap ? RolloutEnd.Cap : realExit ? RolloutEnd.Exit : converted ? RolloutEnd.Decision : RolloutEnd.AgentEnded;
            for (var s = 0; s < samples; s++)
                rows.Add(new RolloutRow(condition, $"c{c:D3}", converted, s, 4, cap, turns, end, stages, realTurns, realExit, stages));
        }
        return rows;
    }

    private static WalkAwayResult WalkAway(AnalysisInput input, AnalysisOptions? options = null, string condition = "replay") =>
        DecisionFidelityAnalysis.Analyze(input, options ?? Fast).Conditions.Single(c => c.Name == condition).WalkAway!;

    [Fact]
    public void ReplayRollouts_GiveIdenticalCurves_LogRankPOne_AndZeroDelta()
    {
        var w = WalkAway(new AnalysisInput([]) { RolloutRows = Replay() });
        foreach (var pair in new[] { w.KmCurves.NotConverted, w.KmCurves.Converted })
            Assert.Equal(pair.Real.Steps, pair.Sim.Steps);
        Assert.True(w.KmCurves.NotConverted.Real.Events > 3, "the fixture must have real exits");
        Assert.Equal(1.0, w.LogrankP.NotConverted!.Value, 12);
        Assert.Equal(1.0, w.LogrankP.Stratified!.Value, 12);
        // Converters never walk away: no event on either side, so the test is undefined there (R: p NA), not 1.
        Assert.Null(w.LogrankP.Converted);
        Assert.Equal(w.Real.NotConverted.Rate, w.Sim.NotConverted.Rate);
        Assert.Equal(0.0, w.SimMinusReal.NotConverted.Value!.Value, 12);
        Assert.Equal(0.0, w.SimMinusReal.NotConverted.CiLow!.Value, 12);
        Assert.Equal(0.0, w.SimMinusReal.NotConverted.CiHigh!.Value, 12);
        Assert.Equal(0.0, w.Conversion.SimMinusReal.Converted.Value!.Value, 12);
        Assert.Equal(0.0, w.RolloutDelta.Delta.Value!.Value, 12);
        Assert.Equal(0.0, w.RolloutDelta.StratumMeans.NotConverted.Mean!.Value, 12);
        Assert.Null(w.RolloutDelta.CohensD.Value); // pooled SD 0, as replay's depth d
        Assert.Equal(1.0, w.RolloutDelta.PValue);
    }

    [Fact]
    public void ReplayRollouts_WithKSamples_AverageWithinConversation()
    {
        var one = WalkAway(new AnalysisInput([]) { RolloutRows = Replay(samples: 1) });
        var three = WalkAway(new AnalysisInput([]) { RolloutRows = Replay(samples: 3) });
        Assert.Equal(3, three.Samples);
        Assert.Equal(one.Sim.NotConverted.Rate, three.Sim.NotConverted.Rate);
        Assert.Equal(one.Sim.NotConverted.N, three.Sim.NotConverted.N); // n counts conversations, not rollouts
        Assert.Equal(3 * one.Counts.NotConverted.Rollouts, three.Counts.NotConverted.Rollouts);
        Assert.Equal(3 * one.KmCurves.NotConverted.Sim.Subjects, three.KmCurves.NotConverted.Sim.Subjects);
        Assert.Equal(one.KmCurves.NotConverted.Real.Subjects, three.KmCurves.NotConverted.Real.Subjects);
    }

    [Fact]
    public void CapCensorsBothSidesAlike()
    {
        const int cap = 5;
        Stage?[] none = [];
        RolloutRow Row(string id, int userTurns, RolloutEnd end, int realTurns, bool realExit) =>
            new("r", id, false, 0, 2, cap, userTurns, end, Enumerable.Repeat((Stage?)Stage.Exploring, userTurns).ToList(), realTurns, realExit, none);
        var rows = new List<RolloutRow>
        {
            Row("exit-before-cap", 2, RolloutEnd.Exit, 2, true),         // both sides: event at 2
            Row("exit-at-cap", cap, RolloutEnd.Exit, cap, true),         // both sides exit after the cap-th turn: censored at the cap
            Row("real-long", cap, RolloutEnd.Cap, 11, true),             // real exit after 11 turns: censored at the cap
            Row("real-continued", 1, RolloutEnd.Failed, 3, false),       // real ended on a user turn: censored at 3; sim failed: censored at 1
        };
        Assert.Equal((2, true), RolloutAnalysis.SimulatedSurvival(rows[0]));
        Assert.Equal((2, true), RolloutAnalysis.RealSurvival(rows[0]));
        Assert.Equal((cap, false), RolloutAnalysis.SimulatedSurvival(rows[1]));
        Assert.Equal((cap, false), RolloutAnalysis.RealSurvival(rows[1]));
        Assert.Equal((cap, false), RolloutAnalysis.RealSurvival(rows[2]));
        Assert.Equal((3, false), RolloutAnalysis.RealSurvival(rows[3]));
        Assert.Equal((1, false), RolloutAnalysis.SimulatedSurvival(rows[3]));

        var w = WalkAway(new AnalysisInput([]) { RolloutRows = rows }, condition: "r");
        Assert.Equal(1, w.Counts.NotConverted.RealExits);
        Assert.Equal(1, w.Counts.NotConverted.SimExits);
        Assert.Equal(2, w.Counts.NotConverted.Exit);       // how they ended, as stored
        Assert.Equal(1, w.Counts.NotConverted.ExitsAtCap); // ... of which one after the cap-th turn
        Assert.Equal(0.25, w.Real.NotConverted.Rate!.Value, 12);
        Assert.Equal(0.25, w.Sim.NotConverted.Rate!.Value, 12);
        Assert.True(w.KmCurves.NotConverted.Real.Steps.All(s => s.Time <= cap));
        Assert.Equal(cap, w.KmCurves.NotConverted.Real.Steps[^1].Time);
        Assert.Equal(2, w.KmCurves.NotConverted.Real.Steps[^1].NCensor); // exit-at-cap and real-long
    }

    [Fact]
    public void SimulatorThatNeverExits_HasRecallZeroAndFalseExitsZero()
    {
        var rows = new List<ExitProbeRow>();
        for (var c = 0; c < 30; c++)
        {
            var converted = c % 3 == 0;
            rows.Add(new ExitProbeRow("persona", $"c{c}", converted, 3, 0.3, false, false, ProbeStatus.Ok));
            rows.Add(new ExitProbeRow("persona", $"c{c}", converted, 5, 0.6, false, false, ProbeStatus.Ok));
            if (!converted) rows.Add(new ExitProbeRow("persona", $"c{c}", false, 8, 1, true, false, ProbeStatus.Ok));
        }
        var e = DecisionFidelityAnalysis.Analyze(new AnalysisInput([]) { ExitRows = rows }, Fast).Conditions.Single().Exits!;
        Assert.Equal(0.0, e.NotConverted.Recall.Rate);
        Assert.Equal(0.0, e.NotConverted.Recall.CiHigh);
        Assert.Equal(20, e.NotConverted.Recall.N);
        Assert.Equal(0.0, e.NotConverted.FalseExits.Rate);
        Assert.Equal(20, e.NotConverted.RealOnly);
        Assert.Equal(0, e.NotConverted.SimOnly);
        Assert.Equal(HypothesisTestsReference.BinomialTwoSided(0, 20), e.NotConverted.McNemarP!.Value, 12);
        Assert.Equal(1.0, e.NotConverted.RealExitConversationShare);
        Assert.Equal(20.0 / 60, e.NotConverted.RealExitPointShare!.Value, 12);
        Assert.True(e.Converted.Censored);
        Assert.Null(e.Converted.Recall.Rate);
        Assert.Equal(0, e.Converted.ExitPoints);
        Assert.Equal(1.0, e.Converted.McNemarP); // no discordant probe
        Assert.Null(e.Converted.McNemarChiSquareP);
        Assert.Contains("censored", e.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayExitProbes_HaveRecallOneAndNoFalseExits()
    {
        var rows = new List<ExitProbeRow>();
        for (var c = 0; c < 20; c++)
        {
            rows.Add(new ExitProbeRow("replay", $"c{c}", c % 2 == 0, 3, 0.3, false, false, ProbeStatus.Ok));
            if (c % 2 == 1) rows.Add(new ExitProbeRow("replay", $"c{c}", false, 6, 1, true, true, ProbeStatus.Ok));
        }
        rows.Add(new ExitProbeRow("replay", "c1", false, 4, 0.6, false, null, ProbeStatus.SimulationFailed));
        var e = DecisionFidelityAnalysis.Analyze(new AnalysisInput([]) { ExitRows = rows }, Fast).Conditions.Single().Exits!;
        Assert.Equal(1.0, e.NotConverted.Recall.Rate);
        Assert.Equal(0.0, e.NotConverted.FalseExits.Rate);
        Assert.Equal(1.0, e.NotConverted.McNemarP);
        Assert.Equal(1, e.NotConverted.SimulationFailed);
        Assert.Equal(11, e.NotConverted.OrdinaryProbes); // the failed row still counts for the real base rate
    }

    [Fact]
    public void DepthOnlyInput_GivesTheSameResultsThroughBothEntryPoints_WithProbeModeAndNoWalkAway()
    {
        var rows = HandTable.Rows().Concat(HandTable.Rows("replay", replay: true)).ToList();
        var old = DecisionFidelityAnalysis.Analyze(rows, Fast);
        var input = DecisionFidelityAnalysis.Analyze(new AnalysisInput(rows), Fast);
        Assert.Equal(AnalysisResultsJson.Serialize(old), AnalysisResultsJson.Serialize(input));
        Assert.All(old.Conditions, c =>
        {
            Assert.Equal("probe", c.Mode);
            Assert.Null(c.Exits);
            Assert.Null(c.WalkAway);
            Assert.Null(c.Agent);
        });
        Assert.Null(old.Dataset);
    }

    [Fact]
    public void ExitRowsOfAProbeCondition_AddExits_WithoutChangingItsDepthNumbers()
    {
        var rows = HandTable.Rows();
        var exits = new List<ExitProbeRow>
        {
            new("persona", "c3", false, 7, 1, true, false, ProbeStatus.Ok),
            new("persona", "c3", false, 4, 0.6, false, true, ProbeStatus.Ok),
        };
        var plain = DecisionFidelityAnalysis.Analyze(rows, Fast);
        var withExits = DecisionFidelityAnalysis.Analyze(new AnalysisInput(rows) { ExitRows = exits }, Fast);
        var c = withExits.Conditions.Single();
        Assert.NotNull(c.Exits);
        Assert.Equal("probe", c.Mode);
        var stripped = withExits with { Conditions = withExits.Conditions.Select(x => x with { Exits = null }).ToList() };
        Assert.Equal(AnalysisResultsJson.Serialize(plain), AnalysisResultsJson.Serialize(stripped));
    }

    [Fact]
    public void TeacherForcedTwin_IsFoundBySimulatorAndInstrument_OrNamed()
    {
        var probe = HandTable.Rows("persona-probe");
        // One labelled rollout per conversation of the hand table, outcomes as there: c1, c2, c6 converted; c3, c4, c5 not.
        var rollouts = new[] { "c1", "c2", "c3", "c4", "c5", "c6" }.Select(id => new RolloutRow("persona-rollout", id, id is "c1" or "c2" or "c6", 0, 2, 4, 1,
            RolloutEnd.AgentEnded, [Stage.Exploring], 3, false, [Stage.Exploring])).ToList();
        var descriptors = new List<ConditionDescriptor>
        {
            new("persona-probe", "persona", "learned"),
            new("persona-rollout", "persona", "learned", Agent: "retrieval", Mode: "rollout"),
            new("other-probe", "instructed", "learned"),
        };
        var input = new AnalysisInput([.. probe, .. HandTable.Rows("other-probe")]) { RolloutRows = rollouts };
        var auto = DecisionFidelityAnalysis.Analyze(input, Fast with { Conditions = descriptors }).Conditions.Single(c => c.Name == "persona-rollout");
        Assert.Equal("persona-probe", auto.WalkAway!.TeacherForced!.Condition);
        Assert.Equal("retrieval", auto.Agent);
        Assert.Equal("rollout", auto.Mode);
        // The teacher-forced Δ on the same conversations equals the twin's own primary Δ when every conversation is shared.
        var twin = DecisionFidelityAnalysis.Analyze(probe, Fast).Conditions.Single();
        Assert.Equal(twin.Delta.Value!.Value, auto.WalkAway.TeacherForced.TeacherForced.Delta.Value!.Value, 12);

        var named = DecisionFidelityAnalysis.Analyze(input, Fast with
        {
            Conditions = descriptors,
            TeacherForcedTwins = new Dictionary<string, string> { ["persona-rollout"] = "other-probe" },
        }).Conditions.Single(c => c.Name == "persona-rollout");
        Assert.Equal("other-probe", named.WalkAway!.TeacherForced!.Condition);

        var none = DecisionFidelityAnalysis.Analyze(input, Fast).Conditions.Single(c => c.Name == "persona-rollout");
        Assert.Null(none.WalkAway!.TeacherForced);

        var ex = Assert.Throws<DfidException>(() => DecisionFidelityAnalysis.Analyze(input, Fast with
        {
            TeacherForcedTwins = new Dictionary<string, string> { ["persona-rollout"] = "nope" },
        }));
        Assert.Contains("'nope'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("persona-probe", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InconsistentRows_AreClearErrorsNamingConditionConversationAndSample()
    {
        var good = Replay(conversations: 4);
        void Fails(IReadOnlyList<RolloutRow> rows, params string[] parts)
        {
            var ex = Assert.Throws<DfidException>(() => DecisionFidelityAnalysis.Analyze(new AnalysisInput([]) { RolloutRows = rows }, Fast));
            foreach (var part in parts) Assert.Contains(part, ex.Message, StringComparison.Ordinal);
        }
        Fails([.. good, good[1]], "conversation 'c001', sample 0", "twice");
        Fails([good[0] with { SimStages = [Stage.Exploring, Stage.Exploring, Stage.Exploring, Stage.Exploring, Stage.Exploring, Stage.Exploring, Stage.Exploring] }, .. good[1..]],
            "conversation 'c000'", "simulated stages");
        Fails([good[0] with { UserTurns = 9 }], "exceed the cap");
        Fails([good[0] with { Converted = true, RealExit = true }], "converted");
        Fails([.. good, good[2] with { Sample = 1, RealUserTurns = good[2].RealUserTurns + 1 }], "conversation 'c002', sample 1", "real side disagrees");
        Fails([.. good, good[3] with { ConversationId = "x", Cap = 9 }], "cap 9");

        var both = Assert.Throws<DfidException>(() => DecisionFidelityAnalysis.Analyze(
            new AnalysisInput(HandTable.Rows("replay")) { RolloutRows = good }, Fast));
        Assert.Contains("both teacher-forced probe rows and rollout rows", both.Message, StringComparison.Ordinal);

        var exitConverted = Assert.Throws<DfidException>(() => DecisionFidelityAnalysis.Analyze(
            new AnalysisInput([]) { ExitRows = [new ExitProbeRow("p", "c9", true, 5, 1, true, false, ProbeStatus.Ok)] }, Fast));
        Assert.Contains("conversation 'c9'", exitConverted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResultsJson_WithWalkAway_HasTheIssuesNamesAndRoundTrips()
    {
        var results = DecisionFidelityAnalysis.Analyze(WalkAwayReferenceTests.Input() with { Dataset = "persuasionforgood" }, Fast);
        var json = AnalysisResultsJson.Serialize(results);
        Assert.Equal(json, AnalysisResultsJson.Serialize(AnalysisResultsJson.Deserialize(json)));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var conditions = doc.RootElement.GetProperty("conditions").EnumerateArray().ToList();
        Assert.Equal(["probe", "probe", "rollout"], conditions.Select(c => c.GetProperty("mode").GetString()));
        var w = conditions[2].GetProperty("walk_away");
        foreach (var side in new[] { "real", "sim" })
            foreach (var stratum in new[] { "not_converted", "converted" })
                foreach (var key in new[] { "rate", "ci_low", "ci_high", "n" })
                    Assert.True(w.GetProperty(side).GetProperty(stratum).TryGetProperty(key, out _), $"walk_away.{side}.{stratum}.{key}");
        foreach (var key in new[] { "not_converted", "converted", "stratified" })
            Assert.Equal(System.Text.Json.JsonValueKind.Number, w.GetProperty("logrank_p").GetProperty(key).ValueKind);
        var step = w.GetProperty("km_curves").GetProperty("not_converted").GetProperty("sim").GetProperty("steps")[0];
        foreach (var key in new[] { "time", "n_risk", "n_event", "n_censor", "survival", "std_err", "ci_low", "ci_high" })
            Assert.True(step.TryGetProperty(key, out _), "km step " + key);
        var exits = conditions[1].GetProperty("exits");
        Assert.Equal(System.Text.Json.JsonValueKind.Null, exits.GetProperty("converted").GetProperty("recall").GetProperty("rate").ValueKind);
        Assert.True(exits.GetProperty("converted").GetProperty("censored").GetBoolean());
        Assert.True(exits.GetProperty("not_converted").TryGetProperty("mcnemar_p", out _));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, conditions[0].GetProperty("walk_away").ValueKind);
        Assert.Equal("persuasionforgood", doc.RootElement.GetProperty("dataset").GetString());
    }

    [Fact]
    public void ResultsSummary_PrintsTheWalkAwayTablesAfterTheDepthTable()
    {
        var results = DecisionFidelityAnalysis.Analyze(WalkAwayReferenceTests.Input() with { Dataset = "persuasionforgood" }, Fast);
        var text = ResultsSummary.Render(results);
        var lines = text.Split('\n');
        var depthEnd = Array.FindIndex(lines, l => l.StartsWith("p: one-sided permutation test", StringComparison.Ordinal));
        Assert.True(depthEnd > 0);
        // The depth table lists the teacher-forced condition only.
        Assert.Contains(lines[..depthEnd], l => l.StartsWith("twin ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines[..depthEnd], l => l.StartsWith("rollouts ", StringComparison.Ordinal) || l.StartsWith("exit-probes ", StringComparison.Ordinal));
        var walk = Array.FindIndex(lines, l => l.StartsWith("walk-away:", StringComparison.Ordinal));
        Assert.True(walk > depthEnd);
        var w = results.Conditions.Single(c => c.Name == "rollouts").WalkAway!;
        var y0 = lines.Single(l => l.StartsWith("rollouts ", StringComparison.Ordinal) && l.Contains(" y=0 ", StringComparison.Ordinal) && l.Contains('→'));
        Assert.Contains(w.Sim.NotConverted.Rate!.Value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) + " [", y0, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("exit-probes ", StringComparison.Ordinal) && l.Contains(" y=1 ", StringComparison.Ordinal) && l.Contains("n/a", StringComparison.Ordinal));
        Assert.Contains("rollout Δ (matched positions)", text, StringComparison.Ordinal);
        Assert.EndsWith("PersuasionForGood required about ten turns per chat, so its real early exits are rare by design.\n", text, StringComparison.Ordinal);
        Assert.Equal("", ResultsSummary.RenderWalkAway(DecisionFidelityAnalysis.Analyze(HandTable.Rows(), Fast)));
    }

    [Fact]
    public void Examples_ShowTheHeadlineRolloutBesideItsRealContinuation()
    {
        const int cap = 4;
        var rows = new List<RolloutRow>
        {
            // The real non-converter left after one turn; the simulated one kept going to the cap.
            new("r", "walked", false, 0, 2, cap, cap, RolloutEnd.Cap, [Stage.Engaging, Stage.Considering, Stage.Considering, Stage.Deciding], 1, true, [Stage.Resisting]),
            new("r", "bought", true, 0, 2, cap, 1, RolloutEnd.Decision, [Stage.Deciding], 2, false, [Stage.Considering, Stage.Deciding]),
        };
        var turns = new List<RolloutTurn>();
        for (var step = 0; step < 2 * cap; step++)
            turns.Add(new RolloutTurn("r", "walked", 0, step, step % 2 == 0 ? "user" : "agent", $"sim text {step} <b>", step % 2 == 0 ? Stage.Considering : null, "ok"));
        turns.Add(new RolloutTurn("r", "bought", 0, 0, "user", "yes, sign me up", Stage.Deciding, "ok"));
        var real = new List<RealContinuation>
        {
            new("walked", 2, "Would you like to donate?", [new("user", "busy", Stage.Resisting), new("agent", "Just a minute of your time?")]),
            new("bought", 2, "Shall we?", [new("user", "maybe", Stage.Considering), new("agent", "Great"), new("user", "ok", Stage.Deciding), new("agent", "Thanks")]),
        };
        var w = WalkAway(new AnalysisInput([]) { RolloutRows = rows, RolloutTurns = turns, RealContinuations = real }, Fast with { RolloutExampleCount = 1 }, "r");
        var e = Assert.Single(w.Examples);
        Assert.Equal("walked", e.ConversationId);
        Assert.Equal("cap", e.End);
        Assert.Equal("Would you like to donate?", e.Context);
        Assert.Equal(2 * cap, e.Simulated.Count);
        Assert.Equal("sim text 0 <b>", e.Simulated[0].Text);
        Assert.Equal("considering", e.Simulated[0].Stage);
        Assert.Equal(["busy", "Just a minute of your time?", null], e.Real.Select(t => t.Text));
        Assert.Equal("exit", e.Real[^1].Status);
        Assert.Equal(2, e.Real[^1].Step);

        var both = WalkAway(new AnalysisInput([]) { RolloutRows = rows, RolloutTurns = turns, RealContinuations = real }, condition: "r");
        Assert.Equal(["walked", "bought"], both.Examples.Select(x => x.ConversationId));
        Assert.Equal("decision", both.Examples[1].Real[^1].Status);
    }
}

/// <summary>The exact binomial two-sided p for success probability 1/2, written out from the definition (sum of the
/// probabilities not above the observed one) for small n, to check McNemar without our own implementation.</summary>
internal static class HypothesisTestsReference
{
    public static double BinomialTwoSided(int x, int n)
    {
        double P(int k) => Math.Exp(LogChoose(n, k) - n * Math.Log(2));
        var observed = P(x) * (1 + 1e-7);
        return Math.Min(1, Enumerable.Range(0, n + 1).Select(P).Where(p => p <= observed).Sum());
    }

    private static double LogChoose(int n, int k) => Enumerable.Range(1, k).Sum(i => Math.Log(n - k + i) - Math.Log(i));
}
