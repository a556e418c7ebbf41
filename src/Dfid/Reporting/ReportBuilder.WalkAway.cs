using System.Text.Json;
using Dfid.Analysis;
using N = Dfid.Reporting.ReportNumbers;

namespace Dfid.Reporting;

// The walk-away section: exit probes and rollouts (docs/results-format.md, "Walk-away"). Renders only; every number is
// a field of results.json formatted by ReportNumbers.
internal static partial class ReportBuilder
{
    /// <summary>Below this share of non-converters with a real exit the report warns that real exits are rare.</summary>
    /// <remarks>5%: with the study's ~200 non-converters that is under ten real exits, too few for the real survival curve
    /// or an exit recall to say more than their (wide) intervals do.</remarks>
    public const double RareRealExitShare = 0.05;

    /// <summary>The sentence the issue and the protocol require for PersuasionForGood runs.</summary>
    public const string PersuasionForGoodNote = WalkAwayNotes.PersuasionForGood +
        " Real non-donors mostly stop where the required chat ended: the real exit rates and curves here reflect that task rule, not free choice.";

    /// <summary>Conditions the depth sections show: teacher-forced probe conditions with probe rows.</summary>
    private static AnalysisResults DepthOnly(AnalysisResults r)
    {
        var depth = r.Conditions.Where(ConditionModes.HasDepth).ToList();
        return depth.Count == r.Conditions.Count ? r : r with { Conditions = depth };
    }

    private static ReportSection? WalkAwaySection(AnalysisResults r, JsonElement? manifest)
    {
        var exits = r.Conditions.Where(c => c.Exits is not null).ToList();
        var rollouts = r.Conditions.Where(c => c.WalkAway is not null).ToList();
        if (exits.Count == 0 && rollouts.Count == 0) return null;

        var blocks = new List<ReportBlock>
        {
            new ParagraphBlock(
                "Does the simulated user leave where the real user left? Exit probes offer the simulator an explicit exit at the real exit points " +
                "(the last agent turn of a non-converted conversation that the real user never answered) and at ordinary probes, where the real user went on. " +
                "Rollouts start from the same real prefix and let the simulated user and an agent continue until the user exits, a decision is detected, or the turn cap; " +
                "the real continuation of the same conversation is the reference. Rates are shares (0–1) averaged within a conversation first, with 95% bootstrap CIs over conversations."),
        };
        if (IsPersuasionForGood(r, manifest)) blocks.Add(new ParagraphBlock([new TextRun("Dataset: ", Strong: true), new TextRun(PersuasionForGoodNote)]));
        else if (RareRealExits(exits, rollouts) is { } rare)
            blocks.Add(new ParagraphBlock([new TextRun("Rare real exits: ", Strong: true), new TextRun(
                $"in {rare}, fewer than {RareRealExitShare * 100:0}% of the non-converters walked away, so exit recall and the real survival curve rest on very few events; " +
                "read their intervals rather than the point estimates.")]));

        var k = 0;
        foreach (var c in rollouts)
        {
            k++;
            var w = c.WalkAway!;
            blocks.Add(new FigureBlock(ReportFigures.KaplanMeier($"km-{k}-{c.Name}", c.Name, w.Cap,
            [
                Panel("Non-converters (y = 0)", w.KmCurves.NotConverted),
                Panel("Converters (y = 1)", w.KmCurves.Converted),
            ])));
        }
        if (rollouts.Count > 0)
        {
            blocks.Add(new TableBlock(WalkAwayTable(rollouts)));
            blocks.Add(new TableBlock(RolloutEndsTable(rollouts)));
            blocks.Add(new ParagraphBlock("How survival is counted: " + rollouts[0].WalkAway!.Censoring +
                " With several rollouts per conversation the curves and log-rank tests count each rollout as a subject, which makes their intervals and p somewhat too small; the walk-away rates resample conversations."));
        }
        if (exits.Count > 0)
        {
            blocks.Add(new TableBlock(ExitTable(exits)));
            blocks.Add(new ParagraphBlock(exits[0].Exits!.Note + " McNemar pairs the real and the simulated branch of each usable probe (exact binomial test on the discordant probes; χ² with continuity correction beside it) and ignores that probes cluster within conversations."));
        }
        if (rollouts.Count > 0)
        {
            blocks.Add(new TableBlock(new ReportTable("probe-vs-rollout",
                "The depth gap in free generation next to the teacher-forced one (the reviewer's probe vs free-generation comparison on the same real contexts): D = δ(sim) − δ(real) at matched positions (the k-th simulated user turn against the k-th real user turn after the start, both labelled; \"probes\" counts matched positions) for rollouts, at the probes for the teacher-forced twin; Δ = E[D̄|y=0] − E[D̄|y=1].",
                EndpointColumns, [.. rollouts.SelectMany(ProbeVsRolloutRows)])));
            var twins = rollouts.Where(c => c.WalkAway!.TeacherForced is not null).Select(c =>
            {
                var t = c.WalkAway!.TeacherForced!;
                return (IReadOnlyList<ReportCell>)[c.Name, t.Condition, Int(t.Rollout.NNotConverted), Int(t.Rollout.NConverted),
                    Signed(t.Rollout.Delta.Value), Signed(t.TeacherForced.Delta.Value), Signed(t.Difference.Value), Ci(t.Difference.CiLow, t.Difference.CiHigh)];
            }).ToList();
            if (twins.Count > 0)
                blocks.Add(new TableBlock(new ReportTable("probe-vs-rollout-difference",
                    "Rollout Δ − teacher-forced Δ on the same conversations, with a paired bootstrap CI: a CI above 0 means free generation shows a larger disengagement gap than the probes, below 0 a smaller one (the probe protocol would then overstate it).",
                    ["condition", "teacher-forced twin", "n (y=0)", "n (y=1)", "rollout Δ", "teacher-forced Δ", "difference", "95% CI"], twins)));
            else blocks.Add(new ParagraphBlock("No rollout condition has a teacher-forced twin (a probe condition with the same simulator and instrument), so the rollout Δ stands alone."));
            blocks.AddRange(ExampleBlocks(rollouts));
        }
        return new ReportSection("walk-away", "Walk-away", blocks);
    }

    private static SurvivalPanel Panel(string title, KaplanMeierPair pair) =>
        new($"{title}: real n={N.Count(pair.Real.Subjects)}, simulated n={N.Count(pair.Sim.Subjects)}", Series("real", pair.Real), Series("simulated", pair.Sim));

    private static SurvivalSeries Series(string label, SurvivalCurve c) => new(
        $"{label} ({N.Count(c.Events)} exits)",
        c.Steps.Select(s => (double)s.Time).ToList(),
        c.Steps.Select(s => s.Survival).ToList(),
        c.Steps.Select(s => s.CiLow ?? double.NaN).ToList(),
        c.Steps.Select(s => s.CiHigh ?? double.NaN).ToList());

    private static bool IsPersuasionForGood(AnalysisResults r, JsonElement? manifest)
    {
        var dataset = r.Dataset;
        if (dataset is null && manifest is { ValueKind: JsonValueKind.Object } m)
        {
            if (m.TryGetProperty("dataset", out var d) && d.ValueKind == JsonValueKind.String) dataset = d.GetString();
            else if (m.TryGetProperty("corpus", out var c) && c.ValueKind == JsonValueKind.Object && c.TryGetProperty("dataset", out var cd) && cd.ValueKind == JsonValueKind.String)
                dataset = cd.GetString();
        }
        return WalkAwayNotes.IsPersuasionForGood(dataset);
    }

    /// <summary>The conditions whose measured real exit share among non-converters is below <see cref="RareRealExitShare"/>.</summary>
    private static string? RareRealExits(List<ConditionResult> exits, List<ConditionResult> rollouts)
    {
        var rare = exits.Where(c => c.Exits!.NotConverted.RealExitConversationShare is { } s && s < RareRealExitShare)
            .Concat(rollouts.Where(c => c.WalkAway!.Real.NotConverted.Rate is { } s && s < RareRealExitShare))
            .Select(c => c.Name).Distinct().ToList();
        return rare.Count == 0 ? null : string.Join(", ", rare);
    }

    private static ReportTable WalkAwayTable(List<ConditionResult> rollouts)
    {
        var rows = new List<IReadOnlyList<ReportCell>>();
        foreach (var c in rollouts)
        {
            var w = c.WalkAway!;
            foreach (var (label, real, sim, diff, p, realConv, simConv, rolloutCount) in new[]
            {
                ("non-converters (y=0)", w.Real.NotConverted, w.Sim.NotConverted, w.SimMinusReal.NotConverted, w.LogrankP.NotConverted, w.Conversion.Real.NotConverted, w.Conversion.Sim.NotConverted, (long?)w.Counts.NotConverted.Rollouts),
                ("converters (y=1)", w.Real.Converted, w.Sim.Converted, w.SimMinusReal.Converted, w.LogrankP.Converted, w.Conversion.Real.Converted, w.Conversion.Sim.Converted, w.Counts.Converted.Rollouts),
                ("both (log-rank stratified)", null, null, null, w.LogrankP.Stratified, w.Conversion.Real.All, w.Conversion.Sim.All, null),
            })
            {
                rows.Add([c.Name, c.Agent ?? "", label, Int(realConv.N), rolloutCount is { } n ? Int(n) : Missing(),
                    Est(real?.Rate), Ci(real?.CiLow, real?.CiHigh), Est(sim?.Rate), Ci(sim?.CiLow, sim?.CiHigh),
                    Signed(diff?.Value), Ci(diff?.CiLow, diff?.CiHigh), P(p),
                    Est(realConv.Rate), Ci(realConv.CiLow, realConv.CiHigh), Est(simConv.Rate), Ci(simConv.CiLow, simConv.CiHigh)]);
            }
        }
        return new ReportTable("walk-away",
            "Walk-away and conversion within the cap, real continuation vs simulated rollouts from the same real prefix: walk-away = share ending in an exit before the cap; conversion = real: converted with the decision within the cap, simulated: the rollout ended in a detected decision; log-rank p compares the survival curves.",
            ["condition", "agent", "stratum", "conversations", "rollouts", "real walk-away", "95% CI", "sim walk-away", "95% CI", "sim − real", "95% CI", "log-rank p",
             "real conversion", "95% CI", "sim conversion", "95% CI"], rows);
    }

    private static ReportTable RolloutEndsTable(List<ConditionResult> rollouts)
    {
        var rows = rollouts.SelectMany(c => new[] { ("non-converters (y=0)", c.WalkAway!.Counts.NotConverted), ("converters (y=1)", c.WalkAway!.Counts.Converted) }
            .Select(x => (IReadOnlyList<ReportCell>)[c.Name, x.Item1, Int(x.Item2.Conversations), Int(x.Item2.Rollouts), Int(x.Item2.Exit), Int(x.Item2.ExitsAtCap),
                Int(x.Item2.Decision), Int(x.Item2.Cap), Int(x.Item2.AgentEnded), Int(x.Item2.Failed), Int(x.Item2.SimExits), Int(x.Item2.RealExits), Int(x.Item2.MatchedPositions)])).ToList();
        return new ReportTable("rollout-ends",
            "How the rollouts ended (every rollout counted): exits (of which after the cap-th turn, censored at the cap), decisions, cap, the agent ran out, failures; the simulated and real exits before the cap are the survival events.",
            ["condition", "stratum", "conversations", "rollouts", "exit", "exit after cap", "decision", "cap", "agent ended", "failed", "sim exits (events)", "real exits (events)", "matched positions"], rows);
    }

    private static ReportTable ExitTable(List<ConditionResult> exits)
    {
        var rows = exits.SelectMany(c => new[] { ("non-converters (y=0)", c.Exits!.NotConverted), ("converters (y=1)", c.Exits!.Converted) }
            .Select(x =>
            {
                var s = x.Item2;
                return (IReadOnlyList<ReportCell>)[c.Name, x.Item1, Int(s.Conversations), Int(s.ExitPoints), Int(s.OrdinaryProbes), Int(s.SimulationFailed),
                    Est(s.Recall.Rate), Ci(s.Recall.CiLow, s.Recall.CiHigh), Est(s.FalseExits.Rate), Ci(s.FalseExits.CiLow, s.FalseExits.CiHigh),
                    Est(s.RealExitPointShare), Est(s.RealExitConversationShare), Int(s.RealOnly), Int(s.SimOnly), P(s.McNemarP), P(s.McNemarChiSquareP)];
            })).ToList();
        return new ReportTable("exit-probes",
            "Exit probes: recall = share of real exit points where the simulator also left; false exits = share of ordinary probes where it left; real base rates = share of probes that are real exit points and share of conversations with one; missed / false = discordant probes (real only / simulated only); McNemar p of real vs simulated exit on the same probes.",
            ["condition", "stratum", "conversations", "exit points", "ordinary probes", "failed", "recall", "95% CI", "false exits", "95% CI",
             "real exit share (probes)", "real exit share (conversations)", "missed", "false", "McNemar p", "McNemar χ² p"], rows);
    }

    private static IEnumerable<IReadOnlyList<ReportCell>> ProbeVsRolloutRows(ConditionResult c)
    {
        var w = c.WalkAway!;
        yield return EndpointRow(c.Name, "rollout D̄, all rolled-out conversations", w.RolloutDelta);
        if (w.TeacherForced is { } t)
        {
            yield return EndpointRow(c.Name, "rollout D̄, same conversations as the twin", t.Rollout);
            yield return EndpointRow(c.Name, $"teacher-forced D̄ of {t.Condition}, same conversations", t.TeacherForced);
        }
    }

    private static IEnumerable<ReportBlock> ExampleBlocks(List<ConditionResult> rollouts)
    {
        var examples = rollouts.SelectMany(c => c.WalkAway!.Examples.Select(e => (Condition: c.Name, Example: e))).ToList();
        if (examples.Count == 0)
        {
            yield return new ParagraphBlock("No example rollouts (no rollout texts were loaded).");
            yield break;
        }
        yield return new ParagraphBlock("Example rollouts beside the real continuation of the same conversation: the same real prefix, then the simulated user and the agent (left) and what really happened (right), step by step; first the real non-converters who walked away where the simulated one did not.");
        var k = 0;
        foreach (var (condition, e) in examples)
        {
            k++;
            yield return new ParagraphBlock([new TextRun($"{condition}, conversation {e.ConversationId}: ", Strong: true),
                new TextRun($"{(e.Converted ? "converted" : "not converted")}; the rollout ended by {e.End} after {N.Count(e.UserTurns)} simulated user turn(s), the real user " +
                    (e.RealExit ? $"walked away after {N.Count(e.RealUserTurns)} user turn(s)" : e.Converted ? $"decided after {N.Count(e.RealUserTurns)} user turn(s)" : $"wrote {N.Count(e.RealUserTurns)} user turn(s)") +
                    ". Last real agent turn before the start: " + (e.Context ?? "(not supplied)"))]);
            var steps = e.Simulated.Select(t => t.Step).Concat(e.Real.Select(t => t.Step)).Distinct().Order().ToList();
            var rows = steps.Select(step =>
            {
                var s = e.Simulated.FirstOrDefault(t => t.Step == step);
                var q = e.Real.FirstOrDefault(t => t.Step == step);
                return (IReadOnlyList<ReportCell>)[Int(step), s?.Role ?? "", s is null ? "" : TurnText(s), s?.Stage ?? "", q?.Role ?? "", q is null ? "" : TurnText(q), q?.Stage ?? ""];
            }).ToList();
            yield return new TableBlock(new ReportTable($"rollout-example-{k}",
                $"Rollout {N.Count(e.Sample)} of conversation {e.ConversationId} ({condition}) beside its real continuation, from user turn {N.Count(e.StartTurn)} on.",
                ["step", "simulated: role", "simulated", "sim stage", "real: role", "real", "real stage"], rows));
        }
    }

    private static string TurnText(ExampleTurn t) => (t.Status switch
    {
        "ok" => t.Text ?? "(text not loaded)",
        "exit" => t.Text ?? "(leaves the conversation)",
        "decision" => "(decides: the real conversation converted here)",
        "ended" => "(the real conversation ends here, on a user turn)",
        _ => $"(no answer: {t.Status})",
    }) + (t.Gate is { } g ? " ⟨" + g + "⟩" : "");

    private static ReportCell Missing() => new(N.Missing, null, true);
}
