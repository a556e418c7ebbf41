namespace Dfid.Analysis;

/// <summary>Precision and recall of one class.</summary>
/// <param name="Class">Class index.</param>
/// <param name="Support">Reference (human) count of the class.</param>
/// <param name="Predicted">How often the instrument chose the class.</param>
/// <param name="Precision">Correct / predicted; NaN when never predicted.</param>
/// <param name="Recall">Correct / support; NaN when the class never occurs.</param>
public readonly record struct ClassScore(int Class, int Support, int Predicted, double Precision, double Recall);

/// <summary>A percentile bootstrap confidence interval.</summary>
/// <param name="Estimate">The statistic on the full data.</param>
/// <param name="Lower">Lower bound.</param>
/// <param name="Upper">Upper bound.</param>
/// <param name="Resamples">Resamples whose statistic was finite (the others are left out and counted in <paramref name="Undefined"/>).</param>
/// <param name="Undefined">Resamples whose statistic was NaN (e.g. only one category drawn).</param>
public readonly record struct BootstrapInterval(double Estimate, double Lower, double Upper, int Resamples, int Undefined);

/// <summary>
/// Agreement between a reference labelling (human) and a rater (an instrument) on ordinal categories
/// <c>0..k-1</c>: accuracy, quadratic-weighted Cohen's κ, Krippendorff's α (ordinal), confusion matrix,
/// per-class precision/recall, majority-class baseline and a bootstrap CI over groups (conversations).
/// </summary>
/// <remarks>Pure functions: no I/O, no shared state. Checked against R (tests/Dfid.Tests/Fixtures/instrument).</remarks>
public static class Agreement
{
    /// <summary>Confusion matrix: <c>[reference, predicted]</c> counts.</summary>
    /// <exception cref="ArgumentException">Lengths differ or a label is outside <c>0..categories-1</c>.</exception>
    public static int[,] ConfusionMatrix(ReadOnlySpan<int> reference, ReadOnlySpan<int> predicted, int categories)
    {
        Check(reference, predicted, categories);
        var m = new int[categories, categories];
        for (var i = 0; i < reference.Length; i++) m[reference[i], predicted[i]]++;
        return m;
    }

    /// <summary>Share of items where the two labellings agree; NaN for no items.</summary>
    public static double Accuracy(ReadOnlySpan<int> reference, ReadOnlySpan<int> predicted)
    {
        if (reference.Length != predicted.Length) throw new ArgumentException("reference and predicted differ in length.");
        if (reference.Length == 0) return double.NaN;
        var same = 0;
        for (var i = 0; i < reference.Length; i++) if (reference[i] == predicted[i]) same++;
        return (double)same / reference.Length;
    }

    /// <summary>Cohen's κ with quadratic weights, <c>1 − Σ w·O / Σ w·E</c>, <c>w = (i − j)²</c>.</summary>
    /// <remarks>NaN when there are no items or the expected weighted disagreement is 0 (both raters constant on one category).</remarks>
    public static double CohensKappaQuadratic(ReadOnlySpan<int> reference, ReadOnlySpan<int> predicted, int categories) =>
        CohensKappaQuadratic(ConfusionMatrix(reference, predicted, categories));

    /// <summary>Quadratic-weighted Cohen's κ of a confusion matrix (rows reference, columns predicted); NaN when empty or when
    /// the expected disagreement is 0.</summary>
    public static double CohensKappaQuadratic(int[,] m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var categories = m.GetLength(0);
        double n = 0;
        foreach (var v in m) n += v;
        if (n == 0) return double.NaN;
        var rows = new double[categories];
        var cols = new double[categories];
        for (var i = 0; i < categories; i++)
            for (var j = 0; j < categories; j++) { rows[i] += m[i, j]; cols[j] += m[i, j]; }
        double observed = 0, expected = 0;
        for (var i = 0; i < categories; i++)
            for (var j = 0; j < categories; j++)
            {
                var w = (double)(i - j) * (i - j);
                observed += w * m[i, j];
                expected += w * rows[i] * cols[j] / n;
            }
        return expected == 0 ? double.NaN : 1 - observed / expected;
    }

    /// <summary>Krippendorff's α for two coders, no missing values, ordinal metric.</summary>
    /// <remarks>
    /// Coincidence matrix <c>o</c> (each item adds both ordered pairs), marginals <c>n_c</c>, <c>n = Σ n_c</c>;
    /// ordinal distance <c>δ²(c,k) = (Σ_{g=c..k} n_g − (n_c + n_k)/2)²</c>;
    /// <c>α = 1 − (n − 1) Σ o·δ² / Σ n_c n_k δ²</c>. NaN when there are no items or a single category is used.
    /// </remarks>
    public static double KrippendorffAlphaOrdinal(ReadOnlySpan<int> reference, ReadOnlySpan<int> predicted, int categories) =>
        KrippendorffAlphaOrdinal(ConfusionMatrix(reference, predicted, categories));

    /// <summary>Krippendorff's α (ordinal metric, two coders, no missing values) of a confusion matrix; NaN when empty or when
    /// the expected disagreement is 0.</summary>
    public static double KrippendorffAlphaOrdinal(int[,] m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var categories = m.GetLength(0);
        var items = 0;
        foreach (var v in m) items += v;
        if (items == 0) return double.NaN;
        // Coincidences: each (reference, predicted) pair counts both ways.
        var o = new double[categories, categories];
        for (var i = 0; i < categories; i++)
            for (var j = 0; j < categories; j++)
            {
                o[i, j] += m[i, j];
                o[j, i] += m[i, j];
            }
        var nc = new double[categories];
        for (var c = 0; c < categories; c++)
            for (var k = 0; k < categories; k++) nc[c] += o[c, k];
        var n = 2.0 * items;
        double observed = 0, expected = 0;
        for (var c = 0; c < categories; c++)
            for (var k = 0; k < categories; k++)
            {
                if (c == k) continue;
                var (lo, hi) = c < k ? (c, k) : (k, c);
                double sum = 0;
                for (var g = lo; g <= hi; g++) sum += nc[g];
                var d = sum - (nc[lo] + nc[hi]) / 2;
                var d2 = d * d;
                observed += o[c, k] * d2;
                expected += nc[c] * nc[k] * d2;
            }
        return expected == 0 ? double.NaN : 1 - (n - 1) * observed / expected;
    }

    /// <summary>Precision and recall of every class.</summary>
    public static ClassScore[] PerClass(ReadOnlySpan<int> reference, ReadOnlySpan<int> predicted, int categories)
    {
        var m = ConfusionMatrix(reference, predicted, categories);
        var result = new ClassScore[categories];
        for (var c = 0; c < categories; c++)
        {
            int support = 0, chosen = 0;
            for (var j = 0; j < categories; j++) { support += m[c, j]; chosen += m[j, c]; }
            result[c] = new ClassScore(c, support, chosen,
                chosen == 0 ? double.NaN : (double)m[c, c] / chosen,
                support == 0 ? double.NaN : (double)m[c, c] / support);
        }
        return result;
    }

    /// <summary>The most frequent reference class (the lowest index on ties); −1 for no items.</summary>
    /// <remarks>The majority baseline predicts this class for every item.</remarks>
    public static int MajorityClass(ReadOnlySpan<int> reference, int categories)
    {
        if (reference.Length == 0) return -1;
        var counts = new int[categories];
        foreach (var r in reference)
        {
            if ((uint)r >= (uint)categories) throw new ArgumentException($"label {r} is outside 0..{categories - 1}.");
            counts[r]++;
        }
        var best = 0;
        for (var c = 1; c < categories; c++) if (counts[c] > counts[best]) best = c;
        return best;
    }

    /// <summary>
    /// Percentile bootstrap CI of a statistic over groups (conversations): each resample lists group indices drawn
    /// with replacement; the statistic sees the concatenated items of the drawn groups.
    /// </summary>
    /// <param name="groups">Per group, the paired reference and predicted labels.</param>
    /// <param name="statistic">The statistic of (reference, predicted).</param>
    /// <param name="resamples">The group indices of every resample (e.g. from <see cref="DrawResamples"/>).</param>
    /// <param name="level">Confidence level, e.g. 0.95.</param>
    /// <remarks>Quantiles are R's default (type 7, linear interpolation). Resamples with a NaN statistic are left out and counted.</remarks>
    public static BootstrapInterval BootstrapCi(
        IReadOnlyList<(int[] Reference, int[] Predicted)> groups,
        Func<int[], int[], double> statistic,
        IReadOnlyList<int[]> resamples,
        double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(statistic);
        ArgumentNullException.ThrowIfNull(resamples);
        if (level is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(level), "level must be in (0, 1).");
        var (allRef, allPred) = Concat(groups, Enumerable.Range(0, groups.Count).ToArray());
        var estimate = statistic(allRef, allPred);
        var values = new List<double>(resamples.Count);
        var undefined = 0;
        foreach (var draw in resamples)
        {
            var (r, p) = Concat(groups, draw);
            var v = statistic(r, p);
            if (double.IsNaN(v)) undefined++;
            else values.Add(v);
        }
        if (values.Count == 0) return new BootstrapInterval(estimate, double.NaN, double.NaN, 0, undefined);
        values.Sort();
        var alpha = (1 - level) / 2;
        return new BootstrapInterval(estimate, Quantile7(values, alpha), Quantile7(values, 1 - alpha), values.Count, undefined);
    }

    /// <summary>
    /// <see cref="BootstrapCi"/> of statistics of the confusion matrix (κ, α) over the same resamples, drawn as
    /// <see cref="DrawResamples"/> draws them from <paramref name="random"/>: each resample adds the drawn groups' items into
    /// one matrix instead of concatenating their labels, and every statistic reads that matrix. Same draws, same values;
    /// a resample costs its items, not copies of them, and no resample is kept.
    /// </summary>
    public static BootstrapInterval[] BootstrapCiOfConfusion(
        IReadOnlyList<(int[] Reference, int[] Predicted)> groups,
        int categories,
        IReadOnlyList<Func<int[,], double>> statistics,
        int resamples,
        Random random,
        double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(random);
        if (level is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(level), "level must be in (0, 1).");
        // Every group's items as cells of the matrix, flat: group g is cells[start[g]..start[g + 1]).
        var start = new int[groups.Count + 1];
        for (var g = 0; g < groups.Count; g++)
        {
            Check(groups[g].Reference, groups[g].Predicted, categories);
            start[g + 1] = start[g] + groups[g].Reference.Length;
        }
        var cells = new int[start[^1]];
        for (var g = 0; g < groups.Count; g++)
            for (var i = 0; i < groups[g].Reference.Length; i++) cells[start[g] + i] = groups[g].Reference[i] * categories + groups[g].Predicted[i];
        var m = new int[categories, categories];
        var flat = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref m[0, 0], categories * categories);
        foreach (var c in cells) flat[c]++;
        var estimates = statistics.Select(f => f(m)).ToArray();
        var values = statistics.Select(_ => new List<double>(resamples)).ToArray();
        var undefined = new int[statistics.Count];
        for (var b = 0; b < resamples; b++)
        {
            flat.Clear();
            for (var i = 0; i < groups.Count; i++)
            {
                var g = random.Next(groups.Count);
                for (var c = start[g]; c < start[g + 1]; c++) flat[cells[c]]++;
            }
            for (var f = 0; f < statistics.Count; f++)
            {
                var v = statistics[f](m);
                if (double.IsNaN(v)) undefined[f]++;
                else values[f].Add(v);
            }
        }
        var alpha = (1 - level) / 2;
        return [.. statistics.Select((_, f) =>
        {
            if (values[f].Count == 0) return new BootstrapInterval(estimates[f], double.NaN, double.NaN, 0, undefined[f]);
            values[f].Sort();
            return new BootstrapInterval(estimates[f], Quantile7(values[f], alpha), Quantile7(values[f], 1 - alpha), values[f].Count, undefined[f]);
        })];
    }

    /// <summary>Draws <paramref name="count"/> resamples of <paramref name="groups"/> group indices with replacement.</summary>
    public static int[][] DrawResamples(int groups, int count, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(groups);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var result = new int[count][];
        for (var b = 0; b < count; b++)
        {
            var draw = new int[groups];
            for (var i = 0; i < groups; i++) draw[i] = random.Next(groups);
            result[b] = draw;
        }
        return result;
    }

    /// <summary>R's type-7 quantile of sorted values.</summary>
    public static double Quantile7(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) return double.NaN;
        var h = (sorted.Count - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static (int[] Reference, int[] Predicted) Concat(IReadOnlyList<(int[] Reference, int[] Predicted)> groups, int[] draw)
    {
        var total = 0;
        foreach (var g in draw) total += groups[g].Reference.Length;
        var r = new int[total];
        var p = new int[total];
        var at = 0;
        foreach (var g in draw)
        {
            var (gr, gp) = groups[g];
            if (gr.Length != gp.Length) throw new ArgumentException($"group {g}: reference and predicted differ in length.");
            gr.CopyTo(r, at);
            gp.CopyTo(p, at);
            at += gr.Length;
        }
        return (r, p);
    }

    private static void Check(ReadOnlySpan<int> reference, ReadOnlySpan<int> predicted, int categories)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(categories, 2);
        if (reference.Length != predicted.Length) throw new ArgumentException("reference and predicted differ in length.");
        for (var i = 0; i < reference.Length; i++)
            if ((uint)reference[i] >= (uint)categories || (uint)predicted[i] >= (uint)categories)
                throw new ArgumentException($"item {i}: label outside 0..{categories - 1}.");
    }
}
