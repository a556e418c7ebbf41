using System.Numerics;
using System.Runtime.InteropServices;

namespace Dfid.Analysis.Statistics;

/// <summary>One-sided permutation tests for several per-conversation endpoints sharing the same label shuffles.</summary>
/// <remarks>
/// Units carry K values (NaN = not eligible). Each draw relabels the units (a uniformly random subset of the
/// smaller stratum's size becomes that stratum, by partial Fisher–Yates) and every endpoint's contrast
/// mean(a) − mean(b) is computed over its eligible units. A draw that leaves an endpoint with no eligible unit in
/// one group counts as at least as extreme (conservative). Ties within 1e-9 count as at least as extreme.
/// Draws run in 64 fixed blocks with their own streams, so the result does not depend on the number of workers.
/// With no NaN and K = 1 this is the same test as <see cref="PermutationTest.OneSided"/> (different draws).
/// </remarks>
internal static class JointPermutation
{
    private const int Blocks = 64;
    private const double Tolerance = 1e-9;

    /// <summary>p-values per endpoint (null when an endpoint has no eligible unit in a stratum); matrices row-major [unit × K].</summary>
    public static double?[] OneSided(double[] a, double[] b, int k, int draws, long seed, int workers)
    {
        int na = a.Length / k, nb = b.Length / k, n = na + nb;
        var lanes = Vector<double>.Count;
        var width = (k + lanes - 1) / lanes * lanes;
        // Units as padded rows of values × weight and weights; group a first.
        var values = new double[n * width];
        var weights = new double[n * width];
        var totalS = new double[k];
        var totalC = new double[k];
        var sA = new double[k];
        var cA = new double[k];
        for (var u = 0; u < n; u++)
            for (var e = 0; e < k; e++)
            {
                var v = u < na ? a[u * k + e] : b[(u - na) * k + e];
                if (double.IsNaN(v)) continue;
                values[u * width + e] = v;
                weights[u * width + e] = 1;
                totalS[e] += v;
                totalC[e]++;
                if (u < na) { sA[e] += v; cA[e]++; }
            }
        var result = new double?[k];
        var observed = new double[k];
        var tested = new bool[k];
        for (var e = 0; e < k; e++)
        {
            tested[e] = cA[e] > 0 && totalC[e] - cA[e] > 0;
            observed[e] = tested[e] ? sA[e] / cA[e] - (totalS[e] - sA[e]) / (totalC[e] - cA[e]) : double.NaN;
        }
        if (!tested.Any(t => t)) return result;

        var drawA = na <= nb;
        var kDraw = drawA ? na : nb;
        var blockCount = Math.Min(Blocks, draws);
        var hits = new int[blockCount * k];
        var context = new Shared(values, weights, width, n, kDraw, drawA, totalS, totalC, observed, k);
        PermutationTest.RunBlocks(blockCount, workers, 0, (block, _) =>
        {
            int from = (int)((long)draws * block / blockCount), to = (int)((long)draws * (block + 1) / blockCount);
            CountBlock(context, to - from, new Xoshiro256(seed, block), hits.AsSpan(block * k, k));
        });
        for (var e = 0; e < k; e++)
        {
            if (!tested[e]) continue;
            var extreme = 0;
            for (var block = 0; block < blockCount; block++) extreme += hits[block * k + e];
            result[e] = (1.0 + extreme) / (1.0 + draws);
        }
        return result;
    }

    private sealed record Shared(double[] Values, double[] Weights, int Width, int N, int KDraw, bool DrawA,
        double[] TotalS, double[] TotalC, double[] Observed, int K);

    private static void CountBlock(Shared c, int draws, Xoshiro256 rng, Span<int> hits)
    {
        var lanes = Vector<double>.Count;
        var vectors = c.Width / lanes;
        var index = new int[c.N];
        for (var i = 0; i < index.Length; i++) index[i] = i;
        var s = new double[c.Width];
        var w = new double[c.Width];
        ref var values = ref MemoryMarshal.GetArrayDataReference(c.Values);
        ref var weights = ref MemoryMarshal.GetArrayDataReference(c.Weights);
        var width = (nuint)c.Width;
        var l = (nuint)lanes;
        for (var d = 0; d < draws; d++)
        {
            Vector<double> s0 = default, s1 = default, w0 = default, w1 = default;
            for (var i = 0; i < c.KDraw; i++)
            {
                var j = i + (int)rng.NextBelow((uint)(c.N - i));
                var unit = index[j];
                index[j] = index[i];
                index[i] = unit;
                var row = (nuint)unit * width;
                s0 += Vector.LoadUnsafe(ref values, row);
                w0 += Vector.LoadUnsafe(ref weights, row);
                if (vectors > 1)
                {
                    s1 += Vector.LoadUnsafe(ref values, row + l);
                    w1 += Vector.LoadUnsafe(ref weights, row + l);
                }
                if (vectors > 2)
                    for (var e = 2 * lanes; e < c.Width; e++)
                    {
                        s[e] += c.Values[unit * c.Width + e];
                        w[e] += c.Weights[unit * c.Width + e];
                    }
            }
            s0.CopyTo(s);
            w0.CopyTo(w);
            if (vectors > 1)
            {
                s1.CopyTo(s, lanes);
                w1.CopyTo(w, lanes);
            }
            for (var e = 0; e < c.K; e++)
            {
                if (double.IsNaN(c.Observed[e])) continue;
                double rest = c.TotalC[e] - w[e];
                bool extreme;
                if (w[e] == 0 || rest == 0) extreme = true;
                else
                {
                    var drawn = s[e] / w[e];
                    var other = (c.TotalS[e] - s[e]) / rest;
                    var contrast = c.DrawA ? drawn - other : other - drawn;
                    extreme = contrast >= c.Observed[e] - Tolerance;
                }
                if (extreme) hits[e]++;
            }
            if (vectors > 2) Array.Clear(s, 2 * lanes, c.Width - 2 * lanes);
            if (vectors > 2) Array.Clear(w, 2 * lanes, c.Width - 2 * lanes);
        }
    }
}
