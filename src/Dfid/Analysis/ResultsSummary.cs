using System.Globalization;
using System.Text;

namespace Dfid.Analysis;

/// <summary>Renders <see cref="AnalysisResults"/> as a plain-text table for the terminal (<c>dfid analyze</c>).</summary>
public static class ResultsSummary
{
    /// <summary>One line per teacher-forced condition: n, stratum means, marginal bias, Δ [CI], d [CI], p, Holm p; then failures;
    /// then, when the run measured walk-away, <see cref="RenderWalkAway"/>.</summary>
    public static string Render(AnalysisResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        string[] header = ["condition", "n (y=0/y=1)", "E[D|y=0]", "E[D|y=1]", "marginal", "Δ [95% CI]", "d [95% CI]", "p", "p Holm"];
        var lines = new List<string[]> { header };
        // Rollout conditions (and exit-probe conditions without depth probes) have no teacher-forced Δ: they are in the walk-away table.
        var depth = results.Conditions.Where(ConditionModes.HasDepth).ToList();
        foreach (var c in depth)
        {
            var holm = results.Robustness.Rows.FirstOrDefault(r => r.Condition == c.Name)?.PHolm;
            lines.Add([
                c.Name,
                $"{c.NNotConverted}/{c.NConverted}",
                Signed(c.StratumBias.NotConverted.Mean),
                Signed(c.StratumBias.Converted.Mean),
                Signed(c.MarginalBias.Value),
                WithCi(c.Delta),
                WithCi(c.CohensD),
                P(c.PValue),
                P(holm),
            ]);
        }
        var sb = new StringBuilder();
        Table(sb, lines);
        foreach (var c in depth)
        {
            var failed = c.Counts.Converted.ProbesFailed + c.Counts.NotConverted.ProbesFailed;
            var excluded = c.Counts.Converted.ConversationsExcluded + c.Counts.NotConverted.ConversationsExcluded;
            if (failed > 0 || excluded > 0)
                sb.Append(CultureInfo.InvariantCulture, $"{c.Name}: {failed} probes lost to failed model answers, {excluded} conversations without a usable probe excluded\n");
        }
        sb.Append(CultureInfo.InvariantCulture,
            $"p: one-sided permutation test for Δ > 0 ({results.Settings.Permutations} draws); CIs: percentile bootstrap within strata ({results.Settings.BootstrapResamples} resamples), seed {results.Settings.Seed}\n");
        var walkAway = RenderWalkAway(results);
        if (walkAway.Length > 0) sb.Append('\n').Append(walkAway);
        return sb.ToString();
    }

    /// <summary>The walk-away tables for the terminal: per rollout condition and stratum the walk-away rate real vs simulated,
    /// log-rank p and conversion; the rollout Δ beside the teacher-forced Δ; per exit-probe condition recall and false exits.
    /// Empty when the results hold no walk-away measurement.</summary>
    public static string RenderWalkAway(AnalysisResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        var rollouts = results.Conditions.Where(c => c.WalkAway is not null).ToList();
        if (rollouts.Count > 0)
        {
            sb.Append("walk-away: share of rollouts ending in an exit before the cap, real continuation vs simulated [95% CI]; conversion within the cap real → simulated\n");
            var lines = new List<string[]> { new[] { "condition", "stratum", "n", "cap", "real", "simulated [95% CI]", "log-rank p", "conversion" } };
            foreach (var c in rollouts)
            {
                var w = c.WalkAway!;
                lines.Add([c.Name, "y=0", Count(w.Real.NotConverted.N), Count(w.Cap), Share(w.Real.NotConverted.Rate), WithCi(w.Sim.NotConverted), P(w.LogrankP.NotConverted),
                    $"{Share(w.Conversion.Real.NotConverted.Rate)} → {Share(w.Conversion.Sim.NotConverted.Rate)}"]);
                lines.Add([c.Name, "y=1", Count(w.Real.Converted.N), Count(w.Cap), Share(w.Real.Converted.Rate), WithCi(w.Sim.Converted), P(w.LogrankP.Converted),
                    $"{Share(w.Conversion.Real.Converted.Rate)} → {Share(w.Conversion.Sim.Converted.Rate)}"]);
            }
            Table(sb, lines);
            sb.Append("rollout Δ (matched positions) beside the teacher-forced Δ of the same conversations\n");
            var deltas = new List<string[]> { new[] { "condition", "rollout Δ [95% CI]", "p", "teacher-forced twin", "teacher-forced Δ [95% CI]", "difference [95% CI]" } };
            foreach (var c in rollouts)
            {
                var w = c.WalkAway!;
                var t = w.TeacherForced;
                deltas.Add([c.Name, WithCi(w.RolloutDelta.Delta), P(w.RolloutDelta.PValue), t?.Condition ?? "none",
                    t is null ? "n/a" : WithCi(t.TeacherForced.Delta), t is null ? "n/a" : WithCi(t.Difference)]);
            }
            Table(sb, deltas);
        }
        var exits = results.Conditions.Where(c => c.Exits is not null).ToList();
        if (exits.Count > 0)
        {
            sb.Append("exit probes: recall at real exit points, false exits at ordinary probes [95% CI]; converted conversations have no exit point (censored)\n");
            var lines = new List<string[]> { new[] { "condition", "stratum", "exit points", "recall [95% CI]", "false exits [95% CI]", "real exit share", "McNemar p" } };
            foreach (var c in exits)
                foreach (var (label, s) in new[] { ("y=0", c.Exits!.NotConverted), ("y=1", c.Exits!.Converted) })
                    lines.Add([c.Name, label, Count(s.ExitPoints), WithCi(s.Recall), WithCi(s.FalseExits), Share(s.RealExitConversationShare), P(s.McNemarP)]);
            Table(sb, lines);
        }
        if (sb.Length > 0 && WalkAwayNotes.IsPersuasionForGood(results.Dataset)) sb.Append(WalkAwayNotes.PersuasionForGood).Append('\n');
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, List<string[]> lines)
    {
        var widths = Enumerable.Range(0, lines[0].Length).Select(i => lines.Max(l => l[i].Length)).ToArray();
        for (var li = 0; li < lines.Count; li++)
        {
            sb.AppendJoin("  ", lines[li].Select((s, i) => i == 0 ? s.PadRight(widths[i]) : s.PadLeft(widths[i]))).Append('\n');
            if (li == 0) sb.Append(new string('-', widths.Sum() + 2 * (widths.Length - 1))).Append('\n');
        }
    }

    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Share(double? x) => x is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";

    private static string WithCi(RateEstimate r) =>
        r.Rate is null ? "n/a" : $"{Share(r.Rate)} [{Share(r.CiLow)}, {Share(r.CiHigh)}]";

    private static string Signed(double? x) => x is { } v ? v.ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "n/a";

    private static string WithCi(Estimate e) =>
        e.Value is null ? "n/a" : $"{Signed(e.Value)} [{Signed(e.CiLow)}, {Signed(e.CiHigh)}]";

    private static string P(double? p) => p switch
    {
        null => "n/a",
        < 0.0001 => p.Value.ToString("0.0e+0", CultureInfo.InvariantCulture),
        _ => p.Value.ToString("0.0000", CultureInfo.InvariantCulture),
    };
}
