namespace Dfid.Analysis.Statistics;

/// <summary>One bin of a calibration table: the rows whose predicted probability falls in (<see cref="Low"/>, <see cref="High"/>].</summary>
/// <param name="Low">Lower bound (exclusive; the first bin also holds 0).</param>
/// <param name="High">Upper bound (inclusive).</param>
/// <param name="N">Rows in the bin.</param>
/// <param name="MeanPredicted">Mean predicted probability of its rows.</param>
/// <param name="Observed">Share of its rows where the event happened.</param>
public sealed record CalibrationBin(double Low, double High, int N, double MeanPredicted, double Observed);

/// <summary>
/// How well predicted probabilities of a binary event match what happened: discrimination (AUC), accuracy (Brier score)
/// and calibration (binned), with intervals that resample clusters (conversations) within strata, so rows of one
/// conversation stay together.
/// </summary>
public static class BinaryPrediction
{
    /// <summary>The area under the ROC curve of <paramref name="score"/> for <paramref name="label"/> (0/1): P(a positive
    /// row's score &gt; a negative row's) + ½ P(equal), from mid-ranks (R: <c>wilcox.test(s1, s0)$statistic / (n1 n0)</c>).</summary>
    /// <remarks>NaN when either class is absent.</remarks>
    /// <exception cref="ArgumentException">Scores and labels differ in length, or a label is not 0 or 1.</exception>
    public static double Auc(ReadOnlySpan<double> score, ReadOnlySpan<int> label)
    {
        Check(score, label);
        var negative = new List<double>();
        var positive = new List<double>();
        for (var i = 0; i < label.Length; i++) (label[i] == 1 ? positive : negative).Add(score[i]);
        return OutcomeContrast.AreaUnderCurve([.. negative], [.. positive]);
    }

    /// <summary>The Brier score: mean (p − y)² (0 = perfect; 0.25 = a constant ½).</summary>
    /// <remarks>NaN when there are no rows.</remarks>
    /// <exception cref="ArgumentException">Probabilities and labels differ in length, or a label is not 0 or 1.</exception>
    public static double Brier(ReadOnlySpan<double> probability, ReadOnlySpan<int> label)
    {
        Check(probability, label);
        if (label.IsEmpty) return double.NaN;
        double sum = 0;
        for (var i = 0; i < label.Length; i++)
        {
            var e = probability[i] - label[i];
            sum += e * e;
        }
        return sum / label.Length;
    }

    /// <summary>A calibration table: rows binned by predicted probability into <paramref name="bins"/> equal-width bins on
    /// [0, 1] (right-closed, the first bin also holds 0); empty bins are left out.</summary>
    /// <exception cref="ArgumentException">Probabilities and labels differ in length, or a label is not 0 or 1.</exception>
    public static IReadOnlyList<CalibrationBin> Calibration(ReadOnlySpan<double> probability, ReadOnlySpan<int> label, int bins = 10)
    {
        Check(probability, label);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bins);
        var n = new int[bins];
        var sumP = new double[bins];
        var events = new int[bins];
        for (var i = 0; i < label.Length; i++)
        {
            var b = Math.Clamp((int)Math.Ceiling(probability[i] * bins) - 1, 0, bins - 1);
            n[b]++;
            sumP[b] += probability[i];
            events[b] += label[i];
        }
        var result = new List<CalibrationBin>();
        for (var b = 0; b < bins; b++)
            if (n[b] > 0) result.Add(new CalibrationBin((double)b / bins, (double)(b + 1) / bins, n[b], sumP[b] / n[b], (double)events[b] / n[b]));
        return result;
    }

    /// <summary>
    /// Bootstrap resamples of clusters within strata: each resample draws, for every stratum, as many of its clusters as it
    /// has, with replacement. Cluster c belongs to stratum <c>stratumOfCluster[c]</c>.
    /// </summary>
    /// <returns>Per resample the drawn cluster indices (stratum by stratum, in stratum order).</returns>
    public static int[][] DrawClusterResamples(ReadOnlySpan<int> stratumOfCluster, int count, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var strata = new SortedDictionary<int, List<int>>();
        for (var c = 0; c < stratumOfCluster.Length; c++)
        {
            if (!strata.TryGetValue(stratumOfCluster[c], out var list)) strata[stratumOfCluster[c]] = list = [];
            list.Add(c);
        }
        var rng = new Xoshiro256(seed, 0);
        var result = new int[count][];
        for (var r = 0; r < count; r++)
        {
            var draw = new int[stratumOfCluster.Length];
            var at = 0;
            foreach (var members in strata.Values)
                for (var k = 0; k < members.Count; k++) draw[at++] = members[(int)rng.NextBelow((uint)members.Count)];
            result[r] = draw;
        }
        return result;
    }

    /// <summary>A statistic of the rows of each resample of clusters: <paramref name="statistic"/> gets the row indices of the
    /// drawn clusters (a cluster drawn twice gives its rows twice), in draw order.</summary>
    /// <param name="clusterOfRow">Cluster of each row.</param>
    /// <param name="resamples">Drawn clusters per resample (e.g. from <see cref="DrawClusterResamples"/>).</param>
    /// <param name="statistic">The statistic of a set of rows.</param>
    public static double[] Replicates(ReadOnlySpan<int> clusterOfRow, IReadOnlyList<int[]> resamples, Func<int[], double> statistic)
    {
        ArgumentNullException.ThrowIfNull(resamples);
        ArgumentNullException.ThrowIfNull(statistic);
        var clusters = 0;
        foreach (var c in clusterOfRow) clusters = Math.Max(clusters, c + 1);
        var rowsOf = new List<int>[clusters];
        for (var c = 0; c < clusters; c++) rowsOf[c] = [];
        for (var i = 0; i < clusterOfRow.Length; i++) rowsOf[clusterOfRow[i]].Add(i);
        var values = new double[resamples.Count];
        var rows = new List<int>(clusterOfRow.Length);
        for (var r = 0; r < resamples.Count; r++)
        {
            rows.Clear();
            foreach (var c in resamples[r])
                if (c < clusters) rows.AddRange(rowsOf[c]);
            values[r] = statistic([.. rows]);
        }
        return values;
    }

    /// <summary>The values of <paramref name="x"/> at <paramref name="rows"/>.</summary>
    public static T[] Gather<T>(ReadOnlySpan<T> x, int[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new T[rows.Length];
        for (var i = 0; i < rows.Length; i++) result[i] = x[rows[i]];
        return result;
    }

    private static void Check(ReadOnlySpan<double> p, ReadOnlySpan<int> label)
    {
        if (p.Length != label.Length) throw new ArgumentException("predictions and labels differ in length.");
        foreach (var y in label)
            if (y is not (0 or 1)) throw new ArgumentException($"label {y} is not 0 or 1.");
    }
}
