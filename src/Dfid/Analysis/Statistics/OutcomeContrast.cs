using System.Text.Json.Serialization;

namespace Dfid.Analysis.Statistics;

/// <summary>How one labelling of turns separates non-converters from converters.</summary>
/// <param name="NotConverted">Turns of non-converted conversations.</param>
/// <param name="Converted">Turns of converted conversations.</param>
/// <param name="ResistingNotConverted">Share of non-converters' turns at depth 0 (resisting).</param>
/// <param name="ResistingConverted">Share of converters' turns at depth 0.</param>
/// <param name="ResistingDifference">Non-converters minus converters.</param>
/// <param name="FisherP">Two-sided Fisher exact p of the 2×2 table (outcome × resisting).</param>
/// <param name="MeanDepthNotConverted">Mean depth of non-converters' turns.</param>
/// <param name="MeanDepthConverted">Mean depth of converters' turns.</param>
/// <param name="DepthAuc">P(a converter's depth &gt; a non-converter's) + ½ P(equal): 0.5 = no separation.</param>
public readonly record struct OutcomeContrastResult(
    int NotConverted,
    int Converted,
    [property: JsonConverter(typeof(UndefinedAsNull))] double ResistingNotConverted,
    [property: JsonConverter(typeof(UndefinedAsNull))] double ResistingConverted,
    [property: JsonConverter(typeof(UndefinedAsNull))] double ResistingDifference,
    double FisherP,
    [property: JsonConverter(typeof(UndefinedAsNull))] double MeanDepthNotConverted,
    [property: JsonConverter(typeof(UndefinedAsNull))] double MeanDepthConverted,
    [property: JsonConverter(typeof(UndefinedAsNull))] double DepthAuc);

/// <summary>Two-group statistics of ordinal depths (resisting = 0 ... deciding = 4), non-converters against converters.</summary>
public static class OutcomeContrast
{
    /// <summary>Resisting shares with Fisher's exact test, mean depths and the depth AUC.</summary>
    /// <remarks>Shares, means and the AUC are NaN when a group is empty (Fisher's p is then 1).</remarks>
    public static OutcomeContrastResult Compare(ReadOnlySpan<int> depthNotConverted, ReadOnlySpan<int> depthConverted)
    {
        int nA = depthNotConverted.Length, nB = depthConverted.Length;
        int rA = 0, rB = 0;
        double sA = 0, sB = 0;
        foreach (var d in depthNotConverted) { if (d == 0) rA++; sA += d; }
        foreach (var d in depthConverted) { if (d == 0) rB++; sB += d; }
        var shareA = nA == 0 ? double.NaN : (double)rA / nA;
        var shareB = nB == 0 ? double.NaN : (double)rB / nB;
        var a = new double[nA];
        var b = new double[nB];
        for (var i = 0; i < nA; i++) a[i] = depthNotConverted[i];
        for (var i = 0; i < nB; i++) b[i] = depthConverted[i];
        return new OutcomeContrastResult(nA, nB, shareA, shareB, shareA - shareB,
            HypothesisTests.FisherExactTwoSided(rA, nA - rA, rB, nB - rB),
            nA == 0 ? double.NaN : sA / nA, nB == 0 ? double.NaN : sB / nB, AreaUnderCurve(a, b));
    }

    /// <summary>
    /// P(y &gt; x) + ½ P(y = x) for x drawn from <paramref name="x"/> and y from <paramref name="y"/>: the area under the
    /// ROC curve of <paramref name="y"/>'s values against <paramref name="x"/>'s, equal to the Mann–Whitney U of y divided
    /// by n_x·n_y (R: <c>wilcox.test(y, x)$statistic / (n_x * n_y)</c>). Computed from mid-ranks.
    /// </summary>
    /// <remarks>NaN when either sample is empty.</remarks>
    public static double AreaUnderCurve(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int nx = x.Length, ny = y.Length;
        if (nx == 0 || ny == 0) return double.NaN;
        var all = new (double Value, bool IsY)[nx + ny];
        for (var i = 0; i < nx; i++) all[i] = (x[i], false);
        for (var i = 0; i < ny; i++) all[nx + i] = (y[i], true);
        Array.Sort(all, (p, q) => p.Value.CompareTo(q.Value));
        double rankSumY = 0;
        for (var i = 0; i < all.Length;)
        {
            var j = i;
            while (j + 1 < all.Length && all[j + 1].Value == all[i].Value) j++;
            var midRank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
                if (all[k].IsY) rankSumY += midRank;
            i = j + 1;
        }
        var u = rankSumY - ny * (ny + 1) / 2.0;
        return u / ((double)nx * ny);
    }
}
