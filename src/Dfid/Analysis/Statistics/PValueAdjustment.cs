namespace Dfid.Analysis.Statistics;

/// <summary>Multiplicity adjustments, as R's <c>p.adjust</c>.</summary>
public static class PValueAdjustment
{
    /// <summary>Holm's step-down adjustment (family-wise error), R <c>p.adjust(p, "holm")</c>.</summary>
    /// <remarks>Empty input gives empty output; p-values must be in [0, 1] and not NaN.</remarks>
    public static double[] Holm(IReadOnlyList<double> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        Check(p);
        var n = p.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => p[i]).ToArray();
        var adjusted = new double[n];
        var running = 0.0;
        for (var r = 0; r < n; r++)
        {
            running = Math.Max(running, (n - r) * p[order[r]]);
            adjusted[order[r]] = Math.Min(1.0, running);
        }
        return adjusted;
    }

    /// <summary>Benjamini–Hochberg step-up adjustment (false discovery rate), R <c>p.adjust(p, "BH")</c>.</summary>
    /// <remarks>Empty input gives empty output; p-values must be in [0, 1] and not NaN.</remarks>
    public static double[] BenjaminiHochberg(IReadOnlyList<double> p)
    {
        ArgumentNullException.ThrowIfNull(p);
        Check(p);
        var n = p.Count;
        var order = Enumerable.Range(0, n).OrderByDescending(i => p[i]).ToArray();
        var adjusted = new double[n];
        var running = double.PositiveInfinity;
        for (var r = 0; r < n; r++)
        {
            var rank = n - r; // rank of order[r] in ascending order
            running = Math.Min(running, (double)n / rank * p[order[r]]);
            adjusted[order[r]] = Math.Min(1.0, running);
        }
        return adjusted;
    }

    private static void Check(IReadOnlyList<double> p)
    {
        for (var i = 0; i < p.Count; i++)
            if (!(p[i] >= 0 && p[i] <= 1)) throw new ArgumentOutOfRangeException(nameof(p), $"p[{i}] = {p[i]} is not a probability");
    }
}
