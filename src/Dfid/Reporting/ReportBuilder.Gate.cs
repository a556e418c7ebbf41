using System.Text.Json;
using Dfid.Analysis;
using N = Dfid.Reporting.ReportNumbers;

namespace Dfid.Reporting;

internal static partial class ReportBuilder
{
    // ---- 1b. gated vs ungated (closing the gap) ------------------------------------------------------

    /// <summary>
    /// For each condition whose simulator is <c>kind: gated</c> (from the manifest), the condition of the same mode,
    /// instrument and agent whose simulator is the gate's base kind: Δ, E[D̄|y=1], exit rates and, for rollouts, walk-away
    /// rates and log-rank χ², side by side, with the targets (Δ halved, |E[D̄|y=1]| no worse than ungated + 0.05,
    /// walk-away curves closer to the real ones). Empty without a gated condition or its twin.
    /// </summary>
    internal static List<ReportBlock> GateComparisonBlocks(AnalysisResults r, JsonElement? manifest)
    {
        var kinds = SimulatorKindsOf(manifest);
        var pairs = new List<(ConditionResult Gated, ConditionResult Ungated)>();
        foreach (var g in r.Conditions)
        {
            if (g.Simulator is null || !kinds.TryGetValue(g.Simulator, out var gk) || gk.Kind != "gated") continue;
            var twin = r.Conditions.FirstOrDefault(c => c != g && c.Mode == g.Mode && c.Instrument == g.Instrument && c.Agent == g.Agent
                && c.Simulator is { } s && kinds.TryGetValue(s, out var k) && k.Kind == gk.Base);
            if (twin is not null) pairs.Add((g, twin));
        }
        var blocks = new List<ReportBlock>();
        if (pairs.Count == 0) return blocks;
        blocks.Add(new ParagraphBlock([new TextRun("Closing the gap: gated against ungated. ", Strong: true),
            new TextRun("A gated simulator draws, at each simulated turn, whether this user is willing (probability P(converted) from the " +
                "willingness model, cross-fitted so the model serving a conversation never saw its outcome) and, where the exit is offered, " +
                "whether an unwilling user leaves now (the model's exit hazard); the base simulator then answers in that state. Targets: " +
                "Δ at most half the ungated Δ, |E[D̄|y=1]| no worse than the ungated one + 0.05, walk-away curves closer to the real ones " +
                "(a smaller sum of the within-stratum log-rank χ²).")]));
        var probeRows = pairs.Where(p => p.Gated.Mode == ConditionModes.Probe).Select(p => (IReadOnlyList<ReportCell>)[
            p.Gated.Name, p.Ungated.Name,
            Signed(p.Gated.Delta.Value), Ci(p.Gated.Delta.CiLow, p.Gated.Delta.CiHigh), Signed(p.Ungated.Delta.Value), Ci(p.Ungated.Delta.CiLow, p.Ungated.Delta.CiHigh),
            Signed(p.Gated.StratumBias.Converted.Mean), Signed(p.Ungated.StratumBias.Converted.Mean),
            Est(p.Gated.Exits?.NotConverted.Recall.Rate), Est(p.Ungated.Exits?.NotConverted.Recall.Rate),
            Est(p.Gated.Exits?.NotConverted.FalseExits.Rate), Est(p.Ungated.Exits?.NotConverted.FalseExits.Rate),
            Met(HalvesDelta(p.Gated, p.Ungated)), Met(KeepsConverters(p.Gated, p.Ungated))]).ToList();
        if (probeRows.Count > 0)
            blocks.Add(new TableBlock(new ReportTable("gate-probes", "Teacher-forced probes: gated against ungated (exit recall and false exits in the not-converted stratum).",
                ["gated", "ungated", "Δ gated", "95% CI", "Δ ungated", "95% CI", "E[D̄|y=1] gated", "E[D̄|y=1] ungated",
                 "exit recall gated", "exit recall ungated", "false exits gated", "false exits ungated", "Δ ≤ ½ ungated", "|E[D̄|y=1]| ≤ ungated + 0.05"], probeRows)));
        var rolloutRows = pairs.Where(p => p.Gated.WalkAway is not null && p.Ungated.WalkAway is not null).Select(p =>
        {
            var (g, u) = (p.Gated.WalkAway!, p.Ungated.WalkAway!);
            return (IReadOnlyList<ReportCell>)[
                p.Gated.Name, p.Ungated.Name,
                Est(g.Real.NotConverted.Rate), Est(g.Sim.NotConverted.Rate), Est(u.Sim.NotConverted.Rate),
                Est(g.Real.Converted.Rate), Est(g.Sim.Converted.Rate), Est(u.Sim.Converted.Rate),
                Est(g.LogrankChiSquare?.NotConverted), Est(u.LogrankChiSquare?.NotConverted),
                Est(g.LogrankChiSquare?.Converted), Est(u.LogrankChiSquare?.Converted),
                Est(WithinStrata(g)), Est(WithinStrata(u)),
                Signed(g.RolloutDelta.Delta.Value), Signed(u.RolloutDelta.Delta.Value),
                Met(WithinStrata(g) is { } a && WithinStrata(u) is { } b ? a < b : null)];
        }).ToList();
        if (rolloutRows.Count > 0)
        {
            blocks.Add(new TableBlock(new ReportTable("gate-rollouts", "Rollouts: walk-away rates (real, gated, ungated) per stratum and the log-rank χ² of simulated against real curves (smaller is closer).",
                ["gated", "ungated", "walk-away y=0 real", "gated", "ungated", "walk-away y=1 real", "gated", "ungated",
                 "log-rank χ² y=0 gated", "ungated", "χ² y=1 gated", "ungated", "χ² y=0 + y=1 gated", "ungated", "rollout Δ gated", "ungated", "curves closer"], rolloutRows)));
            // The stratified test sums O − E over the strata before squaring, so a simulator that leaves too rarely in one stratum
            // and too often in the other can look close; the sum of the within-stratum statistics cannot.
            blocks.Add(new ParagraphBlock("Curves closer: the sum of the within-stratum log-rank χ² (each 1 df) is smaller for the gated simulator. " +
                "The stratified log-rank statistic is not used for this: it adds observed − expected over the strata before squaring, so deviations in opposite directions (too few exits of non-converters, too many of converters) cancel in it."));
        }
        return blocks;
    }

    private static double? WithinStrata(Analysis.WalkAwayResult w) =>
        w.LogrankChiSquare is { NotConverted: { } a, Converted: { } b } ? a + b : null;

    private static bool? HalvesDelta(ConditionResult gated, ConditionResult ungated) =>
        gated.Delta.Value is { } g && ungated.Delta.Value is { } u ? g <= u / 2 : null;

    private static bool? KeepsConverters(ConditionResult gated, ConditionResult ungated) =>
        gated.StratumBias.Converted.Mean is { } g && ungated.StratumBias.Converted.Mean is { } u ? Math.Abs(g) <= Math.Abs(u) + 0.05 : null;

    private static ReportCell Met(bool? met) => met switch { true => "yes", false => "no", null => N.Missing };

    /// <summary>Simulator name → (kind, base kind) from the manifest's components.</summary>
    private static Dictionary<string, (string Kind, string? Base)> SimulatorKindsOf(JsonElement? manifest)
    {
        var result = new Dictionary<string, (string, string?)>(StringComparer.Ordinal);
        if (manifest is not { ValueKind: JsonValueKind.Object } m || !m.TryGetProperty("components", out var components) || components.ValueKind != JsonValueKind.Array)
            return result;
        foreach (var c in components.EnumerateArray())
        {
            if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("role", out var role) || role.GetString() != "simulator") continue;
            if (!c.TryGetProperty("name", out var name) || name.GetString() is not { } n || !c.TryGetProperty("kind", out var kind) || kind.GetString() is not { } k) continue;
            var b = c.TryGetProperty("options", out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty("base", out var bs) ? bs.GetString() : null;
            result[n] = (k, b);
        }
        return result;
    }
}
