using System.Globalization;
using System.Text;

namespace Dfid.Analysis;

/// <summary>Renders <see cref="AnalysisResults"/> as a plain-text table for the terminal (<c>dfid analyze</c>).</summary>
public static class ResultsSummary
{
    /// <summary>One line per condition: n, stratum means, marginal bias, Δ [CI], d [CI], p, Holm p; then failures.</summary>
    public static string Render(AnalysisResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        string[] header = ["condition", "n (y=0/y=1)", "E[D|y=0]", "E[D|y=1]", "marginal", "Δ [95% CI]", "d [95% CI]", "p", "p Holm"];
        var lines = new List<string[]> { header };
        foreach (var c in results.Conditions)
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
        var widths = Enumerable.Range(0, header.Length).Select(i => lines.Max(l => l[i].Length)).ToArray();
        var sb = new StringBuilder();
        for (var li = 0; li < lines.Count; li++)
        {
            sb.AppendJoin("  ", lines[li].Select((s, i) => i == 0 ? s.PadRight(widths[i]) : s.PadLeft(widths[i]))).Append('\n');
            if (li == 0) sb.Append(new string('-', widths.Sum() + 2 * (widths.Length - 1))).Append('\n');
        }
        foreach (var c in results.Conditions)
        {
            var failed = c.Counts.Converted.ProbesFailed + c.Counts.NotConverted.ProbesFailed;
            var excluded = c.Counts.Converted.ConversationsExcluded + c.Counts.NotConverted.ConversationsExcluded;
            if (failed > 0 || excluded > 0)
                sb.Append(CultureInfo.InvariantCulture, $"{c.Name}: {failed} probes lost to failed model answers, {excluded} conversations without a usable probe excluded\n");
        }
        sb.Append(CultureInfo.InvariantCulture,
            $"p: one-sided permutation test for Δ > 0 ({results.Settings.Permutations} draws); CIs: percentile bootstrap within strata ({results.Settings.BootstrapResamples} resamples), seed {results.Settings.Seed}\n");
        return sb.ToString();
    }

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
