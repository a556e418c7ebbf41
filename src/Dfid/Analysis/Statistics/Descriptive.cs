namespace Dfid.Analysis.Statistics;

/// <summary>Means, variances, Cohen's d and quantiles over spans.</summary>
public static class Descriptive
{
    /// <summary>Arithmetic mean.</summary>
    /// <remarks>Returns NaN for empty input.</remarks>
    public static double Mean(ReadOnlySpan<double> x)
    {
        if (x.IsEmpty) return double.NaN;
        var s = 0.0;
        foreach (var v in x) s += v;
        return s / x.Length;
    }

    /// <summary>Sample variance (n − 1 denominator), two-pass.</summary>
    /// <remarks>Returns NaN for fewer than two entries.</remarks>
    public static double Variance(ReadOnlySpan<double> x)
    {
        if (x.Length < 2) return double.NaN;
        var m = Mean(x);
        var ss = 0.0;
        foreach (var v in x) ss += (v - m) * (v - m);
        return ss / (x.Length - 1);
    }

    /// <summary>Cohen's d of <paramref name="a"/> minus <paramref name="b"/> with the pooled SD
    /// sqrt(((n_a − 1) s_a² + (n_b − 1) s_b²) / (n_a + n_b − 2)).</summary>
    /// <remarks>Returns null (undefined, never NaN) when either group is empty, n_a + n_b &lt; 3, or the pooled SD is 0
    /// (e.g. a replay condition where every D is 0). A group of one contributes no variance but its mean.</remarks>
    public static double? CohensD(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.IsEmpty || b.IsEmpty || a.Length + b.Length < 3) return null;
        double ma = Mean(a), mb = Mean(b);
        double ssa = 0, ssb = 0;
        foreach (var v in a) ssa += (v - ma) * (v - ma);
        foreach (var v in b) ssb += (v - mb) * (v - mb);
        return CohensDFromMoments(ma, ssa, a.Length, mb, ssb, b.Length);
    }

    /// <summary>Cohen's d from group means and sums of squared deviations.</summary>
    /// <remarks>Returns null when undefined (see <see cref="CohensD"/>); a pooled SD below 1e-12 × scale counts as 0.</remarks>
    public static double? CohensDFromMoments(double meanA, double ssA, int nA, double meanB, double ssB, int nB)
    {
        if (nA < 1 || nB < 1 || nA + nB < 3) return null;
        var pooledVar = (ssA + ssB) / (nA + nB - 2);
        var scale = Math.Max(1.0, Math.Max(Math.Abs(meanA), Math.Abs(meanB)));
        if (!(pooledVar > 1e-24 * scale * scale)) return null;
        return (meanA - meanB) / Math.Sqrt(pooledVar);
    }

    /// <summary>Quantile with linear interpolation between order statistics (R's <c>quantile(type = 7)</c>).</summary>
    /// <param name="sorted">Values sorted ascending (not modified).</param>
    /// <param name="p">Probability in [0, 1].</param>
    /// <remarks>Returns NaN for empty input.</remarks>
    public static double QuantileSorted(ReadOnlySpan<double> sorted, double p)
    {
        if (sorted.IsEmpty) return double.NaN;
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        if (lo >= sorted.Length - 1) return sorted[^1];
        if (lo < 0) return sorted[0];
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /// <summary>Percentile interval of replicates (copied, not modified); NaN replicates are ignored.</summary>
    /// <remarks>Returns (NaN, NaN) when no replicate is finite.</remarks>
    public static (double Low, double High) PercentileInterval(ReadOnlySpan<double> replicates, double level) =>
        PercentileIntervalInplace(replicates.ToArray(), level);

    /// <summary>Percentile interval of replicates; NaN replicates (undefined statistic in a resample) are ignored.</summary>
    /// <param name="replicates">Bootstrap replicates; sorted in place.</param>
    /// <param name="level">Two-sided level, e.g. 0.95.</param>
    /// <remarks>Returns (NaN, NaN) when no replicate is finite.</remarks>
    public static (double Low, double High) PercentileIntervalInplace(Span<double> replicates, double level)
    {
        var n = 0;
        for (var i = 0; i < replicates.Length; i++)
            if (double.IsFinite(replicates[i])) replicates[n++] = replicates[i];
        var finite = replicates[..n];
        finite.Sort();
        var alpha = (1 - level) / 2;
        return (QuantileSorted(finite, alpha), QuantileSorted(finite, 1 - alpha));
    }
}
